"""A tenant namespace's isolation as plain data: its NetworkPolicies and its quota ceiling.

Pure functions, so the rules can be read and tested without Pulumi.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pulumi_kubernetes.core.v1 import ResourceQuotaSpecArgsDict
from pulumi_kubernetes.networking.v1 import (
    NetworkPolicyEgressRuleArgsDict,
    NetworkPolicyPeerArgsDict,
    NetworkPolicySpecArgsDict,
)

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


def _namespace_peer(namespace: str) -> NetworkPolicyPeerArgsDict:
    return {"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": namespace}}}


# Every pod of the policy's own namespace. An empty selector here is kept by the API server (a
# LabelSelector is never dropped), unlike an empty map elsewhere.
_SAME_NAMESPACE: NetworkPolicyPeerArgsDict = {"pod_selector": {}}
_KUBE_DNS: NetworkPolicyPeerArgsDict = {
    "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
    "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
}
DNS_RULE: NetworkPolicyEgressRuleArgsDict = {
    "to": [_KUBE_DNS], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}


def external_rule(allow: EgressAllow) -> NetworkPolicyEgressRuleArgsDict:
    return {
        "to": [{"ip_block": {"cidr": cidr}} for cidr in allow.cidrs],
        "ports": [{"protocol": protocol, "port": port} for protocol, port in allow.ports],
    }


def network_policy_specs(
    platform_namespace: str, egress: Sequence[EgressAllow]
) -> dict[str, NetworkPolicySpecArgsDict]:
    """The tenant's two NetworkPolicies, by object name.

    ``default-deny`` selects every pod and allows nothing. ``tenant-allow`` then allows, as one
    rule each: DNS (kube-dns), the platform namespace both ways, the namespace's own pods both ways,
    and each external destination on its ports. Policies add up, so one policy with several rules
    isolates exactly as one policy per rule did, with fewer objects per tenant.
    """
    platform = _namespace_peer(platform_namespace)
    egress_rules: list[NetworkPolicyEgressRuleArgsDict] = [DNS_RULE, {"to": [platform, _SAME_NAMESPACE]}]
    egress_rules += [external_rule(allow) for allow in egress if allow.cidrs]
    return {
        DEFAULT_DENY: {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]},
        ALLOW: {
            "pod_selector": {},
            "policy_types": ["Ingress", "Egress"],
            "ingress": [{"from_": [platform, _SAME_NAMESPACE]}],
            "egress": egress_rules,
        },
    }


def quota_spec(ceiling: QuotaCeiling) -> ResourceQuotaSpecArgsDict:
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
