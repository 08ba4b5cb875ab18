"""The components as building blocks: their own args, names from their own name, no shared URNs."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.kerberos import KerberosSidecar
from components.kerberos_specs import (
    KerberosTenant,
    ManagerSettings,
    VaultAccess,
    config_checksum,
    deployment_spec,
    tenants_document,
)
from components.platform import AstronomerPlatform, TlsKeyPair
from components.tenant import Tenant
from components.tenant_specs import ALLOW, DEFAULT_DENY, EgressAllow, QuotaCeiling, network_policy_specs, quota_spec
from offline.urns import alias_urns
from standins import mock_engine as engine
from tests.helpers import (
    ROOT,
    STACKS,
    chart_settings,
    kerberos_args,
    platform_args,
    run_components,
    secret,
    tenant_args,
)

BEFORE_RENAME = json.loads((ROOT / "tests/data/urns-before-component-names.json").read_text())
# The per-rule NetworkPolicies that one tenant-allow policy replaced: removed on purpose.
MERGED_POLICIES = ("allow-dns", "allow-platform", "allow-same-namespace", "allow-kerberos-kdc",
                   "allow-secret-vault", "allow-metadata-database", "allow-egress-")
# The airflow-settings ConfigMap that no Airflow read: retired when the deployment got its environment.
RETIRED = ":ConfigMap::"


@pytest.mark.parametrize("stack", STACKS)
def test_every_earlier_urn_is_kept_or_aliased(recordings, stack):
    resources = recordings[stack].resources
    current = {r.urn for r in resources}
    aliased = [urn for r in resources for urn in alias_urns(r.urn, r.declared_aliases)]
    assert len(aliased) == len(set(aliased)), "two resources claim one earlier URN"
    assert not set(aliased) & current, "an alias names a URN that is still in use"
    assert set(aliased) <= set(BEFORE_RENAME[stack]), "an alias names a URN that never existed"
    lost = set(BEFORE_RENAME[stack]) - current - set(aliased)
    def removed_on_purpose(urn: str) -> bool:
        name = urn.rsplit("::", 1)[1].split("-", 1)[1]
        return (":NetworkPolicy::" in urn and name.startswith(MERGED_POLICIES)) or (
            RETIRED in urn and name == "airflow-settings")

    assert lost and all(removed_on_purpose(urn) for urn in lost), sorted(lost)
    # Renamed children carry their component's name: the platform's and the ticket manager's.
    renamed = {r.name for r in resources if r.declared_aliases}
    assert "astronomer-namespace" in renamed and "kerberos-delinea-config" in renamed


def test_two_platforms_and_their_tenants_in_one_program():
    def build(opts: pulumi.ResourceOptions) -> None:
        for platform, teams in (("blue", ("team-a", "team-b")), ("green", ("team-c", "team-d"))):
            tenants = {team: Tenant(team, tenant_args(namespace=team, platform_namespace=platform,
                                                      platform_release=platform), opts=opts) for team in teams}
            astronomer = AstronomerPlatform(platform, platform_args(
                namespace=platform, release_name=platform, chart=chart_settings(pool_namespaces=teams),
                wait_for=list(tenants.values())), opts=opts)
            KerberosSidecar(f"{platform}-kerberos", kerberos_args(
                {team: team for team in teams}, namespace=astronomer.namespace_name), opts=opts)

    recording = run_components(build)  # raises DuplicateUrnError on a shared URN
    objects = [(r.type, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"])
               for r in recording.kubernetes_objects()]
    assert len(objects) == len(set(objects)), "two resources declare one Kubernetes object"
    assert not [r.urn for r in recording.resources if r.declared_aliases], "aliases are opt-in"
    pools = {r.inputs["name"]: engine.reveal(r.inputs)["values"]["global"]["namespaceManagement"]
             ["namespacePools"]["namespaces"]["names"] for r in recording.of_type("kubernetes:helm.sh/v3:Release")}
    assert pools == {"blue": ["team-a", "team-b"], "green": ["team-c", "team-d"]}


def test_a_tenant_on_its_own():
    outputs: dict[str, object] = {}

    def build(opts: pulumi.ResourceOptions) -> None:
        tenant = Tenant("team-a", tenant_args(), opts=opts)
        pulumi.Output.all(tenant.namespace_name, tenant.cache_secret_name).apply(
            lambda values: outputs.update(namespace=values[0], cache=values[1]))

    recording = run_components(build)
    kinds = sorted(r.type.rsplit(":", 1)[1] for r in recording.kubernetes_objects())
    assert kinds == ["ConfigMap"] * 3 + ["Namespace", "NetworkPolicy", "NetworkPolicy", "ResourceQuota",
                                         "RoleBinding", "Secret"]
    assert outputs == {"namespace": "team-a", "cache": "kerberos-ccache"}
    datakits = next(r for r in recording.resources if r.name == "team-a-datakits")
    assert "data" not in datakits.inputs  # no datakits: no empty map for the API server to drop
    assert all(r.name.startswith("team-a-") for r in recording.resources if r.parent.endswith("::team-a"))


def test_a_platform_on_its_own_with_and_without_tls():
    without = run_components(lambda opts: AstronomerPlatform("astro", platform_args(), opts=opts))
    assert sorted(r.name for r in without.resources if r.custom and r.type != "pulumi:providers:kubernetes") == [
        "astro-database-bootstrap-secret", "astro-namespace", "astro-registry-pull-secret", "astro-release",
        "astro-tenant-admin", "astro-tenant-edit", "astro-tenant-view"]  # no deployers: no admission policy
    bootstrap = next(r for r in without.resources if r.name == "astro-database-bootstrap-secret")
    assert "annotations" not in bootstrap.inputs["metadata"]
    # Outputs belong to the run's event loop: the builders are called inside the program.
    with_tls = run_components(lambda opts: AstronomerPlatform(
        "astro", platform_args(tls=TlsKeyPair(secret("CERT"), secret("KEY"))), opts=opts))
    secret_object = next(r for r in with_tls.resources if r.name == "astro-tls-secret")
    assert engine.is_secret(secret_object.inputs["stringData"])
    assert engine.reveal(secret_object.inputs["stringData"]) == {"tls.crt": "CERT", "tls.key": "KEY"}


def test_a_ticket_manager_on_its_own():
    recording = run_components(lambda opts: KerberosSidecar("krb", kerberos_args({"a": "ns-a", "b": "ns-b"}), opts=opts))
    names = sorted(r.name for r in recording.kubernetes_objects())
    assert names == ["krb-a-ccache-writer", "krb-a-ccache-writer", "krb-b-ccache-writer", "krb-b-ccache-writer",
                     "krb-config", "krb-delinea-config", "krb-deployment", "krb-service-account"]
    rendered = json.dumps([engine.redact(r.inputs) for r in recording.resources])
    assert "vault-PASSWORD" not in rendered


# --- the pure spec functions ---------------------------------------------------------------------

def test_network_policies_allow_only_what_is_declared():
    specs = network_policy_specs("platform", [EgressAllow(("10.0.0.1/32",), (("TCP", 88),)),
                                              EgressAllow((), (("TCP", 443),))])
    assert set(specs) == {DEFAULT_DENY, ALLOW}
    # The specs are the SDK's typed dicts (snake_case keys; the SDK sends them as camelCase).
    assert specs[DEFAULT_DENY] == {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}
    egress = specs[ALLOW]["egress"]
    assert len(egress) == 3, "DNS, in-cluster, the one destination with CIDRs (none without)"
    assert egress[2] == {"to": [{"ip_block": {"cidr": "10.0.0.1/32"}}], "ports": [{"protocol": "TCP", "port": 88}]}
    assert specs[ALLOW]["ingress"] == [{"from_": [
        {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "platform"}}}, {"pod_selector": {}}]}]


def test_quota_spec_caps_requests_and_limits():
    hard = quota_spec(QuotaCeiling("4", "8Gi"))["hard"]
    assert hard["requests.cpu"] == hard["limits.cpu"] == "4"
    assert hard["requests.memory"] == hard["limits.memory"] == "8Gi"
    assert hard["services.loadbalancers"] == hard["services.nodeports"] == "0"


def test_deployment_spec_rolls_on_config_change_only():
    settings = ManagerSettings("registry.test/platform/kerberos-manager:1", "pull", 2, 3600, 36000)
    vault = VaultAccess("https://vault.test/SecretServer", "svc-test", "17")
    first = deployment_spec(settings, {"a": "b"}, config_checksum({"tenants.json": "[]", "krb5.conf": "x"}), vault)
    same = deployment_spec(settings, {"a": "b"}, config_checksum({"krb5.conf": "x", "tenants.json": "[]"}), vault)
    other = deployment_spec(settings, {"a": "b"}, config_checksum({"tenants.json": "[1]", "krb5.conf": "x"}), vault)

    def checksum(spec: dict) -> str:
        return spec["template"]["metadata"]["annotations"]["checksum/config"]

    assert checksum(first) == checksum(same) != checksum(other)
    assert first["replicas"] == 2 and first["template"]["spec"]["image_pull_secrets"] == [{"name": "pull"}]


def test_tenants_document_names_each_cache():
    document = json.loads(tenants_document([KerberosTenant("a", "ns-a", "svc-a@R", 7)]))
    assert document == [{"tenant": "a", "namespace": "ns-a", "principal": "svc-a@R", "keytabSecretId": 7,
                         "cacheSecret": "kerberos-ccache", "cacheKey": "krb5cc_a"}]
