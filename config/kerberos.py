"""The ``kerberos`` section: the realm, the KDCs, the Delinea vault and the ticket manager's timing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic import Field

from config.base import Issue, Model, PositiveInt, rule
from config.rules import (
    AbsolutePath,
    Bound,
    HostWithPort,
    HttpsUrl,
    ImageNameTag,
    KerberosRealm,
    NonEmptyStr,
    Rule,
)
from domain.tickets import RENEW_MARGIN_SECONDS

# Directories of a container's own system: a Secret mounted over one of them, or over a directory holding one,
# hides what the image keeps there (certificates, the service account token, libraries, Airflow itself).
SYSTEM_DIRECTORIES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run",
                      "/sbin", "/sys", "/usr", "/var/lib", "/var/log", "/var/run", "/var/spool", "/home", "/opt",
                      "/srv", "/tmp", "/var/tmp", "/mnt", "/media")
# Of those, the ones that nothing may be mounted inside either.
_SEALED = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys",
           "/usr", "/var/lib", "/var/run")


def _clear_of_system_directories(path: str) -> bool:
    inside = any(path == sealed or path.startswith(f"{sealed}/") for sealed in _SEALED)
    over = any(system == path or system.startswith(f"{path.rstrip('/')}/") for system in SYSTEM_DIRECTORIES)
    return not inside and not over


CacheMountPath = Annotated[AbsolutePath, Rule(
    f"is, holds or lies inside a system directory of the container ({', '.join(_SEALED)} and the like), whose "
    "files the cache Secret would hide; use a directory of its own such as /krb5/cache",
    test=_clear_of_system_directories,
)]
# MIT Kerberos renews a ticket for at most 7 days by default; no KDC grants a longer life.
TicketSeconds = Annotated[PositiveInt, Bound(7 * 24 * 3600, "no KDC grants a ticket a longer life than 7 days")]


class DelineaConfig(Model):
    url: HttpsUrl
    """https URL of the Delinea Secret Server"""
    username: NonEmptyStr
    """Delinea user of the ticket manager (password: secret delineaPassword)"""


class KerberosConfig(Model):
    realm: KerberosRealm
    """Kerberos realm, upper case"""
    kdcs: Annotated[list[HostWithPort], Field(min_length=1)]
    """KDC hosts (host or host:port), at least one"""
    trusted_realms: list[KerberosRealm] = Field(default_factory=list)
    """other realms whose principals tenants may use (a cross-realm trust the KDCs have)"""
    manager_image: ImageNameTag | None = None
    """ticket manager image name:tag inside the platform repository (default: the manager this project
    builds from docker/kerberos-manager, kerberos-manager:<its VERSION>)"""
    renew_interval_seconds: Annotated[TicketSeconds, Bound(None, "each renewal asks the vault and the KDCs for "
                                                            "every tenant's ticket", minimum=60)]
    """seconds between ticket renewals (at least 60: each renewal asks the vault and the KDCs for every tenant);
    at least 300 below the lifetime"""
    ticket_lifetime_seconds: TicketSeconds
    """ticket lifetime in seconds (at most 7 days)"""
    cache_mount_path: CacheMountPath = "/krb5/cache"
    """where tenant pods mount their ticket cache Secret (a directory of its own, not a system one)"""
    replicas: Annotated[PositiveInt, Bound(10, "two or three keep the manager available; each renews every ticket")] = 1
    """ticket manager replicas (a PodDisruptionBudget above 1; at most 10)"""
    delinea: DelineaConfig
    """the Delinea Secret Server holding the keytabs"""

    @rule
    def _renew_before_expiry(self) -> Iterator[Issue]:
        latest = self.ticket_lifetime_seconds - RENEW_MARGIN_SECONDS
        if self.renew_interval_seconds > latest:
            yield Issue("renewIntervalSeconds", f"{self.renew_interval_seconds} must be at least "
                        f"{RENEW_MARGIN_SECONDS} s below ticketLifetimeSeconds ({self.ticket_lifetime_seconds}), "
                        f"i.e. at most {latest}, so a renewed cache reaches pods before the old ticket expires")
