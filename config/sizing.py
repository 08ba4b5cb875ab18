"""Tenant quota sizing in Astronomer Units (1 AU = 0.1 CPU and 384 MiB).

The platform sets its own quota for a deployment at twice its allocation (a restart briefly runs
two schedulers and webservers). A tenant's quota is a ceiling above that, never a replacement:
Kubernetes enforces every quota in a namespace, so a lower one breaks restarts.
"""

from __future__ import annotations

from decimal import Decimal

AU_MILLICPU = 100
AU_MEBIBYTES = 384
# Largest allocation we expect: the fixed components (scheduler, webserver, triggerer, statsd,
# redis, pgbouncer) at 50 AU plus every worker at 10 AU.
BASE_COMPONENTS_AU = 50
WORKER_AU = 10
PLATFORM_QUOTA_FACTOR = 2
CEILING_HEADROOM = Decimal("1.5")

_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
}


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes quantity (already syntax-checked) as a number of base units."""
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return Decimal(text)


def _au(max_workers: int) -> int:
    return BASE_COMPONENTS_AU + WORKER_AU * max_workers


def platform_quota(max_workers: int) -> dict[str, Decimal]:
    """What the platform itself may set for the largest deployment: CPU cores and bytes."""
    au = _au(max_workers) * PLATFORM_QUOTA_FACTOR
    return {"cpu": Decimal(au * AU_MILLICPU) / 1000, "memory": Decimal(au * AU_MEBIBYTES * 2**20)}


def quota_ceiling(max_workers: int) -> dict[str, str]:
    """Default tenant ceiling: 1.5 times the platform's own quota, as Kubernetes quantities."""
    au = int(_au(max_workers) * PLATFORM_QUOTA_FACTOR * CEILING_HEADROOM)
    return {"cpu": f"{au * AU_MILLICPU}m", "memory": f"{au * AU_MEBIBYTES}Mi"}
