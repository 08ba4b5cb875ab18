"""KerberosSidecar: the ticket manager's Deployment, its RBAC scope and its tenants file."""

from __future__ import annotations

import json

import pytest

from offline import engine
from tests.helpers import STACKS, TEST_SECRETS, run_document


def deployment(recording):
    return engine.reveal(recording.of_type("kubernetes:apps/v1:Deployment")[0].inputs)


def test_deployment_spec(recordings):
    spec = deployment(recordings["dev"])
    assert spec["metadata"] == {**spec["metadata"], "name": "kerberos-sidecar", "namespace": "astronomer"}
    pod = spec["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "kerberos-manager"
    assert pod["imagePullSecrets"] == [{"name": "artifactory-pull-secret"}]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["name"] == "kerberos-manager"
    assert container["image"] == "artifactory.company.com/platform/kerberos-sidecar:1.4.2"
    env = {e["name"]: e for e in container["env"]}
    assert env["DELINEA_VAULT_URL"]["valueFrom"] == {"secretKeyRef": {"name": "delinea-config", "key": "vault-url"}}
    assert env["DELINEA_USERNAME"]["valueFrom"]["secretKeyRef"] == {"name": "delinea-config", "key": "username"}
    assert env["DELINEA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "delinea-config", "key": "password"}
    assert env["KRB5_CONFIG"]["value"] == "/etc/kerberos-manager/krb5.conf"
    assert env["TENANTS_FILE"]["value"] == "/etc/kerberos-manager/tenants.json"
    assert env["RENEW_INTERVAL_SECONDS"]["value"] == "3600"
    assert not any("value" in e and "PASSWORD" in e["name"] for e in container["env"])
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]} and security["runAsNonRoot"] is True
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_delinea_secret(recordings):
    secret = next(r for r in recordings["dev"].resources if r.name == "kerberos-delinea-config")
    assert engine.is_secret(secret.inputs["stringData"])
    data = engine.reveal(secret.inputs["stringData"])
    assert data == {"vault-url": "https://vault.company.com/SecretServer", "username": "svc-kerberos-dev",
                    "password": TEST_SECRETS["delineaPassword"]}


@pytest.mark.parametrize("stack", STACKS)
def test_tenants_file(recordings, stack):
    config_map = next(r for r in recordings[stack].resources if r.name == "kerberos-config")
    tenants = json.loads(config_map.inputs["data"]["tenants.json"])
    assert [t["tenant"] for t in tenants] == ["finance", "marketing", "analytics"]
    finance = tenants[0]
    assert finance == {"tenant": "finance", "namespace": "airflow-finance",
                       "principal": "svc-airflow-finance@CORP.COMPANY.COM",
                       "keytabSecretId": 4101 if stack == "dev" else 5101,
                       "cacheSecret": "kerberos-ccache", "cacheKey": "krb5cc_finance"}
    assert "kdc = kdc1.corp.company.com" in config_map.inputs["data"]["krb5.conf"]


def test_rbac_is_one_named_secret_per_tenant_namespace(recordings):
    recording = recordings["dev"]
    roles = recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert sorted(r.inputs["metadata"]["namespace"] for r in roles) == [
        "airflow-analytics", "airflow-finance", "airflow-marketing"]
    for role in roles:
        assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["secrets"],
                                         "resourceNames": ["kerberos-ccache"], "verbs": ["get", "update", "patch"]}]
    bindings = [b for b in recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                if b.inputs["metadata"]["name"] == "kerberos-ccache-writer"]
    assert len(bindings) == 3
    for binding in bindings:
        assert binding.inputs["roleRef"]["kind"] == "Role"
        assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "kerberos-manager",
                                               "namespace": "astronomer"}]
    assert not [r for r in recording.resources if "Cluster" in r.type]


def test_no_object_has_two_owners(recordings):
    for recording in recordings.values():
        keys = [(r.type, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"])
                for r in recording.kubernetes_objects()]
        assert len(keys) == len(set(keys))


def checksum(recording):
    return deployment(recording)["spec"]["template"]["metadata"]["annotations"]["checksum/config"]


def test_checksum_changes_when_a_tenant_is_added_and_not_otherwise(document, recordings):
    base = checksum(recordings["dev"])
    assert checksum(run_document(document("dev"))) == base
    unrelated = document("dev")
    unrelated["tenants"][0]["maxWorkers"] = 3
    assert checksum(run_document(unrelated)) == base
    added = document("dev")
    added["tenants"].append({**added["tenants"][2], "name": "risk",
                             "kerberos": {"principal": "svc-risk@CORP.COMPANY.COM", "keytabSecretId": 4200}})
    assert checksum(run_document(added)) != base


def test_pdb_only_with_several_replicas(recordings):
    pdb = "kubernetes:policy/v1:PodDisruptionBudget"
    assert recordings["dev"].of_type(pdb) == []
    (budget,) = recordings["prod"].of_type(pdb)
    assert budget.inputs["spec"]["minAvailable"] == 1
    assert deployment(recordings["prod"])["spec"]["replicas"] == 2
