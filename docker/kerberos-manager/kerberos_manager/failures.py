"""Why one tenant's renewal failed: the reasons its metrics and readiness report."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    VAULT_AUTH = "vault_auth"
    """the vault refused the credentials or the token"""
    VAULT_NOT_FOUND = "vault_not_found"
    """no such secret id or field"""
    VAULT_ERROR = "vault_error"
    """the vault answered 5xx, something unexpected, or not at all"""
    KDC_UNREACHABLE = "kdc_unreachable"
    """kinit reached no KDC"""
    KINIT = "kinit"
    """the KDC refused the keytab (wrong key, unknown principal) or the cache was unreadable"""
    KUBERNETES = "kubernetes"
    """the cache Secret could not be written (missing, forbidden, API down)"""
    INTERNAL = "internal"
    """a bug in the manager; the other tenants carry on"""


class CycleError(Exception):
    """A renewal step failed; ``str()`` is safe to log (never a keytab, password, token or ticket)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
