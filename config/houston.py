"""The ``houston`` section: where the tenants' workspaces and deployments are managed, and how long to wait."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.base import Model, PositiveInt

# Houston's endpoint: https, or http on the loopback interface only (a stand-in, a port-forward).
HoustonUrl = Annotated[str, Field(strict=True, pattern=r"^(https://[^/\s]+|http://(127\.0\.0\.1|localhost)(:[0-9]+)?)(/\S*)?$")]


class HoustonTimeouts(Model):
    deploy_seconds: PositiveInt = 900
    """how long a created or changed deployment may take to become HEALTHY"""
    delete_seconds: PositiveInt = 600
    """how long a hard-deleted deployment may stay listed"""
    poll_interval_seconds: PositiveInt = 10
    """seconds between status reads while waiting"""


class HoustonConfig(Model):
    """Houston, the platform's API, through which tenants' workspaces and deployments are managed."""

    url: HoustonUrl | None = None
    """GraphQL endpoint (default https://houston.<baseDomain>/v1); http only on 127.0.0.1 or localhost"""
    timeouts: HoustonTimeouts = HoustonTimeouts()
    """waits for Houston's asynchronous writes"""
