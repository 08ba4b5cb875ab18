"""The ``dataPlanes`` section: clusters that run tenants' Airflow for the platform's one control plane.

Astronomer's chart splits from 1.0 on (``global.plane.mode``): Houston, the UI and alerting stay on the platform
cluster, and each data plane runs Commander and what an Airflow deployment needs beside it (docs/data-planes.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from config.base import Issue, Model, Port
from config.cluster import KubernetesConfig
from config.rules import Cidr, Rfc1123Label, Rule

# Host labels the platform's own ingresses use on the base domain (charts/nginx/templates/controlplane and the
# control-plane components' ingresses at v1.2.0 and v2.1.0): a data plane's prefix must not shadow one.
CONTROL_PLANE_HOSTS = frozenset({"app", "houston", "grafana", "alertmanager", "prometheus", "registry",
                                 "deployments", "install", "kibana", "elasticsearch", "prom-proxy"})

PemCertificate = Annotated[str, Field(strict=True), Rule(
    "is not a PEM certificate (text from '-----BEGIN CERTIFICATE-----' to '-----END CERTIFICATE-----')",
    test=lambda value: value.strip().startswith("-----BEGIN CERTIFICATE-----")
    and value.strip().endswith("-----END CERTIFICATE-----"), hide_value=True,
)]


class DataPlaneConfig(Model):
    """One data-plane cluster: a data-plane release of the chart, registered with Houston."""

    name: Rfc1123Label
    """the cluster's name in Houston (unique; a change registers a new cluster)"""
    domain_prefix: Annotated[Rfc1123Label, Rule(
        "is a host name the control plane uses on the base domain; choose another prefix",
        test=lambda value: value not in CONTROL_PLANE_HOSTS)]
    """the data plane's DNS label under the base domain: its hosts are <prefix>.<baseDomain> and
    *.<prefix>.<baseDomain> (global.plane.domainPrefix)"""
    kubernetes: KubernetesConfig
    """the data plane's cluster (its own explicit Kubernetes provider)"""
    api_server_cidrs: list[Cidr] = Field(min_length=1)
    """where this cluster's API server answers: its tenants' schedulers and workers launch pods there"""
    api_server_port: Port = 443
    """the port of this cluster's API server"""
    control_plane_ca: PemCertificate | None = None
    """the CA that signed Houston's certificate, when it is private: the data plane's pre-install hook fetches
    Houston's signing keys over https and trusts it only through this (global.privateCaCerts)"""


def placement_issues(data_planes: list[DataPlaneConfig], platform_kubernetes: KubernetesConfig) -> Iterator[Issue]:
    """Names and prefixes unique; no data plane on the platform's own cluster."""
    for key, attribute, what in (("name", "name", "names"), ("domainPrefix", "domain_prefix", "domain prefixes")):
        seen: dict[str, int] = {}
        for index, plane in enumerate(data_planes):
            value = getattr(plane, attribute)
            if value in seen:
                yield Issue(f"dataPlanes[{index}].{key}", f"{value!r} is already used by dataPlanes[{seen[value]}]; "
                            f"data plane {what} must be unique")
            seen.setdefault(value, index)
    for index, plane in enumerate(data_planes):
        target = (plane.kubernetes.context, plane.kubernetes.kubeconfig)
        if target == (platform_kubernetes.context, platform_kubernetes.kubeconfig):
            yield Issue(f"dataPlanes[{index}].kubernetes", "names the platform's own cluster (kubernetes); a data "
                        "plane is another cluster, and a tenant on the platform's cluster needs no data plane")


def unknown_plane(name: str, data_planes: list[DataPlaneConfig]) -> str | None:
    """Why ``name`` is not a data plane of the stack, or None when it is one."""
    names = [plane.name for plane in data_planes]
    if name in names:
        return None
    defined = f"defined: {', '.join(names)}" if names else "none is defined"
    return f"{name!r} is not a data plane under dataPlanes ({defined})"

