"""What the real engine would do with a change: no phantom diffs, in-place updates, no replacements.

The mock engine does not diff, so these tests apply the rules the API server and the
pulumi-kubernetes provider follow to what the program declares.
"""

from __future__ import annotations

from typing import Any

import pytest

from standins import mock_engine as engine
from standins.tenants import synthetic_tenants
from tests.helpers import STACKS, replacement_paths, run_document

# An empty LabelSelector means "every pod" and the API server keeps it; any other empty map or
# list is dropped on write, so the provider would report it as a difference on every preview.
EMPTY_ALLOWED = ("podSelector",)
PROVIDER = "pulumi:providers:kubernetes"


def empty_values(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        found = [path] if not value and not path.endswith(EMPTY_ALLOWED) else []
        return found + [p for key, item in value.items() for p in empty_values(item, f"{path}.{key}")]
    if isinstance(value, list):
        found = [path] if not value else []
        return found + [p for index, item in enumerate(value) for p in empty_values(item, f"{path}[{index}]")]
    return []


def test_the_empty_check_finds_empty_maps_and_lists():
    assert empty_values({"metadata": {"annotations": {}}, "spec": {"podSelector": {}, "ports": []}}) == [
        ".metadata.annotations", ".spec.ports"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_declared_object_holds_an_empty_map_or_list(recordings, stack):
    for resource in recordings[stack].resources:
        if resource.custom and resource.type.startswith("kubernetes:"):
            assert empty_values(engine.reveal(resource.inputs)) == [], resource.urn


def provider_config(recording: engine.Recording) -> dict[str, Any]:
    (provider,) = recording.of_type(PROVIDER)
    return {key: engine.provider_input(value) for key, value in engine.reveal(provider.inputs).items()}


def test_configmaps_and_secrets_are_updated_in_place(recordings):
    config = provider_config(recordings["dev"])
    assert config["enableConfigMapMutable"] is True and config["enableSecretMutable"] is True


def changes(before: engine.Recording, after: engine.Recording) -> tuple[dict[str, list[str]], set[str], set[str]]:
    """URN -> paths that force a replacement, for each changed resource; the changed and added URNs."""
    old = {r.urn: r for r in before.resources}
    new = {r.urn: r for r in after.resources}
    provider = provider_config(after)
    changed, replaced = set(), {}
    for urn in old.keys() & new.keys():
        was, now = engine.reveal(old[urn].inputs), engine.reveal(new[urn].inputs)
        if was != now:
            changed.add(urn)
            paths = replacement_paths(new[urn].type, was, now, provider)
            if paths:
                replaced[urn] = paths
    return replaced, changed, set(new) - set(old)


def test_adding_a_tenant_creates_its_objects_and_updates_only_the_shared_ones(document):
    before_doc, after_doc = document("dev"), document("dev")
    before_doc["tenants"] = synthetic_tenants(10)
    after_doc["tenants"] = synthetic_tenants(11)
    replaced, changed, added = changes(run_document(before_doc), run_document(after_doc))
    assert replaced == {}
    # The ticket manager's tenants file (and the checksum that rolls its pods), the platform's pools.
    assert sorted(urn.rsplit("::", 1)[1] for urn in changed) == [
        "astronomer-release", "kerberos-config", "kerberos-deployment"]
    assert added and all("lob0010" in urn for urn in added)


def test_changed_settings_and_secrets_update_in_place(document):
    before = run_document(document("dev"))
    after_doc = document("dev")
    after_doc["kerberos"]["delinea"]["url"] = "https://vault2.company.com/SecretServer"
    after_doc["kerberos"]["kdcs"].append("kdc3.corp.company.com")
    secrets = {"artifactoryPassword": "rotated-1", "databaseConnection": "postgres://a:rotated-2@db:5432",
               "delineaPassword": "rotated-3", "houstonApiKey": "rotated-4", "artifactoryPullPassword": "rotated-5"}
    replaced, changed, added = changes(before, run_document(after_doc, secrets=secrets))
    assert replaced == {} and not added
    names = {urn.rsplit("::", 1)[1] for urn in changed}
    assert {"kerberos-delinea-config", "astronomer-registry-pull-secret", "astronomer-database-bootstrap-secret",
            "kerberos-config", "finance-krb5-config", "finance-workspace", "finance-deployment",
            "finance-pull-secret"} <= names


def test_without_the_mutable_flags_a_data_change_would_replace():
    # The rule the tests above rely on, checked against what the provider does by default.
    old, new = {"data": {"a": "1"}}, {"data": {"a": "2"}}
    assert replacement_paths("kubernetes:core/v1:ConfigMap", old, new, {}) == ["data"]
    assert replacement_paths("kubernetes:core/v1:ConfigMap", old, new, {"enableConfigMapMutable": True}) == []
    assert replacement_paths("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                             {"roleRef": {"kind": "Role"}}, {"roleRef": {"kind": "ClusterRole"}}, {}) == ["roleRef"]
