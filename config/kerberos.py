"""The ``kerberos`` section: the realm, the KDCs, the Delinea vault and the ticket manager's timing."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from config.base import Model, PositiveInt
from config.errors import FieldError
from config.rules import (
    AbsolutePath,
    HostWithPort,
    HttpsUrl,
    ImageNameTag,
    KerberosRealm,
    NonEmptyStr,
)
from domain.tickets import RENEW_MARGIN_SECONDS


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
    renew_interval_seconds: PositiveInt
    """seconds between ticket renewals; at least 300 below the lifetime"""
    ticket_lifetime_seconds: PositiveInt
    """ticket lifetime in seconds"""
    cache_mount_path: AbsolutePath = "/krb5/cache"
    """where tenant pods mount their ticket cache Secret"""
    replicas: PositiveInt = 1
    """ticket manager replicas (a PodDisruptionBudget above 1)"""
    delinea: DelineaConfig
    """the Delinea Secret Server holding the keytabs"""

    @model_validator(mode="after")
    def _renew_before_expiry(self) -> KerberosConfig:
        latest = self.ticket_lifetime_seconds - RENEW_MARGIN_SECONDS
        if self.renew_interval_seconds > latest:
            raise FieldError(
                "renewIntervalSeconds",
                f"{self.renew_interval_seconds} must be at least "
                f"{RENEW_MARGIN_SECONDS} s below ticketLifetimeSeconds "
                f"({self.ticket_lifetime_seconds}), i.e. at most {latest}, so a renewed cache "
                "reaches pods before the old ticket expires"
            )
        return self
