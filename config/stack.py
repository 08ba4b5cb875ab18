"""The whole stack config: every key under ``astronomer-platform:`` in a stack file, and the rules
between sections."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from config import cross_checks
from config.artifactory import ArtifactoryConfig, DatakitConfig, ImagesConfig
from config.base import Issue, Model, rule
from config.cluster import KubernetesConfig
from config.data_planes import DataPlaneConfig
from config.houston import HoustonConfig
from config.kerberos import KerberosConfig
from config.monitoring import MonitoringConfig
from config.platform import PlatformConfig
from config.rules import (
    Rfc1123Label,
)
from config.sign_in import SignInConfig
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
    sign_in: SignInConfig | None = None
    """the platform's identity providers and system roles from IdP groups (required in prod; default elsewhere:
    the chart's sign-in)"""

    data_planes: list[DataPlaneConfig] = Field(default_factory=list[DataPlaneConfig])
    """clusters that run tenants for this platform's control plane (chart 1.0 and later); default: none, the
    platform's one cluster runs everything"""

    @property
    def houston_url(self) -> str:
        return self.houston.url or f"https://houston.{self.platform.base_domain}/v1"

    @rule
    def _tenants_unless_allowed(self) -> Iterator[Issue]:
        # A stack file that lost its tenants (a bad merge, a key typo) would delete every tenant
        # namespace, and everything in it, on the next `pulumi up`.
        if not self.tenants and not self.tenancy.allow_no_tenants:
            yield Issue("tenants", "is empty or missing, which would delete every tenant namespace of this stack; "
                        "list the tenants, or set tenancy.allowNoTenants: true if that is intended")

    @rule
    def _pull_user_with_tenants(self) -> Iterator[Issue]:
        if self.tenants and self.artifactory.pull_username is None:
            yield Issue("artifactory.pullUsername", "is required once the stack has tenants: every tenant namespace "
                        "holds this read-only user's login for its pods' image pulls")

    @rule
    def _alert_routing(self) -> Iterator[Issue]:
        """With monitoring, every tenant's alerts reach a receiver it defines."""
        monitoring = self.monitoring
        for index, (alerts,) in cross_checks.tenants_with(self, "alerts"):
            if monitoring is None:
                if alerts is not None:
                    yield Issue(f"tenants[{index}].alerts", "needs monitoring: define monitoring.receivers and "
                                "monitoring.platformReceiver, or remove it")
                continue
            if alerts is None:
                if monitoring.default_tenant_receiver is None:
                    yield Issue(f"tenants[{index}].alerts", "is required with monitoring: the tenant's alerts would "
                                "be routed to nothing of its own; set alerts.receiver (or "
                                "monitoring.defaultTenantReceiver)")
                continue
            receiver = cross_checks.known(alerts, "receiver")
            if receiver is not cross_checks.UNKNOWN and receiver not in monitoring.receivers:
                yield Issue(f"tenants[{index}].alerts.receiver", f"{receiver!r} is not defined under "
                            f"monitoring.receivers (defined: {', '.join(sorted(monitoring.receivers))})")

    @rule
    def _unique_tenants(self) -> Iterator[Issue]:
        yield from cross_checks.unique(self, "name", "name", "names")
        yield from cross_checks.unique(self, "namespace_name", "namespace", "namespaces")
        # One identity per tenant: a shared principal or keytab lets one tenant act as another.
        yield from cross_checks.unique(self, "kerberos.principal", "kerberos.principal", "Kerberos principals",
                                       fold=True)
        yield from cross_checks.unique(self, "kerberos.keytab_secret_id", "kerberos.keytabSecretId", "keytab secrets")

    @rule
    def _overrides_registry(self) -> Iterator[Issue]:
        yield from cross_checks.overrides_registry(self)

    @rule
    def _platform_namespace(self) -> Iterator[Issue]:
        yield from cross_checks.platform_namespace(self)

    @rule
    def _realms(self) -> Iterator[Issue]:
        yield from cross_checks.realms(self)

    @rule
    def _datakits(self) -> Iterator[Issue]:
        yield from cross_checks.datakits(self)

    @rule
    def _shards(self) -> Iterator[Issue]:
        yield from cross_checks.shards(self)

    @rule
    def _deployers(self) -> Iterator[Issue]:
        yield from cross_checks.deployers(self)

    @rule
    def _tenant_egress(self) -> Iterator[Issue]:
        yield from cross_checks.tenant_egress(self)

    @rule
    def _sign_in(self) -> Iterator[Issue]:
        yield from cross_checks.sign_in(self)

    @rule
    def _data_planes(self) -> Iterator[Issue]:
        yield from cross_checks.data_planes(self)

    @rule
    def _dag_mechanisms(self) -> Iterator[Issue]:
        yield from cross_checks.dag_mechanisms(self)
