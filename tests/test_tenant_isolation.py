"""A tenant cannot undo its own isolation: its groups get the platform's tenant roles (no write access
to NetworkPolicies, quotas, LimitRanges, Roles or RoleBindings), and an admission policy lets only
the deployers change or delete the program's isolation objects. The live proof is ``make e2e``."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from components.isolation_policy import CONTROLLERS, Deployers, allowed_expression, policy_name
from components.platform import AstronomerPlatform
from components.tenant import Tenant
from components.tenant_rbac import ISOLATION_KINDS, READ, TENANT_ROLES, WRITE, tenant_role_name, tenant_role_rules
from config.errors import ConfigError
from config.secrets import REQUIRED_SECRETS, TENANT_SECRETS
from config.validation import validate
from stackfile.read import validate_file
from standins import mock_engine as engine
from tests.helpers import ROOT, STACKS, chart_settings, platform_args, run_components, tenant_args

CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
ISOLATION_TYPES = ("NetworkPolicy", "ResourceQuota", "LimitRange", "Role", "RoleBinding")
BUILT_IN_ROLES = {"admin", "edit", "view", "cluster-admin"}


def allows(rules: Sequence[Mapping[str, Any]], group: str, resource: str, verb: str) -> bool:
    """Whether RBAC rules (as the API server reads them, wildcards included) grant the request."""
    return any((group in rule["apiGroups"] or "*" in rule["apiGroups"])
               and (resource in rule["resources"] or "*" in rule["resources"])
               and (verb in rule["verbs"] or "*" in rule["verbs"]) for rule in rules)


def api_rules(role: str) -> list[dict[str, Any]]:
    """A tenant role's rules in the API's camelCase, as the recordings hold them."""
    return [{"apiGroups": r["api_groups"], "resources": r["resources"], "verbs": r["verbs"]}
            for r in tenant_role_rules(role)]


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A LabelSelector with matchLabels and Exists expressions (all this program uses)."""
    expressions = selector.get("matchExpressions", [])
    assert all(e["operator"] == "Exists" for e in expressions)
    return (all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
            and all(e["key"] in labels for e in expressions))


def declared(recording: engine.Recording, resource_type: str) -> list[dict[str, Any]]:
    return [engine.reveal(r.inputs) for r in recording.of_type(resource_type)]


# --- the tenant roles ----------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_tenant_role_bindings_name_only_the_platforms_tenant_roles(recordings, stack):
    recording = recordings[stack]
    cluster_roles = {role["metadata"]["name"] for role in declared(recording, CLUSTER_ROLE)}
    assert cluster_roles == {f"astronomer-tenant-{role}" for role in TENANT_ROLES}
    tenant_bindings = [b for b in declared(recording, ROLE_BINDING) if b["metadata"]["name"].startswith("tenant-")]
    assert len(tenant_bindings) >= len(validate_file(ROOT / f"Pulumi.{stack}.yaml").tenants)
    for binding in tenant_bindings:
        ref = binding["roleRef"]
        assert ref["kind"] == "ClusterRole" and ref["name"] not in BUILT_IN_ROLES, binding["metadata"]
        assert ref["name"] in cluster_roles
        assert binding["metadata"]["name"] == "tenant-" + ref["name"].rsplit("-", 1)[1]


@pytest.mark.parametrize("stack", STACKS)
def test_declared_tenant_roles_cannot_write_isolation_objects(recordings, stack):
    roles = declared(recordings[stack], CLUSTER_ROLE)
    assert len(roles) == len(TENANT_ROLES)
    for role in roles:
        rules = role["rules"]
        for group, resources in ISOLATION_KINDS:
            for resource in resources:
                assert all(allows(rules, group, resource, verb) for verb in READ), (role["metadata"], resource)
                assert not [verb for verb in WRITE if allows(rules, group, resource, verb)], (role["metadata"], resource)
        # No wildcard: a kind added to the API later is never granted by accident.
        assert not [rule for rule in rules if "*" in [*rule["apiGroups"], *rule["resources"], *rule["verbs"]]]


@pytest.mark.parametrize("role", ["admin", "edit"])
def test_admin_and_edit_do_everyday_work(role):
    rules = api_rules(role)
    for group, resource, verb in [
        ("", "pods", "create"), ("", "pods/exec", "create"), ("", "pods/exec", "get"), ("", "pods/log", "get"),
        ("", "pods/portforward", "create"), ("", "configmaps", "update"), ("", "secrets", "create"),
        ("", "secrets", "get"), ("", "services", "create"), ("", "persistentvolumeclaims", "delete"),
        ("apps", "deployments", "patch"), ("batch", "jobs", "create"), ("batch", "cronjobs", "delete"),
        ("", "events", "list"), ("events.k8s.io", "events", "watch"), ("", "serviceaccounts", "get"),
    ]:
        assert allows(rules, group, resource, verb), (role, resource, verb)
    # Service accounts and debug containers are the admin's.
    assert allows(rules, "", "serviceaccounts", "create") is (role == "admin")
    assert allows(rules, "", "pods/ephemeralcontainers", "patch") is (role == "admin")


def test_view_reads_without_secrets_or_writes():
    rules = api_rules("view")
    assert allows(rules, "", "pods", "list") and allows(rules, "", "pods/log", "get")
    assert allows(rules, "networking.k8s.io", "networkpolicies", "get")
    assert not allows(rules, "", "secrets", "get")
    assert not [r for r in rules if set(r["verbs"]) - set(READ)]


