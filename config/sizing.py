"""Tenant quota sizing from the resources the program requests for the tenant's deployment, and the bounds
of every size.

The platform sets its own quota for a deployment at twice its allocation (a restart briefly runs
two of each pod). The allocation is what the program asks Houston for, per component, requests
equal to limits: scheduler replicas x size, the webserver, triggerer replicas x size and maxWorkers
x the worker size, plus an allowance for the pods the program does not size (statsd, redis,
pgbouncer, flower). A tenant's quota is a ceiling above the platform's, never a replacement:
Kubernetes enforces every quota in a namespace, so a lower one breaks restarts. The default ceiling
leaves room for the tenant's own pods (datakits run as KubernetesPodOperator pods there):

    platform quota = 2 x (sum of replicas x size + allowance)
    default ceiling = 1.5 x platform quota
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# The pods Houston sizes by itself: statsd, redis, pgbouncer and flower.
SUPPORT_CPU = "1"
SUPPORT_MEMORY = "2Gi"
PLATFORM_QUOTA_FACTOR = 2
CEILING_HEADROOM = Decimal("1.5")

# Bounds, each with its reason (docs/configuration.md): far above any real deployment, low enough that a typo
# (an extra digit, a unit left out) is caught before it becomes a quota of billions of cores.
MAX_QUANTITY = Decimal(2**63 - 1)
"""Kubernetes' own limit on a quantity"""
MAX_POD_CPU = Decimal(64)
MAX_POD_MEMORY = Decimal(512 * 2**30)
POD_REASON = "a pod runs on one node, and 64 cores and 512Gi is a large node"
MAX_TENANT_CPU = Decimal(2000)
MAX_TENANT_MEMORY = Decimal(16 * 2**40)
TENANT_REASON = "2000 cores and 16Ti is more than a tenant of a shared cluster holds"
MAX_WORKERS = 200
WORKERS_REASON = "more Celery workers than one Airflow deployment schedules for; split the work across tenants"
MAX_REPLICAS = 10
REPLICAS_REASON = "Airflow runs a few schedulers or triggerers for availability, not more"

_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
    "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
}


@dataclass(frozen=True)
class ComponentShare:
    """Pods of one component of a deployment: how many, and the CPU and memory of each (quantities)."""

    replicas: int
    cpu: str
    memory: str


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes quantity (already syntax-checked, so its digits are bounded) as a number of base units."""
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    return Decimal(text)


def platform_quota(shares: Sequence[ComponentShare]) -> dict[str, Decimal]:
    """The platform's own quota for a deployment of these components: CPU cores and bytes."""
    total = [*shares, ComponentShare(1, SUPPORT_CPU, SUPPORT_MEMORY)]
    cpu = sum((share.replicas * parse_quantity(share.cpu) for share in total), Decimal(0))
    memory = sum((share.replicas * parse_quantity(share.memory) for share in total), Decimal(0))
    return {"cpu": cpu * PLATFORM_QUOTA_FACTOR, "memory": memory * PLATFORM_QUOTA_FACTOR}


def quota_ceiling(shares: Sequence[ComponentShare]) -> dict[str, str]:
    """Default tenant ceiling: 1.5 times the platform's own quota, as Kubernetes quantities."""
    floor = platform_quota(shares)
    millicores = int(floor["cpu"] * CEILING_HEADROOM * 1000)
    mebibytes = int(floor["memory"] * CEILING_HEADROOM / 2**20)
    return {"cpu": f"{millicores}m", "memory": f"{mebibytes}Mi"}


def ceiling_amounts(shares: Sequence[ComponentShare]) -> dict[str, Decimal]:
    """The default ceiling as numbers: CPU cores and bytes."""
    floor = platform_quota(shares)
    return {resource: amount * CEILING_HEADROOM for resource, amount in floor.items()}


def amount(resource: str, value: Decimal) -> str:
    """A CPU amount in cores or a memory amount in GiB, for a message."""
    if resource == "cpu":
        return f"{value.normalize():f} cores"
    return f"{(value / 2**30).quantize(Decimal('0.1')).normalize():f}Gi"
