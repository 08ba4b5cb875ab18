"""Tenant fan-out: every object in the right namespace with the right labels, at scale, no churn."""

from __future__ import annotations

import json

import pytest

from components.registry import TENANT_PULL_SECRET_NAME
from config.sizing import ComponentShare, platform_quota, quota_ceiling
from config.tenant import TenantDeployment
from stackfile.read import validate_file
from standins import mock_engine as engine
from standins.tenants import synthetic_tenants
from tests.helpers import ROOT, STACKS, TEST_SECRETS, run_document

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def tenant_objects(recording: engine.Recording, namespace: str) -> dict[tuple[str, str], dict]:
    """(kind, name) -> inputs of every object in ``namespace``."""
    objects = {}
    for resource in recording.kubernetes_objects():
        metadata = resource.inputs.get("metadata", {})
        if metadata.get("namespace") == namespace:
            objects[(resource.type.rsplit(":", 1)[1], metadata["name"])] = engine.reveal(resource.inputs)
    return objects


@pytest.mark.parametrize("stack", STACKS)
def test_every_tenant_gets_its_objects(recordings, stack):
    config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
    recording = recordings[stack]
    for tenant in config.tenants:
        objects = tenant_objects(recording, tenant.namespace)
        expected = {
            ("NetworkPolicy", "default-deny"), ("NetworkPolicy", "tenant-allow"),
            ("ResourceQuota", "tenant-ceiling"), ("RoleBinding", "tenant-admin"),
            ("ConfigMap", "kerberos-mount-config"), ("ConfigMap", "krb5-config"), ("Secret", "kerberos-ccache"),
            ("ConfigMap", "datakits"),
            ("Role", "kerberos-ccache-writer"), ("RoleBinding", "kerberos-ccache-writer"),
        }
        assert expected <= set(objects), (tenant.name, expected - set(objects))
        assert ("ConfigMap", "airflow-settings") not in objects  # retired: the deployment's environment holds it
        assert not any(kind == "LimitRange" for kind, _ in objects)
        for (kind, name), inputs in objects.items():
            labels = inputs["metadata"]["labels"]
            if kind not in ("Role", "RoleBinding") or name != "kerberos-ccache-writer":
                assert labels["astronomer.io/tenant"] == tenant.name, (kind, name)
            assert labels["astronomer.io/environment"] == stack


@pytest.mark.parametrize("stack", STACKS)
def test_namespace_labels_and_protection(recordings, stack):
    config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
    namespaces = {r.inputs["metadata"]["name"]: r for r in recordings[stack].of_type("kubernetes:core/v1:Namespace")}
    for tenant in config.tenants:
        namespace = namespaces[tenant.namespace]
        labels = namespace.inputs["metadata"]["labels"]
        assert labels["astronomer.io/tenant"] == tenant.name
        assert labels["astronomer.io/platform-release"] == "astronomer"
        assert labels["astronomer.io/environment"] == stack
        for mode, level in (("enforce", "baseline"), ("audit", "restricted"), ("warn", "restricted")):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == level
            assert f"pod-security.kubernetes.io/{mode}-version" in labels
        assert namespace.protect is (stack == "prod")