def test_role_names_follow_the_platform_release():
    def build(opts):
        Tenant("team-a", tenant_args(platform_release="blue", role_groups={"edit": ("devs",)}), opts=opts)

    binding = declared(run_components(build), ROLE_BINDING)[0]
    assert binding["roleRef"]["name"] == tenant_role_name("blue", "edit") == "blue-tenant-edit"
    assert binding["metadata"]["name"] == "tenant-edit"


# --- the admission policy ------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_one_admission_policy_per_platform_with_the_configured_deployers(recordings, stack):
    config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
    recording = recordings[stack]
    (policy,), (binding,) = declared(recording, POLICY), declared(recording, BINDING)
    assert policy["metadata"]["name"] == binding["spec"]["policyName"] == policy_name("astronomer")
    assert binding["spec"]["validationActions"] == ["Deny"]
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    (validation,) = spec["validations"]
    deployers = config.tenancy.deployers
    assert deployers.users or deployers.groups
    for identity in [*deployers.users, *deployers.groups, *CONTROLLERS]:
        assert f'"{identity}"' in validation["expression"]
    assert "request.userInfo.username" in validation["messageExpression"]
    rules = spec["matchConstraints"]["resourceRules"]
    assert {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]} == {
        (g, r) for g, resources in ISOLATION_KINDS for r in resources}
    assert all(rule["operations"] == ["UPDATE", "DELETE"] for rule in rules)


@pytest.mark.parametrize("stack", STACKS)
def test_the_policy_selects_exactly_the_programs_isolation_objects_in_tenant_namespaces(recordings, stack):
    recording = recordings[stack]
    constraints = declared(recording, POLICY)[0]["spec"]["matchConstraints"]
    namespaces = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"]
                  for r in recording.of_type("kubernetes:core/v1:Namespace")}
    tenants = {t.namespace_name for t in validate_file(ROOT / f"Pulumi.{stack}.yaml").tenants}
    assert {name for name, labels in namespaces.items() if selects(constraints["namespaceSelector"], labels)} == tenants
    isolation = [r.inputs["metadata"] for r in recording.kubernetes_objects()
                 if r.type.rsplit(":", 1)[1] in ISOLATION_TYPES and r.inputs["metadata"].get("namespace") in tenants]
    # default-deny, tenant-allow, the quota, the tenant RoleBindings, the ticket manager's Role and RoleBinding
    assert len(isolation) >= 6 * len(tenants)
    assert all(selects(constraints["objectSelector"], m["labels"]) for m in isolation), isolation


def test_a_platform_without_deployers_has_roles_but_no_policy_and_two_platforms_have_their_own():
    def build(opts):
        for release in ("blue", "green"):
            AstronomerPlatform(release, platform_args(
                namespace=release, release_name=release, chart=chart_settings(pool_namespaces=(f"{release}-a",)),
                deployers=Deployers(users=(f"{release}-deployer",), groups=())), opts=opts)
        AstronomerPlatform("bare", platform_args(namespace="bare", release_name="bare"), opts=opts)

    recording = run_components(build)
    policies = {p["metadata"]["name"]: p["spec"] for p in declared(recording, POLICY)}
    assert set(policies) == {"blue-tenant-isolation", "green-tenant-isolation"}
    for release, spec in policies.items():
        release = release.removesuffix("-tenant-isolation")
        assert spec["matchConstraints"]["namespaceSelector"]["matchLabels"] == {
            "astronomer.io/platform-release": release}
        assert f'"{release}-deployer"' in spec["validations"][0]["expression"]
    assert len(declared(recording, BINDING)) == 2
    assert len(declared(recording, CLUSTER_ROLE)) == 3 * len(TENANT_ROLES)


def test_the_allow_expression_quotes_identities_and_checks_groups_only_when_listed():
    users_only = allowed_expression(Deployers(users=('ci "deployer"',), groups=()))
    assert users_only.startswith('request.userInfo.username in ["ci \\"deployer\\"", ')
    assert "groups" not in users_only
    with_groups = allowed_expression(Deployers(users=(), groups=("platform-admins",)))
    assert 'request.userInfo.groups.exists(g, g in ["platform-admins"])' in with_groups
    assert "has(request.userInfo.groups)" in with_groups


# --- config --------------------------------------------------------------------------------------

def problems(document: dict[str, Any]) -> list[str]:
    try:
        validate(document, {*REQUIRED_SECRETS, *TENANT_SECRETS}, {*REQUIRED_SECRETS, *TENANT_SECRETS})
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


@pytest.mark.parametrize(("deployers", "expected"), [
    (None, "tenancy.deployers: is required"),
    ({}, "tenancy.deployers: lists no user or group"),
    ({"users": [], "groups": []}, "tenancy.deployers: lists no user or group"),
    ({"groups": ["system:authenticated"]}, "tenancy.deployers.groups[0]: 'system:authenticated' is a Kubernetes "
                                           "system group"),
    ({"users": ["ci"], "groups": ["ops", "system:serviceaccounts"]}, "tenancy.deployers.groups[1]: "
                                                                     "'system:serviceaccounts' is a Kubernetes"),
    ({"users": ["system:anonymous"]}, "tenancy.deployers.users[0]: 'system:anonymous' is every unauthenticated"),
    ({"users": ["ci"], "admins": ["ops"]}, "tenancy.deployers.admins: is not a known key"),
])
def test_bad_deployers_are_refused_with_the_key_path(document, deployers, expected):
    doc = document("dev")
    if deployers is None:
        del doc["tenancy"]["deployers"]
    else:
        doc["tenancy"]["deployers"] = copy.deepcopy(deployers)
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


def test_committed_stacks_name_their_deployers(document):
    for stack in STACKS:
        assert problems(document(stack)) == []
        assert document(stack)["tenancy"]["deployers"]["users"]
