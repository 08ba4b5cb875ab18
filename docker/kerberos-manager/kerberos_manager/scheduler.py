"""Runs every tenant's renewal on its own timetable: the renew interval shortened by jitter after a
success, exponential backoff with jitter after a failure. Tenants never wait for one another beyond
the worker pool, and one tenant's exception never reaches another's."""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kerberos_manager.failures import CycleError, Reason
from kerberos_manager.kerberos import Ticket
from kerberos_manager.logs import log
from kerberos_manager.settings import Tenant
from kerberos_manager.status import Board

# The loop wakes at least this often, so liveness sees a heartbeat even between renewals.
_TICK_SECONDS = 5.0


def renewal_delay(interval: float, jitter: float, rng: random.Random) -> float:
    """Next renewal after a success: up to ``jitter`` of the interval early (never late), which
    spreads many tenants' renewals apart."""
    return interval * (1 - jitter * rng.random())


def retry_delay(failures: int, base: float, maximum: float, interval: float, rng: random.Random) -> float:
    """Next attempt after ``failures`` consecutive failures: base * 2^(n-1), capped, then jittered
    to 50-100 % so tenants failing together do not retry together; never later than the interval."""
    ceiling = min(base * 2 ** min(failures - 1, 30), maximum, interval)
    return ceiling * (0.5 + 0.5 * rng.random())


class Renewer:
    def __init__(self, tenants: Sequence[Tenant], renew: Callable[[Tenant], Ticket], board: Board, *,
                 interval: float, jitter: float, retry_base: float, retry_max: float, concurrency: int,
                 rng: random.Random | None = None) -> None:
        self._tenants = tenants
        self._renew = renew
        self._board = board
        self._interval = interval
        self._jitter = jitter
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._concurrency = concurrency
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._due: list[tuple[float, int]] = []  # (monotonic due time, tenant index)
        self.heartbeat = time.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Renew every tenant now, then each on its timetable, until ``stop`` is set."""
        with self._lock:
            self._due = [(time.monotonic(), index) for index in range(len(self._tenants))]
            heapq.heapify(self._due)
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="renew") as pool:
            while not stop.is_set():
                self.heartbeat = now = time.monotonic()
                with self._lock:
                    while self._due and self._due[0][0] <= now:
                        _, index = heapq.heappop(self._due)
                        pool.submit(self._attempt, index)
                    wait = min(self._due[0][0] - now, _TICK_SECONDS) if self._due else _TICK_SECONDS
                self._wake.wait(max(wait, 0.0))
                self._wake.clear()
                if stop.is_set():
                    pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        self._wake.set()

    def _attempt(self, index: int) -> None:
        tenant = self._tenants[index]
        started = time.monotonic()
        try:
            ticket = self._renew(tenant)
        except Exception as error:  # any failure is this tenant's alone
            reason, message = ((error.reason, str(error)) if isinstance(error, CycleError)
                               else (Reason.INTERNAL, type(error).__name__))
            failures = self._board.failed(tenant.tenant, reason, message)
            delay = retry_delay(failures, self._retry_base, self._retry_max, self._interval, self._rng)
            log(logging.WARNING, "renewal failed", tenant=tenant.tenant, namespace=tenant.namespace,
                reason=reason.value, error=message, consecutiveFailures=failures, retryInSeconds=round(delay, 1))
        else:
            self._board.succeeded(tenant.tenant, ticket)
            delay = renewal_delay(self._interval, self._jitter, self._rng)
            log(logging.INFO, "ticket renewed", tenant=tenant.tenant, namespace=tenant.namespace,
                principal=ticket.principal, expiresInSeconds=round(ticket.expires - self._board.now()),
                tookSeconds=round(time.monotonic() - started, 3), nextInSeconds=round(delay, 1))
        with self._lock:
            heapq.heappush(self._due, (time.monotonic() + delay, index))
        self._wake.set()
