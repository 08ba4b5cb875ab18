"""What a tenant's IdP groups may do in its namespace, as plain data: the rules of the three tenant
ClusterRoles (admin, edit, view) that the platform defines once and each tenant binds with RoleBindings.

Unlike the built-in ``admin``/``edit`` ClusterRoles, none of them may write what isolates the
namespace (NetworkPolicies, ResourceQuotas, LimitRanges, Roles, RoleBindings): those are readable,
so a tenant can see its limits, and only the deployer changes them (``isolation_policy``).
"""

from __future__ import annotations

from typing import Literal, get_args

from pulumi_kubernetes.rbac.v1 import PolicyRuleArgsDict

TenantRole = Literal["admin", "edit", "view"]
TENANT_ROLES: tuple[TenantRole, ...] = get_args(TenantRole)

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
# The API group and resources of every kind the tenant's isolation depends on: read, never written.
ISOLATION_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("networking.k8s.io", ("networkpolicies",)),
    ("", ("resourcequotas", "limitranges")),
    ("rbac.authorization.k8s.io", ("roles", "rolebindings")),
)

# (API group, resources) of everyday work: written by edit and admin, read by view.
_WORKLOADS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("pods", "services", "configmaps", "persistentvolumeclaims")),
    ("apps", ("deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets",
              "statefulsets/scale")),
    ("batch", ("jobs", "cronjobs")),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("policy", ("poddisruptionbudgets",)),
)
# Read-only for every tenant role, besides the workloads. Secrets are not readable in view (as in
# the built-in view).
_READ_ONLY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("", ("pods/log", "pods/status", "events", "endpoints", "serviceaccounts")),
    ("events.k8s.io", ("events",)),
    *ISOLATION_KINDS,
)
# Interactive access to a running pod. kubectl's WebSocket upgrade is a GET, authorized as either
# verb depending on the API server's version: allow both.
_POD_ACCESS = ("pods/exec", "pods/attach", "pods/portforward")


def _rule(api_group: str, resources: tuple[str, ...], verbs: tuple[str, ...]) -> PolicyRuleArgsDict:
    return {"api_groups": [api_group], "resources": list(resources), "verbs": list(verbs)}


def tenant_role_rules(role: TenantRole) -> list[PolicyRuleArgsDict]:
    """The rules of one tenant role.

    view: read everyday objects and the isolation objects, pod logs and events, no Secrets.
    edit: view, plus write pods, workloads, jobs, services, config maps, Secrets and PVCs, and
    exec, attach and port-forward into pods. admin: edit, plus service accounts and debug
    (ephemeral) containers.
    """
    workload_verbs = READ if role == "view" else READ + WRITE
    rules = [_rule(group, resources, workload_verbs) for group, resources in _WORKLOADS]
    rules += [_rule(group, resources, READ) for group, resources in _READ_ONLY]
    if role == "view":
        return rules
    rules += [_rule("", ("secrets",), READ + WRITE), _rule("", _POD_ACCESS, ("get", "create"))]
    if role == "admin":
        rules += [_rule("", ("serviceaccounts",), WRITE), _rule("", ("pods/ephemeralcontainers",), ("update", "patch"))]
    return rules


def tenant_role_name(platform_release: str, role: TenantRole) -> str:
    """The cluster-wide name of a tenant role: one set per platform release."""
    return f"{platform_release}-tenant-{role}"
