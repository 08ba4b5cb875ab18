"""The ``houston`` section: where the tenants' workspaces and deployments are managed, and how long to wait."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from config.base import Issue, Model, PositiveInt, rule
from config.rules import Bound, HoustonUrl

Seconds = Annotated[PositiveInt, Bound(24 * 3600, "a wait longer than a day is a hung deployment, not a slow one")]


class HoustonTimeouts(Model):
    deploy_seconds: Seconds = 900
    """how long a created or changed deployment may take to become HEALTHY (at most a day)"""
    delete_seconds: Seconds = 600
    """how long a hard-deleted deployment may stay listed (at most a day)"""
    poll_interval_seconds: Seconds = 10
    """seconds between status reads while waiting (below both waits)"""

    @rule
    def _poll_within_the_waits(self) -> Iterator[Issue]:
        shortest = min(self.deploy_seconds, self.delete_seconds)
        if self.poll_interval_seconds >= shortest:
            yield Issue("pollIntervalSeconds", f"{self.poll_interval_seconds} is not below the shortest wait "
                        f"({shortest} s): a wait would end before its first status read")


class HoustonConfig(Model):
    """Houston, the platform's API, through which tenants' workspaces and deployments are managed."""

    url: HoustonUrl | None = None
    """GraphQL endpoint (default https://houston.<baseDomain>/v1); http only on 127.0.0.1 or localhost"""
    timeouts: HoustonTimeouts = HoustonTimeouts()
    """waits for Houston's asynchronous writes"""
