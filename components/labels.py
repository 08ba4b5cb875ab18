"""Labels and metadata every object of this program carries, and the alias to earlier child names."""

from __future__ import annotations

from typing import Protocol

import pulumi
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

# Marks a namespace as a tenant's; the policy pack finds tenant namespaces by it.
TENANT_LABEL = "astronomer.io/tenant"
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "astronomer-platform"}


class PodSecurityLevels(Protocol):
    """Pod Security Admission levels of a namespace (the config's ``PodSecurity`` is one)."""

    @property
    def enforce(self) -> str: ...
    @property
    def audit(self) -> str: ...
    @property
    def warn(self) -> str: ...
    @property
    def version(self) -> str: ...


def standard_labels(environment: str, component: str, **extra: str) -> dict[str, str]:
    return {**MANAGED_BY, "astronomer.io/environment": environment, "app.kubernetes.io/component": component, **extra}


def pod_security_labels(levels: PodSecurityLevels) -> dict[str, str]:
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = getattr(levels, mode)
        labels[f"pod-security.kubernetes.io/{mode}-version"] = levels.version
    return labels


def object_metadata(
    name: str, namespace: pulumi.Input[str], labels: dict[str, str], annotations: dict[str, str] | None = None
) -> ObjectMetaArgsDict:
    """Metadata of a namespaced object. Annotations only when there are some: the API server drops
    an empty map, and the provider would then report ``+ annotations: {}`` on every preview."""
    metadata: ObjectMetaArgsDict = {"name": name, "namespace": namespace, "labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def legacy_alias(old_name: str, keep: bool) -> list[pulumi.Input[str | pulumi.Alias]]:
    """An alias to a child's earlier name (same type and parent), so renaming it replaces nothing."""
    return [pulumi.Alias(name=old_name)] if keep else []
