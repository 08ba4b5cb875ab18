"""Data planes: validation before anything is created, the chart values per line and mode (checked against the
real chart's render), the program's placement of every object on its cluster, and the registration against the
Houston stand-in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.houston_client import Connection, HoustonClient, HoustonError
from components.houston_clusters import (
    PLATFORM_CLUSTER_TYPE,
    REGISTRATION_TYPE,
    PlatformClusterProvider,
    RegistrationProvider,
)
from components.houston_provider import DeploymentProvider
from components.houston_resources import DEPLOYMENT_TYPE
from components.platform_values import PlaneSpec, plane_values
from domain.planes import CONTROL_PLANE_CA_SECRET, metadata_url
from offline.render import data_plane, render
from standins import mock_engine as engine
from standins.houston.server import DataPlaneMetadata, HoustonStandin
from tests.data.record_chart import expected_values, recorded
from tests.helpers import RELEASE, run_document, stack_document, write_stack_file
from tests.test_config_validation import problems, set_path
from tests.test_offline import files

CA = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUX\n-----END CERTIFICATE-----\n"
PLANE = {"name": "emea", "domainPrefix": "emea", "kubernetes": {"context": "emea-cluster"},
         "apiServerCidrs": ["10.60.0.10/32"], "apiServerPort": 6443, "controlPlaneCa": CA}


def with_plane(stack: str = "dev", on_plane: tuple[str, ...] = ("marketing",), **plane: Any) -> dict[str, Any]:
    document = stack_document(stack)
    document["dataPlanes"] = [{**copy.deepcopy(PLANE), **plane}]
    for tenant in document["tenants"]:
        if tenant["name"] in on_plane:
            tenant["dataPlane"] = "emea"
    return document


# --- validation -----------------------------------------------------------------------------------

CASES = [
    ("unknown data plane", ("tenants", 0, "dataPlane"), "apac",
     "tenants[0].dataPlane: 'apac' is not a data plane under dataPlanes (defined: emea)"),
    ("second plane with the same prefix", ("dataPlanes", 1), {**PLANE, "name": "emea2",
                                                               "kubernetes": {"context": "emea2"}},
     "dataPlanes[1].domainPrefix: 'emea' is already used by dataPlanes[0]; data plane domain prefixes must be unique"),
    ("second plane with the same name", ("dataPlanes", 1), {**PLANE, "domainPrefix": "emea2",
                                                             "kubernetes": {"context": "emea2"}},
     "dataPlanes[1].name: 'emea' is already used by dataPlanes[0]; data plane names must be unique"),
    ("prefix of a control-plane host", ("dataPlanes", 0, "domainPrefix"), "houston",
     "dataPlanes[0].domainPrefix: 'houston' is a host name the control plane uses on the base domain"),
    ("prefix not a DNS label", ("dataPlanes", 0, "domainPrefix"), "EMEA.1",
     "dataPlanes[0].domainPrefix: 'EMEA.1' is not an RFC 1123 label"),
    ("the platform's own cluster", ("dataPlanes", 0, "kubernetes"), {"context": "dev-cluster"},
     "dataPlanes[0].kubernetes: names the platform's own cluster (kubernetes)"),
    ("no API server address", ("dataPlanes", 0, "apiServerCidrs"), [], "dataPlanes[0].apiServerCidrs:"),
    ("a CA that is not PEM", ("dataPlanes", 0, "controlPlaneCa"), "MIIBdzCCAR2g",
     "dataPlanes[0].controlPlaneCa: is not a PEM certificate"),
    ("a 0.37 chart", ("platform", "chartVersion"), "0.37.7",
     "dataPlanes: needs chart 1.0 or later: chart line 0.37 has no control and data planes"),
    ("a tenant left on a control-only platform", ("platform", "planeMode"), "control",
     "tenants[0].dataPlane: is required: platform.planeMode is control"),
    ("a shard on a data plane", ("tenants", 1, "shard"), "shard-a",
     "tenants[1].shard: is not offered for a tenant on a data plane"),
    ("an override of the plane", ("platform", "valuesOverrides"), {"global": {"plane": {"mode": "data"}}},
     "platform.valuesOverrides.global.plane: is set by the program from dataPlanes and platform.planeMode"),
    ("an override of the base domain", ("platform", "valuesOverrides"), {"global": {"baseDomain": "dp.example.com"}},
     "platform.valuesOverrides.global.baseDomain: is set by the program"),
]


@pytest.mark.parametrize(("path", "value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_is_named_by_its_key(path: tuple[Any, ...], value: Any, expected: str) -> None:
    document = with_plane()
    if path[:2] == ("tenants", 1) and path[2] == "shard":
        document["tenancy"]["shards"] = ["shard-a"]
    if path == ("dataPlanes", 1):
        document["dataPlanes"].append(value)
    else:
        set_path(document, path, value)
    found = problems(document)
    assert any(p.startswith(expected) for p in found), found


def test_control_mode_needs_data_planes_and_unified_stays_the_default() -> None:
    document = stack_document("dev")
    document["platform"]["planeMode"] = "control"
    assert any(p.startswith("platform.planeMode: is control, but dataPlanes is empty") for p in problems(document))
    assert problems(with_plane()) == []
    everyone = with_plane(on_plane=("finance", "marketing", "analytics"))
    everyone["platform"]["planeMode"] = "control"
    assert problems(everyone) == []


def test_the_plane_is_the_programs_even_without_data_planes() -> None:
    document = stack_document("dev")
    document["platform"]["valuesOverrides"] = {"global": {"plane": {"mode": "control"}}}
    assert any(p.startswith("platform.valuesOverrides.global.plane:") for p in problems(document))


def test_the_houston_key_is_required_to_register_a_data_plane_without_tenants() -> None:
    document = with_plane()
    document["tenants"], document["tenancy"]["allowNoTenants"] = [], True
    found = problems(document, present={"artifactoryPassword", "databaseConnection", "delineaPassword"})
    assert any(p.startswith("houstonApiKey: is required with dataPlanes") for p in found), found


# --- values per line and mode: the program's, and what the real chart renders from them --------------

@pytest.mark.parametrize("version", ["1.2.0", "2.1.0"])
def test_a_data_planes_values_render_commander_its_metadata_host_and_the_ca(version: str) -> None:
    values, render_ = recorded("data_plane", version)
    assert values == expected_values("data_plane", version), "re-record: python -m tests.data.record_chart"
    commander = render_["Deployment"]
    assert commander["metadata"]["labels"]["plane"] == "data"
    pod = commander["spec"]["template"]["spec"]
    mounts = [m for c in pod["containers"] for m in c.get("volumeMounts", []) if m["name"] == CONTROL_PLANE_CA_SECRET]
    assert mounts and all(m["subPath"] == "cert.pem" for m in mounts)
    assert {"name": CONTROL_PLANE_CA_SECRET, "secret": {"secretName": CONTROL_PLANE_CA_SECRET}} in pod["volumes"]
    # Houston is told this URL: it must be the host the data plane's metadata ingress serves.
    host = render_["Ingress"]["spec"]["rules"][0]["host"]
    assert metadata_url("dp01", "astro.company.com") == f"https://{host}"


@pytest.mark.parametrize("version", ["1.2.0", "2.1.0"])
def test_the_control_planes_values_render_houston_in_control_mode(version: str) -> None:
    values, render_ = recorded("control_plane", version)
    assert values == expected_values("control_plane", version)
    assert render_["Deployment"]["metadata"]["labels"]["plane"] == "control"


def test_without_data_planes_no_plane_key_is_written() -> None:
    assert plane_values(None) == {}
    assert plane_values(PlaneSpec("unified")) == {"global": {"plane": {"mode": "unified", "domainPrefix": ""}}}


# --- the program: every object on its cluster ------------------------------------------------------

@pytest.fixture(scope="module")
def split() -> engine.Recording:
    document = with_plane()
    document["signIn"] = stack_document("prod")["signIn"]
    return run_document(document)


def test_a_tenant_on_a_data_plane_lives_there_with_its_release_and_ticket_manager(split: engine.Recording) -> None:
    placed: dict[str | None, set[str]] = {}
    for registration in split.kubernetes_objects():
        metadata = registration.inputs.get("metadata") or {}
        placed.setdefault(data_plane(registration), set()).add(
            f"{registration.type.rsplit(':', 1)[-1]} {metadata.get('namespace', '')}/{metadata.get('name')}")
    assert "Namespace /airflow-marketing" in placed["emea"] and "Namespace /airflow-marketing" not in placed[None]
    assert "Namespace /airflow-finance" in placed[None] and "Namespace /airflow-finance" not in placed["emea"]
    # The data plane's ticket manager writes marketing's cache only; the platform's never does.
    writers = {plane: {n for n in names if n.startswith("Role ") and "ccache-writer" in n}
               for plane, names in placed.items()}
    assert writers["emea"] == {"Role airflow-marketing/kerberos-ccache-writer"}
    assert not any("airflow-marketing" in n for n in writers[None])
    assert f"Secret astronomer/{CONTROL_PLANE_CA_SECRET}" in placed["emea"]
    ca = next(r for r in split.kubernetes_objects() if r.inputs["metadata"]["name"] == CONTROL_PLANE_CA_SECRET)
    assert engine.reveal(ca.inputs)["stringData"] == {"cert.pem": CA}
    releases = {data_plane(r): engine.reveal(r.inputs)["values"] for r in split.of_type(RELEASE)}
    assert releases["emea"]["global"]["plane"] == {"mode": "data", "domainPrefix": "emea"}
    assert releases[None]["global"]["plane"]["mode"] == "unified"
    assert releases["emea"]["global"]["namespaceManagement"]["namespacePools"]["namespaces"]["names"] == [
        "airflow-marketing"]
    assert "airflow-marketing" not in releases[None]["global"]["namespaceManagement"]["namespacePools"][
        "namespaces"]["names"]
    # Houston's settings live where Houston runs, and its Alertmanager routes marketing's alerts too.
    assert "auth" not in releases["emea"]["astronomer"]["houston"]["config"]
    assert "auth" in releases[None]["astronomer"]["houston"]["config"]
    assert "alertmanager" not in releases["emea"] and "marketing" in str(releases[None]["alertmanager"])


def test_a_data_plane_tenants_pods_reach_its_own_api_server(split: engine.Recording) -> None:
    policies = {r.inputs["metadata"]["namespace"]: r.inputs for r in split.kubernetes_objects()
                if r.type.endswith("NetworkPolicy") and r.inputs["metadata"]["name"] == "tenant-allow"}
    blocks = str(policies["airflow-marketing"]["spec"]["egress"])
    assert "10.60.0.10/32" in blocks and "6443" in blocks
    assert "10.60.0.10/32" not in str(policies["airflow-finance"]["spec"]["egress"])


def test_registration_follows_both_releases_and_places_the_tenants(split: engine.Recording) -> None:
    registration = split.of_type(REGISTRATION_TYPE)[0]
    inputs = engine.reveal(registration.inputs)
    assert (inputs["name"], inputs["metadata_url"]) == ("emea", "https://emea.astro-dev.company.com")
    own = split.of_type(PLATFORM_CLUSTER_TYPE)[0]
    releases = {r.urn for r in split.of_type(RELEASE)}
    parents = {r.urn: r.parent for r in split.resources}
    depends = {parents.get(d, d) for d in registration.dependencies} | set(registration.dependencies)
    assert own.urn in depends and any(d in depends for d in releases)
    placed = {r.name: (engine.reveal(r.inputs).get("placed_in"), engine.reveal(r.inputs).get("platform_cluster_id"))
              for r in split.of_type(DEPLOYMENT_TYPE)}
    assert placed == {"finance-deployment": (None, "platform-cluster-id"),
                      "analytics-deployment": (None, "platform-cluster-id"),
                      "marketing-deployment": ("dataplane-emea-id", None)}


def test_the_render_shows_each_clusters_files_apart(tmp_path: Path) -> None:
    out = tmp_path / "render"
    assert render("dev", out, write_stack_file(tmp_path / "Pulumi.dev.yaml", with_plane())) == 0
    written = files(out)
    assert "dataplanes/emea/helm/astronomer/values.yaml" in written and "helm/astronomer/values.yaml" in written
    assert "dataplanes/emea/manifests/_cluster/namespace-airflow-marketing.yaml" in written
    assert "manifests/_cluster/namespace-airflow-marketing.yaml" not in written
    assert "houston/dataplane-emea.yaml" in written
    assert f"dataplanes/emea/manifests/astronomer/secret-{CONTROL_PLANE_CA_SECRET}.yaml" in written


# --- registration against the stand-in ------------------------------------------------------------

KEY = "planes-KEY-0123456789abcdef"
BASE = "astro.example.com"


@pytest.fixture
def houston() -> Iterator[tuple[HoustonStandin, str]]:
    standin = HoustonStandin("2.x", KEY, pool=["airflow-a"], data_planes={
        metadata_url("emea", BASE): DataPlaneMetadata(f"emea.{BASE}", ("airflow-b",)),
        metadata_url("apac", BASE): DataPlaneMetadata(f"apac.{BASE}", ("airflow-c",))})
    with standin.running() as url:
        yield standin, url


def _props(url: str, name: str = "emea", prefix: str = "emea") -> dict[str, Any]:
    return {"houston_url": url, "api_key": KEY, "name": name, "metadata_url": metadata_url(prefix, BASE)}


def test_registration_lifecycle_and_what_houston_refuses(houston: tuple[HoustonStandin, str]) -> None:
    standin, url = houston
    own = PlatformClusterProvider().create({"houston_url": url, "api_key": KEY})
    assert own.id == standin.state.cluster_id
    provider = RegistrationProvider()
    created = provider.create(_props(url))
    assert created.outs and created.outs["status"] == "ACTIVE" and created.outs["base_domain"] == f"emea.{BASE}"
    client = HoustonClient(Connection(url, KEY, attempts=1))
    for props, refusal in ((_props(url, prefix="apac"), "A cluster named emea already exists"),
                           (_props(url, name="emea2"), "already exists"),
                           (_props(url, name="x", prefix="nowhere"), "Failed to fetch cluster metadata")):
        with pytest.raises(HoustonError, match=refusal):
            client.register_cluster(props["name"], props["metadata_url"])
    # With a data plane registered, the platform's own cluster can no longer be told apart.
    with pytest.raises(HoustonError, match="has 2 clusters"):
        PlatformClusterProvider().create({"houston_url": url, "api_key": KEY})
    assert provider.read(created.id, created.outs).id == created.id
    assert not provider.diff(created.id, created.outs, _props(url)).changes
    renamed = provider.diff(created.id, created.outs, _props(url, name="emea-1"))
    assert renamed.replaces == ["name"] and renamed.delete_before_replace
    provider.delete(created.id, created.outs)
    assert not standin.state.registered and provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)  # gone already: nothing to do
    PlatformClusterProvider().delete(own.id, {"houston_url": url, "api_key": KEY})
    assert [c.id for c in client.clusters()] == [standin.state.cluster_id]  # Houston's own stays


def test_a_deployment_goes_to_its_data_plane_and_keeps_it_from_deregistering(
        houston: tuple[HoustonStandin, str]) -> None:
    from components.houston_provider import WorkspaceProvider
    from tests.test_houston_provider import _deployment_props, _workspace_props

    standin, url = houston
    cluster = RegistrationProvider().create(_props(url))
    workspace = WorkspaceProvider().create(_workspace_props(url, key=KEY, teams={}))
    props = {**_deployment_props(url, workspace.id, namespace="airflow-b"), "api_key": KEY, "placed_in": cluster.id}
    created = DeploymentProvider().create(props)
    assert standin.state.deployments[created.id].cluster_id == cluster.id
    outs = created.outs or {}
    assert not DeploymentProvider().diff(created.id, outs, props).changes
    home = {k: v for k, v in props.items() if k != "placed_in"} | {"platform_cluster_id": standin.state.cluster_id}
    assert "placed_in" in DeploymentProvider().diff(created.id, outs, home).replaces
    # A deployment that has always been on the platform's cluster stays put when data planes arrive beside it.
    unified = {**_deployment_props(url, workspace.id, namespace="airflow-a", release_name="team-c", label="team-c"),
               "api_key": KEY, "platform_cluster_id": standin.state.cluster_id}
    kept = DeploymentProvider().create(unified)
    assert standin.state.deployments[kept.id].cluster_id == standin.state.cluster_id
    old_state = {k: v for k, v in (kept.outs or {}).items() if k != "platform_cluster_id"}
    assert not DeploymentProvider().diff(kept.id, old_state, unified).changes
    with pytest.raises(HoustonError, match="still has deployments"):
        HoustonClient(Connection(url, KEY, attempts=1)).deregister_cluster(cluster.id)
    # A namespace of another cluster's pool is refused.
    with pytest.raises(HoustonError, match="not among Houston's free pool namespaces"):
        DeploymentProvider().create({**props, "release_name": "team-d", "label": "team-d",
                                     "namespace": "airflow-a"})


def test_the_diff_names_each_cluster_and_lists_a_move_as_a_replacement(tmp_path: Path) -> None:
    from offline.diff import diff_render, markdown

    base, head = tmp_path / "base", tmp_path / "head"
    assert render("dev", base) == 0
    assert render("dev", head, write_stack_file(tmp_path / "Pulumi.dev.yaml", with_plane())) == 0
    report = markdown([diff_render("dev", base, head)])
    moved = report.split("**Moved to another cluster: replaced, and what they hold stays behind**")[1].split("**")[0]
    assert "- Namespace `airflow-marketing`: the platform's cluster → data plane `emea`" in moved
    assert "- Airflow deployment `marketing` (Houston): the platform's cluster → Houston cluster `dataplane-emea-id`" in moved
    assert "finance" not in moved
    assert "- Release `astronomer/astronomer` on data plane `emea`" in report


def test_a_split_stack_passes_every_policy(split: engine.Recording) -> None:
    from policy import guardrails
    from tests.test_policy import program_resources, resource_args, stack_args, violations

    resources = program_resources(split)
    releases = [props for kind, props in resources if guardrails.is_platform_release(kind, props)]
    assert len(releases) == 2  # the control plane's and the data plane's: both checked
    for resource_type, props in resources:
        assert violations(guardrails.validate_images, resource_args(resource_type, props)) == []
        assert violations(guardrails.validate_platform_release, resource_args(resource_type, props)) == []
    assert violations(guardrails.validate_tenant_isolation, stack_args(resources)) == []
    assert len(guardrails.tenant_namespaces(stack_args(resources).resources)) == 3