def test_network_policies(recordings):
    objects = tenant_objects(recordings["dev"], "airflow-finance")
    assert sorted(name for kind, name in objects if kind == "NetworkPolicy") == ["default-deny", "tenant-allow"]
    deny = objects[("NetworkPolicy", "default-deny")]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = objects[("NetworkPolicy", "tenant-allow")]["spec"]
    platform = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "astronomer"}}}
    same_namespace = {"podSelector": {}}
    assert allow["ingress"] == [{"from": [platform, same_namespace]}]
    dns, internal, api_server, kdc, database, data_sources = allow["egress"]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert internal == {"to": [platform, same_namespace]}
    # Schedulers and workers launch pods through the API server's endpoints.
    assert api_server == {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert {(p["protocol"], p["port"]) for p in kdc["ports"]} == {("TCP", 88), ("UDP", 88)}
    assert [b["ipBlock"]["cidr"] for b in kdc["to"]] == ["10.20.0.10/32", "10.20.0.11/32"]
    assert database["ports"] == [{"protocol": "TCP", "port": 5432}]
    # The vault holds every keytab: no tenant reaches it.
    vault = {"ipBlock": {"cidr": "10.30.4.0/28"}}
    assert not [rule for rule in allow["egress"] if vault in rule.get("to", [])]
    assert {p["port"] for p in data_sources["ports"]} == {1433, 1521}
    # marketing has no extra egress rules: one rule fewer
    marketing = tenant_objects(recordings["dev"], "airflow-marketing")[("NetworkPolicy", "tenant-allow")]["spec"]
    assert marketing["egress"] == allow["egress"][:-1]


def test_kdc_ports_follow_the_kdcs(document):
    doc = document("dev")
    doc["kerberos"]["kdcs"] = ["kdc1.corp.company.com:8888", "kdc2.corp.company.com"]
    objects = tenant_objects(run_document(doc), "airflow-finance")
    kdc = objects[("NetworkPolicy", "tenant-allow")]["spec"]["egress"][3]
    assert {(p["protocol"], p["port"]) for p in kdc["ports"]} == {(proto, port) for proto in ("TCP", "UDP")
                                                               for port in (88, 8888)}


def test_every_tenant_namespace_holds_the_read_only_pull_login(recordings):
    for stack in ("dev", "prod"):
        secrets = [r for r in recordings[stack].of_type("kubernetes:core/v1:Secret")
                   if r.inputs["metadata"]["name"] == TENANT_PULL_SECRET_NAME]
        assert sorted(r.inputs["metadata"]["namespace"] for r in secrets) == [
            "airflow-analytics", "airflow-finance", "airflow-marketing"]
        for secret in secrets:
            assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
            assert engine.is_secret(secret.inputs["stringData"])
            auths = json.loads(engine.reveal(secret.inputs["stringData"])[".dockerconfigjson"])["auths"]
            (login,) = auths.values()
            # The read-only user, never the platform's own (which pushes images).
            assert login["username"] == f"svc-astronomer-{stack}-pull"
            assert login["password"] == TEST_SECRETS["artifactoryPullPassword"]


def test_the_platform_names_the_tenant_pull_secret_to_houston(recordings):
    release = recordings["dev"].of_type("kubernetes:helm.sh/v3:Release")[0]
    registry = release.inputs["values"]["astronomer"]["houston"]["config"]["registry"]["protectedCustomRegistry"]
    assert registry["baseRegistry"] == {"enabled": True, "host": "artifactory.company.com/astronomer",
                                        "secretName": TENANT_PULL_SECRET_NAME}
    assert registry["updateRegistry"] == {"enabled": True, "host": "artifactory.company.com/deployments",
                                          "secretName": TENANT_PULL_SECRET_NAME}


def test_quota_is_a_ceiling_above_the_platform(recordings):
    dev = tenant_objects(recordings["dev"], "airflow-finance")[("ResourceQuota", "tenant-ceiling")]["spec"]["hard"]
    # finance: 10 workers, default sizes (scheduler 1 CPU/2Gi, webserver 0.5/2Gi, triggerer 0.5/1Gi, worker 1/2Gi)
    # plus the allowance (1 CPU/2Gi): 13 CPU and 27Gi, doubled by the platform, times 1.5.
    assert dev["requests.cpu"] == dev["limits.cpu"] == "39000m"
    assert dev["requests.memory"] == dev["limits.memory"] == f"{27 * 2 * 3 // 2 * 1024}Mi"
    assert dev["services.loadbalancers"] == "0" and dev["services.nodeports"] == "0"
    assert platform_quota(TenantDeployment().shares(10))["cpu"] == 26
    prod = tenant_objects(recordings["prod"], "airflow-finance")[("ResourceQuota", "tenant-ceiling")]["spec"]["hard"]
    assert prod["limits.cpu"] == "40" and prod["limits.memory"] == "160Gi"


def test_role_bindings_are_namespaced_and_use_the_platforms_tenant_roles(recordings):
    for recording in recordings.values():
        assert not [r for r in recording.resources if "ClusterRoleBinding" in r.type]
    objects = tenant_objects(recordings["dev"], "airflow-finance")
    admin = objects[("RoleBinding", "tenant-admin")]
    assert admin["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                "name": "astronomer-tenant-admin"}
    assert admin["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "astro-finance-admins"}]
    assert objects[("RoleBinding", "tenant-view")]["roleRef"]["name"] == "astronomer-tenant-view"
    assert ("RoleBinding", "tenant-edit") not in objects


def test_kerberos_wiring(recordings):
    recording = recordings["dev"]
    objects = tenant_objects(recording, "airflow-marketing")
    mount = objects[("ConfigMap", "kerberos-mount-config")]["data"]
    assert mount == {"mount_path": "/krb5/cache", "ticket_cache": "krb5cc_marketing",
                     "KRB5CCNAME": "FILE:/krb5/cache/krb5cc_marketing"}
    krb5 = objects[("ConfigMap", "krb5-config")]["data"]["krb5.conf"]
    assert "default_realm = CORP.COMPANY.COM" in krb5 and "kdc = kdc2.corp.company.com" in krb5
    assert "noaddresses = true" in krb5
    cache = next(r for r in recording.resources if r.name == "marketing-kerberos-ccache")
    assert set(cache.ignore_changes) == {"data", "stringData"}
    assert "data" not in cache.inputs and "stringData" not in cache.inputs
    # Keytabs never enter a tenant namespace: no keytab or vault credential in any tenant object.
    for inputs in objects.values():
        text = json.dumps(inputs)
        assert "keytab" not in text.lower() and "delinea" not in text.lower()


def test_datakits(recordings):
    objects = tenant_objects(recordings["dev"], "airflow-finance")
    assert objects[("ConfigMap", "datakits")]["data"] == {
        "sqlserver-bronze": "artifactory.company.com/datakits/sqlserver-bronze:1.3.0",
        "oracle-bronze": "artifactory.company.com/datakits/oracle-bronze:2.0.1",
    }


@pytest.mark.slow
def test_two_hundred_tenants_have_unique_urns(document):
    doc = document("dev")
    doc["tenants"] = synthetic_tenants(200)
    recording = run_document(doc)  # raises DuplicateUrnError on any duplicate
    urns = [r.urn for r in recording.resources]
    assert len(urns) == len(set(urns))
    assert len(recording.of_type("astronomer:platform:Tenant")) == 200
    assert len(recording.of_type("kubernetes:core/v1:Namespace")) == 201


def test_adding_a_tenant_changes_no_other_tenant(document):
    before_doc = document("dev")
    before_doc["tenants"] = synthetic_tenants(5)
    after_doc = document("dev")
    after_doc["tenants"] = synthetic_tenants(2) + synthetic_tenants(1, start=99) + synthetic_tenants(3, start=2)
    before, after = run_document(before_doc), run_document(after_doc)

    def tenant_resources(recording):
        return {r.urn: json.dumps(engine.reveal(r.inputs), sort_keys=True) for r in recording.resources
                if "lob" in r.name and "kerberos-manager" not in r.name}

    old, new = tenant_resources(before), tenant_resources(after)
    assert set(old) <= set(new)
    assert {urn: new[urn] for urn in old} == old
    assert all("lob0099" in urn for urn in set(new) - set(old))


def test_quota_ceiling_formula():
    shares = [ComponentShare(2, "500m", "1Gi"), ComponentShare(3, "2", "4Gi")]
    # (2 x 0.5 + 3 x 2 + 1 allowance) CPU x 2 x 1.5; (2 x 1 + 3 x 4 + 2 allowance) Gi x 2 x 1.5
    assert quota_ceiling(shares) == {"cpu": f"{8 * 3 * 1000}m", "memory": f"{16 * 3 * 1024}Mi"}
    assert platform_quota(shares) == {"cpu": 16, "memory": 32 * 2**30}


def test_objects_in_a_tenant_namespace_go_with_it(recordings):
    # Deleting a namespace deletes what it holds: the engine then skips those deletes one by one.
    recording = recordings["dev"]
    namespaces = {r.inputs["metadata"]["name"]: r.urn for r in recording.of_type("kubernetes:core/v1:Namespace")}
    inside = [r for r in recording.kubernetes_objects()
              if r.inputs.get("metadata", {}).get("namespace", "").startswith("airflow-")]
    assert len(inside) > 30
    for registration in inside:
        assert registration.deleted_with == namespaces[registration.inputs["metadata"]["namespace"]], registration.urn
