"""The admission policy that keeps a tenant's isolation objects as the program declared them, as
plain data: a ``ValidatingAdmissionPolicy`` and its binding (admissionregistration.k8s.io/v1).

RBAC decides who may write a kind in a namespace; it cannot single out the program's own objects.
The policy refuses every UPDATE and DELETE of an isolation object that carries the program's labels,
in a tenant namespace of this platform, unless the request comes from a deployer or from a
controller that deletes a namespace's contents. Pure functions, so the rule can be read and tested
without Pulumi.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pulumi_kubernetes.admissionregistration.v1 import (
    NamedRuleWithOperationsArgsDict,
    ValidatingAdmissionPolicyBindingSpecArgsDict,
    ValidatingAdmissionPolicySpecArgsDict,
)

from components.labels import MANAGED_BY, TENANT_LABEL
from components.tenant_rbac import ISOLATION_KINDS

# Every tenant namespace carries the release of the platform that serves it.
PLATFORM_RELEASE_LABEL = "astronomer.io/platform-release"
# The namespace controller deletes everything in a namespace being deleted, the garbage collector
# deletes dependents: refusing either leaves a namespace terminating for ever. These are their
# identities with per-controller credentials (kube-controller-manager
# --use-service-account-credentials, the default of kubeadm and managed clusters).
CONTROLLERS = (
    "system:serviceaccount:kube-system:namespace-controller",
    "system:serviceaccount:kube-system:generic-garbage-collector",
)


@dataclass(frozen=True)
class Deployers:
    """The identities that run ``pulumi up``: only they may change or delete isolation objects."""

    users: Sequence[str]
    """user names, e.g. system:serviceaccount:platform-deploy:pulumi"""
    groups: Sequence[str]
    """groups whose members may (never a group that means everyone)"""


def policy_name(platform_release: str) -> str:
    """Name of the policy and of its binding (cluster-wide: one per platform release)."""
    return f"{platform_release}-tenant-isolation"


def _cel_list(values: Sequence[str]) -> str:
    # A JSON string literal is a CEL string literal too (same quotes and escapes).
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def allowed_expression(deployers: Deployers) -> str:
    """CEL over ``request.userInfo``: true for a deployer or a namespace-emptying controller."""
    terms = [f"request.userInfo.username in {_cel_list([*deployers.users, *CONTROLLERS])}"]
    if deployers.groups:
        # A user without groups has no 'groups' field at all.
        terms.append(f"(has(request.userInfo.groups) && "
                     f"request.userInfo.groups.exists(g, g in {_cel_list(deployers.groups)}))")
    return " || ".join(terms)


def _resource_rules() -> list[NamedRuleWithOperationsArgsDict]:
    return [
        {"api_groups": [group], "api_versions": ["*"], "resources": list(resources),
         "operations": ["UPDATE", "DELETE"]}
        for group, resources in ISOLATION_KINDS
    ]


def admission_policy_spec(platform_release: str, deployers: Deployers) -> ValidatingAdmissionPolicySpecArgsDict:
    """Refuse changes to the program's isolation objects in this platform's tenant namespaces.

    The object selector is checked against the old and the new object, so an update cannot escape
    by removing the labels.
    """
    return {
        "failure_policy": "Fail",
        "match_constraints": {
            "resource_rules": _resource_rules(),
            "namespace_selector": {
                "match_labels": {PLATFORM_RELEASE_LABEL: platform_release},
                "match_expressions": [{"key": TENANT_LABEL, "operator": "Exists"}],
            },
            "object_selector": {"match_labels": dict(MANAGED_BY)},
        },
        "validations": [{
            "expression": allowed_expression(deployers),
            "message_expression": (
                "request.userInfo.username + ' may not ' + request.operation + ' ' + "
                "request.resource.resource + ' ' + request.namespace + '/' + request.name + "
                f"': it isolates a tenant of platform {platform_release}; only its deployers change it "
                "(pulumi up from the stack config)'"
            ),
            "reason": "Forbidden",
        }],
    }


def admission_binding_spec(platform_release: str) -> ValidatingAdmissionPolicyBindingSpecArgsDict:
    """Bind the policy cluster-wide (the policy itself selects the namespaces) and deny."""
    return {"policy_name": policy_name(platform_release), "validation_actions": ["Deny"]}
