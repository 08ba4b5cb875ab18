"""What the manager knows about each tenant's ticket, for readiness and Prometheus metrics.

A tenant is ready when its latest renewal succeeded and the ticket it wrote is valid for at least
the renew interval (from issue) and has not expired. Requiring "valid for the interval from now" at
every instant would flap whenever the lifetime is under twice the interval, which config allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kerberos_manager.failures import Reason
from kerberos_manager.kerberos import Ticket


@dataclass
class TenantStatus:
    expires: float | None = None
    issued: float | None = None
    last_success: float | None = None
    failing: bool = False
    reason: Reason | None = None
    """reason of the latest failure (kept after recovery for the record)"""
    error: str = ""
    consecutive_failures: int = 0


class Board:
    """Thread-safe per-tenant status, its readiness verdict and its metrics registry."""

    def __init__(self, tenants: Sequence[str], renew_interval_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._interval = renew_interval_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._status = {tenant: TenantStatus() for tenant in tenants}
        self.registry = CollectorRegistry()
        self._failures = Counter("kerberos_manager_renewal_failures", "Failed renewals by tenant and reason",
                                 ["tenant", "reason"], registry=self.registry)
        self._renewals = Counter("kerberos_manager_renewals", "Successful renewals by tenant", ["tenant"],
                                 registry=self.registry)
        for tenant in tenants:
            self._renewals.labels(tenant)
            for reason in Reason:
                self._failures.labels(tenant, reason.value)
        self.registry.register(_StatusCollector(self))

    def succeeded(self, tenant: str, ticket: Ticket) -> None:
        with self._lock:
            status = self._status[tenant]
            status.expires, status.issued, status.last_success = ticket.expires, ticket.starts, self._clock()
            status.failing, status.error, status.consecutive_failures = False, "", 0
        self._renewals.labels(tenant).inc()

    def failed(self, tenant: str, reason: Reason, error: str) -> int:
        """Record a failure; returns the tenant's consecutive failures."""
        with self._lock:
            status = self._status[tenant]
            status.failing, status.reason, status.error = True, reason, error
            status.consecutive_failures += 1
            count = status.consecutive_failures
        self._failures.labels(tenant, reason.value).inc()
        return count

    def snapshot(self) -> dict[str, TenantStatus]:
        with self._lock:
            return {tenant: TenantStatus(**vars(status)) for tenant, status in self._status.items()}

    def tenant_ready(self, status: TenantStatus, now: float) -> bool:
        if status.failing or status.expires is None or status.issued is None:
            return False
        return status.expires - status.issued >= self._interval and status.expires > now

    def readiness(self) -> tuple[bool, dict[str, dict[str, object]]]:
        """(every tenant ready, per tenant: ready, seconds to expiry, last failure reason and message)."""
        now = self._clock()
        report: dict[str, dict[str, object]] = {}
        for tenant, status in self.snapshot().items():
            entry: dict[str, object] = {"ready": self.tenant_ready(status, now)}
            if status.expires is not None:
                entry["expiresInSeconds"] = round(status.expires - now)
            if status.failing:
                entry["reason"] = status.reason.value if status.reason else None
                entry["error"] = status.error
                entry["consecutiveFailures"] = status.consecutive_failures
            report[tenant] = entry
        return all(entry["ready"] for entry in report.values()), report

    def now(self) -> float:
        return self._clock()


class _StatusCollector(Collector):
    """Gauges computed at scrape time, so "seconds until expiry" is never stale."""

    def __init__(self, board: Board) -> None:
        self._board = board

    def collect(self) -> Iterable[Metric]:
        now = self._board.now()
        expiry = GaugeMetricFamily("kerberos_manager_ticket_expiry_seconds",
                                   "Seconds until the tenant's ticket expires (negative: expired)", labels=["tenant"])
        success = GaugeMetricFamily("kerberos_manager_last_success_timestamp_seconds",
                                    "When the tenant's cache was last written (epoch seconds)", labels=["tenant"])
        ready = GaugeMetricFamily("kerberos_manager_tenant_ready",
                                  "1 when the tenant holds a fresh ticket and its last renewal succeeded",
                                  labels=["tenant"])
        for tenant, status in self._board.snapshot().items():
            if status.expires is not None:
                expiry.add_metric([tenant], status.expires - now)
            if status.last_success is not None:
                success.add_metric([tenant], status.last_success)
            ready.add_metric([tenant], 1.0 if self._board.tenant_ready(status, now) else 0.0)
        return [expiry, success, ready]
