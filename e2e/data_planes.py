"""A split platform under the real engine: one control plane, one data plane, tenants on each.

The platform's cluster is the run's own (``e2e.cluster.control_plane``); the data plane's is a second local
API server with its own etcd and controller manager (``e2e.cluster.second_control_plane``). The program's
stack ``e2e-planes`` keeps finance and analytics on the platform's cluster and runs marketing on data plane
``dp01``; a Houston stand-in of its own knows dp01's metadata (its pool holds marketing's namespace), as
the data plane's Commander would report it. Steps: up of the stack without data planes, then the data plane
added (the preview replaces and deletes nothing) and up; every declared object on its own cluster and on no
other; the data plane's chart values in data mode; the registration and each deployment's cluster in
Houston; a no-op preview; a tenant moved to the data plane shows as a replacement in the preview; destroy,
after which neither cluster nor Houston holds anything of the stack.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from devtools import go_tools
from domain.planes import CONTROL_PLANE_CA_SECRET, metadata_url
from e2e.cluster import Cluster, second_control_plane
from e2e.harness import Api, Report, expect
from e2e.stack import Engine, dev_document, e2e_document, indented, standin_for, tenant_namespace
from e2e.upgrade import LOSSY

if TYPE_CHECKING:  # imported where it is used: graphql loads only when a stand-in runs
    from standins.houston.server import HoustonStandin

STACK = "e2e-planes"
PLANE = "dp01"
ON_PLANE = "marketing"
MOVED = "analytics"
# Engine operations that show a replacement (the real engine's names).
REPLACING = frozenset({"replace", "create-replacement", "delete-replaced"})


def document(cluster: Cluster, plane: Cluster, houston_url: str, on_plane: tuple[str, ...]) -> dict[str, Any]:
    """The e2e stack's config with data plane dp01 (its API server on this machine's loopback) and the tenants
    ``on_plane`` placed there."""
    doc = e2e_document(cluster.kubeconfig, protect=False)
    doc["houston"]["url"] = houston_url
    port = int(plane.server.rsplit(":", 1)[1])
    doc["dataPlanes"] = [{
        "name": PLANE, "domainPrefix": PLANE, "kubernetes": {"kubeconfig": str(plane.kubeconfig)},
        "apiServerCidrs": ["127.0.0.1/32"], "apiServerPort": port,
        "controlPlaneCa": (cluster.pki / "ca.crt").read_text(),
    }]
    for tenant in doc["tenants"]:
        if tenant["name"] in on_plane:
            tenant["dataPlane"] = PLANE
    return doc


def unified(cluster: Cluster, houston_url: str) -> dict[str, Any]:
    """The same stack before it had a data plane: the tenants that stay on the platform's cluster only."""
    doc = e2e_document(cluster.kubeconfig, protect=False)
    doc["tenants"] = [t for t in doc["tenants"] if t["name"] != ON_PLANE]
    doc["houston"]["url"] = houston_url
    return doc


@contextlib.contextmanager
def houston(secrets: dict[str, str]) -> Iterator[tuple[HoustonStandin, str]]:
    """The stand-in: its own cluster's pool holds the tenants that stay, dp01's the tenants that may move there."""
    from standins.houston.server import DataPlaneMetadata

    tenants = dev_document()["tenants"]
    base = dev_document()["platform"]["baseDomain"]
    plane_pool = tuple(tenant_namespace(t) for t in tenants if t["name"] in (ON_PLANE, MOVED))
    standin = standin_for(
        secrets, tenants, [tenant_namespace(t) for t in tenants if t["name"] != ON_PLANE],
        data_planes={metadata_url(PLANE, base): DataPlaneMetadata(f"{PLANE}.{base}", plane_pool)})
    with standin.running() as url:
        yield standin, url


def _values(api: Api, document: dict[str, Any]) -> dict[str, Any]:
    release, namespace = document["platform"]["releaseName"], document["platform"]["namespace"]
    data = api.core.read_namespaced_config_map(f"{release}-e2e-values", namespace).data
    return json.loads(data["values.json"])


