"""A split platform's planes: the control plane (Houston) and the data planes (Commander and Airflow)."""

from __future__ import annotations

from typing import Literal

PlaneMode = Literal["unified", "control", "data"]

# The Secret on a data plane that holds the CA of Houston's certificate (key cert.pem, the chart's
# global.privateCaCerts form).
CONTROL_PLANE_CA_SECRET = "astronomer-control-plane-ca"


def metadata_url(domain_prefix: str, base_domain: str) -> str:
    """Where Houston reads a data plane's metadata: the chart's data-plane metadata ingress serves
    <prefix>.<base>/metadata (charts/astronomer/templates/commander/commander-metadata-ingress.yaml at v1.2.0 and
    v2.1.0), and Houston appends /metadata to the URL it is given."""
    return f"https://{domain_prefix}.{base_domain}"
