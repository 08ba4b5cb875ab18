"""Labels every object of this program carries, and Pod Security Admission namespace labels."""

from __future__ import annotations

from config.models import PodSecurity

# Marks a namespace as a tenant's; the policy pack finds tenant namespaces by it.
TENANT_LABEL = "astronomer.io/tenant"
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "astronomer-platform"}


def standard_labels(environment: str, component: str, **extra: str) -> dict[str, str]:
    return {**MANAGED_BY, "astronomer.io/environment": environment, "app.kubernetes.io/component": component, **extra}


def pod_security_labels(levels: PodSecurity) -> dict[str, str]:
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = getattr(levels, mode)
        labels[f"pod-security.kubernetes.io/{mode}-version"] = levels.version
    return labels
