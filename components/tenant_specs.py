"""A tenant namespace's isolation as plain data: its NetworkPolicies and its quota ceiling.

Pure functions, so the rules can be read and tested without Pulumi.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_DENY = "default-deny"
ALLOW = "tenant-allow"


@dataclass(frozen=True)
class EgressAllow:
    """Destinations outside the cluster that a tenant's pods may reach (NetworkPolicy needs CIDRs)."""

    cidrs: Sequence[str]
    """destination CIDR blocks; an allow without any is left out"""
    ports: Sequence[tuple[str, int]]
    """(protocol, port) pairs, e.g. ("TCP", 88)"""


@dataclass(frozen=True)
class QuotaCeiling:
    """A tenant's ResourceQuota: a ceiling above the platform's own per-deployment quota."""

    cpu: str
    """CPU ceiling as a Kubernetes quantity"""
    memory: str
    """memory ceiling as a Kubernetes quantity"""


def _namespace_peer(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


# Every pod of the policy's own namespace. An empty selector here is kept by the API server (a
# LabelSelector is never dropped), unlike an empty map elsewhere.
_SAME_NAMESPACE = {"podSelector": {}}
_KUBE_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def network_policy_specs(platform_namespace: str, egress: Sequence[EgressAllow]) -> dict[str, dict[str, Any]]:
    """The tenant's two NetworkPolicies, by object name.

    ``default-deny`` selects every pod and allows nothing. ``tenant-allow`` then allows, as one
    rule each: DNS (kube-dns), the platform namespace both ways, the namespace's own pods both ways,
    and each external destination on its ports. Policies add up, so one policy with several rules
    isolates exactly as one policy per rule did, with fewer objects per tenant.
    """
    platform = _namespace_peer(platform_namespace)
    egress_rules: list[dict[str, Any]] = [
        {"to": [_KUBE_DNS], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"to": [platform, _SAME_NAMESPACE]},
    ]
    egress_rules += [
        {
            "to": [{"ipBlock": {"cidr": cidr}} for cidr in allow.cidrs],
            "ports": [{"protocol": protocol, "port": port} for protocol, port in allow.ports],
        }
        for allow in egress
        if allow.cidrs
    ]
    return {
        DEFAULT_DENY: {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        ALLOW: {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [platform, _SAME_NAMESPACE]}],
            "egress": egress_rules,
        },
    }


def quota_spec(ceiling: QuotaCeiling) -> dict[str, Any]:
    """Requests and limits capped at the ceiling; no LoadBalancer or NodePort Service at all."""
    return {
        "hard": {
            "requests.cpu": ceiling.cpu,
            "limits.cpu": ceiling.cpu,
            "requests.memory": ceiling.memory,
            "limits.memory": ceiling.memory,
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }
    }