def steps(report: Report, box: go_tools.Toolbox, api: Api, cluster: Cluster, secrets: dict[str, str]) -> None:
    from e2e import declared

    with contextlib.ExitStack() as stack:
        with report.step("data planes: start the data plane's API server"):
            plane = stack.enter_context(second_control_plane(box.paths, cluster))
            plane_api = Api(plane.kubeconfig)
            print(f"    data plane {PLANE} at {plane.server}")
        standin, url = stack.enter_context(houston(secrets))
        doc = document(cluster, plane, url, (ON_PLANE,))
        engine = Engine(cluster.workdir, box, secrets, name=STACK)
        by_cluster = declared.manifests_by_cluster(doc, secrets)

        with report.step("data planes: a running stack gets a data plane, nothing of it replaced"):
            # The stack as it ran before: the tenants that stay, one cluster, no data plane.
            engine.configure(unified(cluster, url))
            engine.first_up()
            engine.configure(doc)
            _, ops = engine.preview_ops()
            # The data plane's own objects are created; nothing that runs may be rebuilt or deleted.
            lossy = [(op, urn) for op, urn in ops if op in LOSSY - {"create"}]
            expect(not lossy, f"adding a data plane would lose what runs: {lossy[:10]}")
            updated = sorted({urn.rsplit("::", 1)[-1] for op, urn in ops if op == "update"})
            print(f"    {sum(op == 'create' for op, _ in ops)} creates; updated: {', '.join(updated)}")
            # The platform's release gets global.plane; the dynamic providers' default provider holds the config.
            expect(updated == ["astronomer-release", "default"], f"adding a data plane updates {updated}")
            engine.up()
        with report.step("data planes: every object on its own cluster"):
            for name, target in ((None, api), (PLANE, plane_api)):
                missing = target.missing(by_cluster[name])
                expect(not missing, f"{len(missing)} objects declared for {name or 'the platform'}'s cluster are not "
                       f"there: {missing[:10]}")
            tenants = {t["name"]: tenant_namespace(t) for t in doc["tenants"]}
            expect(tenants[ON_PLANE] in plane_api.namespaces() and tenants[ON_PLANE] not in api.namespaces(),
                   f"{ON_PLANE}'s namespace is not on the data plane alone")
            stay = {n for t, n in tenants.items() if t != ON_PLANE}
            expect(stay <= api.namespaces() and not stay & plane_api.namespaces(),
                   f"{sorted(stay)} are not on the platform's cluster alone")
            expect(_values(plane_api, doc)["global"]["plane"] == {"mode": "data", "domainPrefix": PLANE},
                   "the data plane's release is not in data mode")
            expect(_values(api, doc)["global"]["plane"]["mode"] == "unified", "the platform's release is not unified")
            ca = plane_api.core.read_namespaced_secret(CONTROL_PLANE_CA_SECRET, doc["platform"]["namespace"])
            expect(ca.data and "cert.pem" in ca.data, "the data plane holds no CA of the control plane")
            print(f"    {len(by_cluster[None])} objects on the platform's cluster, {len(by_cluster[PLANE])} on "
                  f"{PLANE}'s; {ON_PLANE} only on {PLANE}")
        with report.step("data planes: registered with Houston, each deployment in its cluster"):
            state = standin.state
            registered = list(state.registered.values())
            expect([c.name for c in registered] == [PLANE], f"Houston's registered clusters: {registered}")
            placed = {d.release_name: d.cluster_id for d in state.live()}
            wanted = {t: registered[0].id if t == ON_PLANE else state.cluster_id for t in tenants}
            expect(placed == wanted, f"deployments' clusters {placed} != {wanted}")
            print(f"    {PLANE} registered as {registered[0].id}; {ON_PLANE} there, the others on the platform's")
        with report.step("data planes: pulumi preview (no changes)"):
            engine.preview_ops(expect_no_changes=True)
        with report.step("data planes: a moved tenant shows as a replacement"):
            engine.configure(document(cluster, plane, url, (ON_PLANE, MOVED)))
            _, ops = engine.preview_ops()
            replaced = sorted({urn.rsplit("::", 1)[-1] for op, urn in ops if op in REPLACING})
            expect(f"{MOVED}-namespace" in replaced and f"{MOVED}-deployment" in replaced,
                   f"moving {MOVED} does not replace its namespace and deployment: {replaced}")
            print(f"    replaced: {len(replaced)} resources of {MOVED}, its namespace and deployment among them")
            engine.configure(doc)
        with report.step("data planes: pulumi destroy (clean)"):
            engine.stack.destroy(color="never", on_output=indented)
            for target in (api, plane_api):
                target.wait_gone({*tenants.values(), doc["platform"]["namespace"]} & target.namespaces())
            resources = engine.stack.export_stack().deployment.get("resources") or []
            expect(not resources, f"{len(resources)} resources left in the state")
            expect(not standin.state.registered and not standin.state.live(),
                   "Houston still holds a registration or a deployment")
            engine.stack.workspace.remove_stack(STACK)
