"""The stack config contract: every key under ``astronomer-platform:`` in a stack file.

Field names are snake_case in Python and camelCase in the stack file. Unknown keys are errors at
every level, so a typo such as ``maxWorker`` never passes silently. Secrets are not here: each is
its own top-level key read as a Pulumi secret (see ``config.secrets``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.alias_generators import to_camel

from config.errors import FieldError
from config.rules import (
    AbsolutePath,
    Cidr,
    ConfigKey,
    DnsDomain,
    ExactChartVersion,
    HelmReleaseName,
    HostWithPort,
    HttpsUrl,
    ImageNameTag,
    ImageTag,
    KerberosPrincipal,
    KerberosRealm,
    NonEmptyStr,
    PythonVersion,
    Quantity,
    RegistryHost,
    ReleaseVersion,
    RepositoryPath,
    Rfc1123Label,
)
from config.sizing import parse_quantity, platform_quota

PositiveInt = Annotated[int, Field(strict=True, gt=0)]
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
PodSecurityLevel = Literal["privileged", "baseline", "restricted"]

# Chart lines this program knows the value keys of. 0.37 and 1.x share one layout; 2.x renamed
# many keys (see docs: astronomer-chart.md).
SUPPORTED_CHART_LINES = ("0.37", "1", "2")

# Minimum gap between a ticket renewal and the ticket's expiry: kubelet propagation of the cache
# Secret plus pod start-up must fit into it.
KERBEROS_RENEW_MARGIN_SECONDS = 300


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


class KubernetesConfig(Model):
    """Where the explicit Kubernetes provider points: a kubeconfig context or a kubeconfig file."""

    context: NonEmptyStr | None = None
    kubeconfig: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> KubernetesConfig:
        if (self.context is None) == (self.kubeconfig is None):
            raise ValueError("set exactly one of 'context' or 'kubeconfig'")
        return self


class ArtifactoryRepositories(Model):
    certified: RepositoryPath
    platform: RepositoryPath
    datakits: RepositoryPath
    deployments: RepositoryPath


class ArtifactoryConfig(Model):
    host: RegistryHost
    username: NonEmptyStr
    helm_repo_url: HttpsUrl
    repositories: ArtifactoryRepositories

    def repository(self, name: str) -> str:
        """Full repository prefix, e.g. ``artifactory.company.com/astronomer``."""
        return f"{self.host}/{getattr(self.repositories, name)}"

    def image(self, repository: str, name_tag: str) -> str:
        """Full image reference of ``name:tag`` inside one of the four repositories."""
        return f"{self.repository(repository)}/{name_tag}"


class PodSecurity(Model):
    """Pod Security Admission labels of a namespace."""

    enforce: PodSecurityLevel
    audit: PodSecurityLevel
    warn: PodSecurityLevel
    version: Annotated[str, Field(strict=True, pattern=r"^(latest|v1\.\d+)$")] = "latest"


class PlatformConfig(Model):
    namespace: Rfc1123Label = "astronomer"
    release_name: HelmReleaseName = "astronomer"
    chart_version: ExactChartVersion
    chart_path: NonEmptyStr | None = None
    base_domain: DnsDomain
    tls_secret_name: Rfc1123Label = "astronomer-tls"
    # The platform runs log collectors and exporters with host access: privileged by default.
    pod_security: PodSecurity = PodSecurity(enforce="privileged", audit="baseline", warn="baseline")
    protect_namespace: StrictBool = False
    values_overrides: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _supported_line(self) -> PlatformConfig:
        if self.chart_line not in SUPPORTED_CHART_LINES:
            raise FieldError(
                "chartVersion",
                f"{self.chart_version!r} is not on a supported chart line "
                "(0.37.x, 1.x or 2.x)"
            )
        if self.chart_path is not None:
            _check_local_chart(Path(self.chart_path), self.chart_version)
        return self

    @property
    def chart_line(self) -> str:
        major, minor = self.chart_version.split(".")[:2]
        return f"0.{minor}" if major == "0" else major


def _check_local_chart(path: Path, version: str) -> None:
    chart_file = path / "Chart.yaml"
    if not chart_file.is_file():
        raise FieldError("chartPath", f"{str(path)!r} is not a chart directory (no Chart.yaml)")
    found = str((yaml.safe_load(chart_file.read_text()) or {}).get("version"))
    if found != version:
        raise FieldError(
            "chartPath", f"the chart at {str(path)!r} is version {found}, but chartVersion is {version}"
        )


class DelineaConfig(Model):
    url: HttpsUrl
    username: NonEmptyStr


class KerberosConfig(Model):
    realm: KerberosRealm
    kdcs: Annotated[list[HostWithPort], Field(min_length=1)]
    sidecar_image: ImageNameTag
    renew_interval_seconds: PositiveInt
    ticket_lifetime_seconds: PositiveInt
    cache_mount_path: AbsolutePath = "/krb5/cache"
    replicas: PositiveInt = 1
    delinea: DelineaConfig

    @model_validator(mode="after")
    def _renew_before_expiry(self) -> KerberosConfig:
        latest = self.ticket_lifetime_seconds - KERBEROS_RENEW_MARGIN_SECONDS
        if self.renew_interval_seconds > latest:
            raise FieldError(
                "renewIntervalSeconds",
                f"{self.renew_interval_seconds} must be at least "
                f"{KERBEROS_RENEW_MARGIN_SECONDS} s below ticketLifetimeSeconds "
                f"({self.ticket_lifetime_seconds}), i.e. at most {latest}, so a renewed cache "
                "reaches pods before the old ticket expires"
            )
        return self


class ImagesConfig(Model):
    runtime_version: ReleaseVersion
    python_version: PythonVersion
    build: StrictBool = True


class DatakitConfig(Model):
    version: ImageTag
    context: NonEmptyStr | None = None


class EgressRule(Model):
    """An extra egress allow for a tenant: destinations and ports."""

    description: NonEmptyStr | None = None
    cidrs: Annotated[list[Cidr], Field(min_length=1)]
    ports: Annotated[list[Port], Field(min_length=1)]
    protocol: Literal["TCP", "UDP"] = "TCP"


class TenantEgress(Model):
    """Destinations outside the cluster that every tenant may reach (NetworkPolicy needs CIDRs)."""

    kdc_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    vault_cidrs: list[Cidr] = Field(default_factory=list)
    # The Airflow metadata database, when it runs outside the cluster.
    database_cidrs: list[Cidr] = Field(default_factory=list)
    database_port: Port = 5432


class TenancyConfig(Model):
    """Settings shared by every tenant namespace."""

    # Astronomer's Airflow pods run as non-root but do not set seccomp profiles or drop
    # capabilities: 'restricted' would reject them, so enforce 'baseline' and report the rest.
    pod_security: PodSecurity = PodSecurity(enforce="baseline", audit="restricted", warn="restricted")
    protect_namespaces: StrictBool = False
    egress: TenantEgress


class TenantKerberos(Model):
    principal: KerberosPrincipal
    keytab_secret_id: PositiveInt


class TenantQuota(Model):
    cpu: Quantity
    memory: Quantity


class AirflowConnection(Model):
    """The non-secret fields of an Airflow connection; passwords stay in the vault."""

    conn_id: ConfigKey
    conn_type: NonEmptyStr
    host: NonEmptyStr | None = None
    port: Port | None = None
    schema_: NonEmptyStr | None = Field(default=None, alias="schema")
    login: NonEmptyStr | None = None
    description: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


# Variables the program sets itself in every tenant's Airflow settings.
RESERVED_AIRFLOW_VARIABLES = frozenset(
    {"artifactory_url", "datakit_registry", "environment", "astronomer_namespace"}
)


class TenantAirflow(Model):
    variables: dict[ConfigKey, str] = Field(default_factory=dict)
    connections: list[AirflowConnection] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_reserved_or_duplicate(self) -> TenantAirflow:
        reserved = sorted(RESERVED_AIRFLOW_VARIABLES & self.variables.keys())
        if reserved:
            raise FieldError("variables", f"{reserved} are set by the platform; remove them")
        ids = [c.conn_id for c in self.connections]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise FieldError("connections", f"connection ids {duplicates} appear more than once")
        return self


class TenantConfig(Model):
    name: Rfc1123Label
    namespace: Rfc1123Label | None = None
    image: ImageNameTag
    max_workers: PositiveInt
    datakits: list[Rfc1123Label] = Field(default_factory=list)
    kerberos: TenantKerberos
    admin_groups: list[NonEmptyStr] = Field(default_factory=list)
    edit_groups: list[NonEmptyStr] = Field(default_factory=list)
    view_groups: list[NonEmptyStr] = Field(default_factory=list)
    quota: TenantQuota | None = None
    egress: list[EgressRule] = Field(default_factory=list)
    airflow: TenantAirflow = TenantAirflow()

    @model_validator(mode="after")
    def _default_namespace(self) -> TenantConfig:
        if self.namespace is None:
            default = f"airflow-{self.name}"
            if len(default) > 63:
                raise FieldError(
                    "name",
                    f"the default namespace {default!r} is longer than 63 characters; "
                    "shorten the name or set 'namespace'"
                )
            object.__setattr__(self, "namespace", default)
        if self.quota is not None:
            floor = platform_quota(self.max_workers)
            for resource in ("cpu", "memory"):
                if parse_quantity(getattr(self.quota, resource)) < floor[resource]:
                    raise FieldError(
                        f"quota.{resource}",
                        f"{getattr(self.quota, resource)!r} is below the platform's own quota for "
                        f"{self.max_workers} workers ({floor[resource].normalize():f} "
                        f"{'cores' if resource == 'cpu' else 'bytes'}); a tenant quota is a ceiling "
                        "above it, or restarts fail",
                    )
        return self


class StackConfig(Model):
    environment: Rfc1123Label
    kubernetes: KubernetesConfig
    artifactory: ArtifactoryConfig
    platform: PlatformConfig
    kerberos: KerberosConfig
    images: ImagesConfig
    datakits: dict[Rfc1123Label, DatakitConfig] = Field(default_factory=dict)
    tenancy: TenancyConfig
    tenants: list[TenantConfig] = Field(default_factory=list)
