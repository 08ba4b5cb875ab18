"""KerberosSidecar: the ticket manager's Deployment, its RBAC scope and its tenants file."""

from __future__ import annotations

import json

import pytest

from standins import mock_engine as engine
from tests.helpers import STACKS, TEST_SECRETS, replacement_paths, run_document


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
    assert container["image"] == "artifactory.company.com/platform/kerberos-manager:1.0.0"
    env = {e["name"]: e for e in container["env"]}
    assert env["DELINEA_VAULT_URL"] == {"name": "DELINEA_VAULT_URL", "value": "https://vault.company.com/SecretServer"}
    assert env["DELINEA_USERNAME"] == {"name": "DELINEA_USERNAME", "value": "svc-kerberos-dev"}
    assert env["DELINEA_PASSWORD"] == {"name": "DELINEA_PASSWORD",
                                       "valueFrom": {"secretKeyRef": {"name": "delinea-credentials", "key": "password"}}}
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


def credentials(recording):
    return next(r for r in recording.resources if r.name == "kerberos-delinea-config")


def test_the_credentials_secret_holds_only_the_password(recordings):
    secret = credentials(recordings["dev"])
    assert secret.inputs["metadata"]["name"] == "delinea-credentials"
    assert engine.reveal(secret.inputs["stringData"]) == {"password": TEST_SECRETS["delineaPassword"]}


def test_the_renamed_secret_is_replaced_not_orphaned(recordings):
    # Same resource (URN and legacy alias) as the delinea-config Secret; its new object name makes
    # the provider replace it, so the old Secret is deleted once the new one exists.
    secret = credentials(recordings["dev"])
    assert secret.declared_aliases == [{"name": "delinea-config"}]
    before = {**secret.inputs, "metadata": {**secret.inputs["metadata"], "name": "delinea-config"}}
    assert replacement_paths(secret.type, before, secret.inputs, {"enableSecretMutable": True}) == ["metadata.name"]


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
    manager = next(r.urn for r in recording.resources if r.type == "astronomer:platform:KerberosSidecar")
    assert not [r for r in recording.resources if r.parent == manager and "Cluster" in r.type]


def test_no_object_has_two_owners(recordings):
    for recording in recordings.values():
        keys = [(r.type, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"])
                for r in recording.kubernetes_objects()]
        assert len(keys) == len(set(keys))


def annotations(recording):
    return deployment(recording)["spec"]["template"]["metadata"]["annotations"]


def checksum(recording):
    return annotations(recording)["checksum/config"]


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


def changed_inputs(before, after):
    """Resource name -> (before, after) revealed inputs, for each resource whose inputs differ."""
    old, new = ({r.urn: r for r in recording.resources} for recording in (before, after))
    assert old.keys() == new.keys()
    pairs = {old[urn].name: (engine.reveal(old[urn].inputs), engine.reveal(new[urn].inputs)) for urn in old}
    return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}


def without_credentials_version(spec):
    template = spec["spec"]["template"]["metadata"]
    annotations = {k: v for k, v in template["annotations"].items() if k != "kerberos-manager/credentials-version"}
    return {**spec, "spec": {**spec["spec"], "template": {**spec["spec"]["template"],
                                                          "metadata": {**template, "annotations": annotations}}}}


def test_a_new_delinea_password_changes_the_secret_and_the_credentials_version_only(document, recordings):
    rotated = run_document(document("dev"), secrets={**TEST_SECRETS, "delineaPassword": "delinea-ROTATED-0b1d"})
    changed = changed_inputs(recordings["dev"], rotated)
    assert set(changed) == {"kerberos-delinea-config", "kerberos-deployment"}
    was, now = changed["kerberos-deployment"]
    assert without_credentials_version(was) == without_credentials_version(now)
    versions = [spec["spec"]["template"]["metadata"]["annotations"]["kerberos-manager/credentials-version"]
                for spec in (was, now)]
    assert versions[0] != versions[1]
    assert TEST_SECRETS["delineaPassword"] not in json.dumps(was)


def test_the_credentials_version_is_the_secrets_resource_version(recordings):
    # The annotation is an output of the Secret (its resourceVersion, here the offline engine's
    # placeholder), not something the program derives from the password.
    recording = recordings["dev"]
    spec = recording.of_type("kubernetes:apps/v1:Deployment")[0]
    assert credentials(recording).urn in spec.property_dependencies["spec"]
    assert annotations(recording)["kerberos-manager/credentials-version"].startswith("offline-")


def test_a_new_vault_url_or_user_changes_the_pod_template_env(document, recordings):
    moved = document("dev")
    moved["kerberos"]["delinea"] |= {"url": "https://vault2.company.com/SecretServer", "username": "svc-kerberos-2"}
    changed = changed_inputs(recordings["dev"], run_document(moved))
    assert set(changed) == {"kerberos-deployment"}, "the credentials Secret holds neither"
    was, now = changed["kerberos-deployment"]
    env = [{e["name"]: e.get("value") for e in spec["spec"]["template"]["spec"]["containers"][0]["env"]}
           for spec in (was, now)]
    assert (env[0]["DELINEA_VAULT_URL"], env[1]["DELINEA_VAULT_URL"]) == (
        "https://vault.company.com/SecretServer", "https://vault2.company.com/SecretServer")
    assert (env[0]["DELINEA_USERNAME"], env[1]["DELINEA_USERNAME"]) == ("svc-kerberos-dev", "svc-kerberos-2")
    assert annotations(recordings["dev"]) == now["spec"]["template"]["metadata"]["annotations"]


def test_an_unchanged_secret_keeps_its_version(document, recordings):
    # A second preview shows no change: the same Secret gives the same resourceVersion.
    assert annotations(run_document(document("dev"))) == annotations(recordings["dev"])


def test_only_the_ticket_manager_reaches_the_vault(recordings):
    recording = recordings["dev"]
    (policy,) = [r for r in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                 if r.inputs["metadata"]["name"] == "kerberos-manager-egress"]
    assert policy.inputs["metadata"]["namespace"] == "astronomer"
    spec = policy.inputs["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "kerberos-manager"}}
    assert spec["policyTypes"] == ["Egress"]
    dns, api_server, kdc, vault = spec["egress"]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert api_server["to"] == [{"ipBlock": {"cidr": "10.0.0.10/32"}}]
    assert {(p["protocol"], p["port"]) for p in kdc["ports"]} == {("TCP", 88), ("UDP", 88)}
    assert vault == {"to": [{"ipBlock": {"cidr": "10.30.4.0/28"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    # Its pods start restricted: the Deployment waits for the policy.
    (deployment,) = recording.of_type("kubernetes:apps/v1:Deployment")
    assert policy.urn in deployment.dependencies
