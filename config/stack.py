"""The whole stack config: every key under ``astronomer-platform:`` in a stack file, and the rules
between sections."""

from __future__ import annotations

from pydantic import Field, model_validator

from config.artifactory import ArtifactoryConfig, DatakitConfig, ImagesConfig
from config.base import Model
from config.cluster import KubernetesConfig
from config.errors import FieldError
from config.houston import HoustonConfig
from config.kerberos import KerberosConfig
from config.monitoring import MonitoringConfig
from config.platform import PlatformConfig
from config.rules import (
    Rfc1123Label,
)
from config.tenancy import TenancyConfig
from config.tenant import TenantConfig


class StackConfig(Model):
    environment: Rfc1123Label
    """environment name, e.g. dev or prod"""
    kubernetes: KubernetesConfig
    """target cluster of the explicit Kubernetes provider"""
    artifactory: ArtifactoryConfig
    """the Artifactory registry every image comes from"""
    platform: PlatformConfig
    """the Astronomer platform release"""
    kerberos: KerberosConfig
    """Kerberos realm and the central ticket manager"""
    images: ImagesConfig
    """the Kerberos-enabled Runtime image"""
    datakits: dict[Rfc1123Label, DatakitConfig] = Field(default_factory=dict)
    """datakit images by name"""
    tenancy: TenancyConfig
    """settings shared by every tenant namespace"""
    tenants: list[TenantConfig] = Field(default_factory=list[TenantConfig])
    """one entry per line of business"""
    houston: HoustonConfig = HoustonConfig()
    """the Houston API (API key: secret houstonApiKey)"""
    monitoring: MonitoringConfig | None = None
    """alert receivers, per-tenant routing and Prometheus retention (default: the chart's, every alert to its
    default receiver)"""

    @property
    def houston_url(self) -> str:
        return self.houston.url or f"https://houston.{self.platform.base_domain}/v1"

    @model_validator(mode="after")
    def _tenants_unless_allowed(self) -> StackConfig:
        # A stack file that lost its tenants (a bad merge, a key typo) would delete every tenant
        # namespace, and everything in it, on the next `pulumi up`.
        if not self.tenants and not self.tenancy.allow_no_tenants:
            raise FieldError(
                "tenants",
                "is empty or missing, which would delete every tenant namespace of this stack; "
                "list the tenants, or set tenancy.allowNoTenants: true if that is intended",
            )
        if self.tenants and self.artifactory.pull_username is None:
            raise FieldError("artifactory.pullUsername", "is required once the stack has tenants: every tenant "
                             "namespace holds this read-only user's login for its pods' image pulls")
        self._alert_routing()
        return self

    def _alert_routing(self) -> None:
        """With monitoring, every tenant's alerts reach a receiver it defines."""
        monitoring = self.monitoring
        for index, tenant in enumerate(self.tenants):
            if monitoring is None and tenant.alerts is not None:
                raise FieldError(f"tenants[{index}].alerts", "needs monitoring: define monitoring.receivers and "
                                 "monitoring.platformReceiver, or remove it")
            if monitoring is None:
                continue
            if tenant.alerts is None:
                if monitoring.default_tenant_receiver is None:
                    raise FieldError(f"tenants[{index}].alerts", "is required with monitoring: the tenant's alerts "
                                     "would be routed to nothing of its own; set alerts.receiver (or "
                                     "monitoring.defaultTenantReceiver)")
                continue
            if tenant.alerts.receiver not in monitoring.receivers:
                raise FieldError(f"tenants[{index}].alerts.receiver", f"{tenant.alerts.receiver!r} is not defined "
                                 f"under monitoring.receivers (defined: {', '.join(sorted(monitoring.receivers))})")
