"""The explicit Kubernetes provider every object of this project is declared through."""

from __future__ import annotations

import pulumi_kubernetes as k8s

PLATFORM_PROVIDER = "kubernetes"


def data_plane_provider_name(plane: str) -> str:
    return f"{PLATFORM_PROVIDER}-{plane}"


def plane_of_provider(name: str) -> str | None:
    """The data plane a provider (by resource name) writes to; None for the platform's cluster."""
    return name.removeprefix(f"{PLATFORM_PROVIDER}-") if name.startswith(f"{PLATFORM_PROVIDER}-") else None


def kubernetes_provider(name: str, context: str | None, kubeconfig: str | None) -> k8s.Provider:
    """A provider for one cluster (a kubeconfig context or a kubeconfig file).

    ConfigMaps and Secrets change in place: their consumers roll on a checksum, and the
    provider's default (replace on a data change) leaves a moment without the object.
    """
    return k8s.Provider(name, context=context, kubeconfig=kubeconfig,
                        enable_config_map_mutable=True, enable_secret_mutable=True)
