"""One entry of ``tenants``: a line of business, its namespace, isolation, Airflow deployment and settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal, cast

from pydantic import Field, StrictBool, model_validator

from config.base import Issue, Model, Port, PositiveInt, rule
from config.dags import TenantDags
from config.plain_values import numbers_in_range
from config.rules import (
    Bound,
    ConfigKey,
    HelmReleaseName,
    IdpGroup,
    ImageNameTag,
    KerberosPrincipal,
    NamespaceName,
    NonEmptyStr,
    Quantity,
    ReleaseVersion,
    Rfc1123Label,
    Rule,
)
from config.sizing import (
    MAX_POD_CPU,
    MAX_POD_MEMORY,
    MAX_REPLICAS,
    MAX_TENANT_CPU,
    MAX_TENANT_MEMORY,
    MAX_WORKERS,
    POD_REASON,
    REPLICAS_REASON,
    TENANT_REASON,
    WORKERS_REASON,
    ComponentShare,
    amount,
    ceiling_amounts,
    parse_quantity,
    platform_quota,
)
from config.tenancy import EgressRule
from domain.alerts import TENANT_ALERTS, Severity
from domain.environment_keys import RESERVED_AIRFLOW_VARIABLES, connection_env_key, env_key_problem, variable_env_key
from domain.secret_text import names_a_secret

# Delinea (Secret Server) keeps secret ids as 32-bit integers.
SecretId = Annotated[PositiveInt, Bound(2**31 - 1, "Delinea's secret ids are 32-bit integers")]
Workers = Annotated[PositiveInt, Bound(MAX_WORKERS, WORKERS_REASON)]
Replicas = Annotated[PositiveInt, Bound(MAX_REPLICAS, REPLICAS_REASON)]
PodCpu = Annotated[Quantity, Rule(f"is more than {MAX_POD_CPU} cores: {POD_REASON}",
                                  test=lambda value: parse_quantity(value) <= MAX_POD_CPU)]
PodMemory = Annotated[Quantity, Rule(f"is more than 512Gi: {POD_REASON}",
                                     test=lambda value: parse_quantity(value) <= MAX_POD_MEMORY)]
QuotaCpu = Annotated[Quantity, Rule(f"is more than {MAX_TENANT_CPU} cores: {TENANT_REASON}",
                                    test=lambda value: parse_quantity(value) <= MAX_TENANT_CPU)]
QuotaMemory = Annotated[Quantity, Rule(f"is more than 16Ti: {TENANT_REASON}",
                                       test=lambda value: parse_quantity(value) <= MAX_TENANT_MEMORY)]


class TenantKerberos(Model):
    principal: KerberosPrincipal
    """the tenant's principal, name[/instance]@REALM (no _HOST)"""
    keytab_secret_id: SecretId
    """Delinea secret id holding the tenant's keytab"""


class TenantQuota(Model):
    cpu: QuotaCpu
    """CPU ceiling (Kubernetes quantity, at most 2000 cores), above the platform's own quota"""
    memory: QuotaMemory
    """memory ceiling (Kubernetes quantity, at most 16Ti), above the platform's own quota"""


class AirflowConnection(Model):
    """The non-secret fields of an Airflow connection; its password, if any, is a secret of its own."""

    conn_id: ConfigKey
    """Airflow connection id"""
    conn_type: NonEmptyStr
    """Airflow connection type, e.g. mssql"""
    host: NonEmptyStr | None = None
    """host"""
    port: Port | None = None
    """port"""
    schema_: NonEmptyStr | None = Field(default=None, alias="schema")
    """schema or database"""
    login: NonEmptyStr | None = None
    """login (a password comes from the secret airflowConnectionPasswords: see password)"""
    description: str | None = None
    """description"""
    extra: dict[str, Any] = Field(default_factory=dict)
    """extra fields (non-secret)"""
    password: StrictBool = False
    """the connection has a password, kept in the secret airflowConnectionPasswords under <tenant>.<connId>"""

    @rule
    def _numbers_in_range(self) -> Iterator[Issue]:
        yield from numbers_in_range(self.extra, "extra")


_SECRET_NAME = ("looks like a secret; a stack file is plain text (and so is every render of it): keep it in the "
                "vault, not in config")


def _secret_keys(value: Any, path: str) -> Iterator[str]:
    """The paths of every key under ``value`` (nested mappings and lists) whose name says it holds a secret."""
    if isinstance(value, dict):
        for key, item in cast(dict[Any, Any], value).items():
            here = f"{path}.{key}"
            if names_a_secret(str(key)):
                yield here
            yield from _secret_keys(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _secret_keys(item, f"{path}[{index}]")


class AirflowSettings(Model):
    variables: dict[ConfigKey, str] = Field(default_factory=dict)
    """Airflow variables, AIRFLOW_VAR_<KEY> in the deployment (the platform adds artifactory_url, datakit_registry,
    environment, astronomer_namespace, datakit_images); no secret in a name or a value"""
    # A bare `list` factory would also fit pydantic's overload for factories that take the data,
    # and the type checker could not tell the item type; naming it settles that.
    connections: list[AirflowConnection] = Field(default_factory=list[AirflowConnection])
    """non-secret fields of Airflow connections"""

    @rule
    def _no_reserved(self) -> Iterator[Issue]:
        # Airflow reads AIRFLOW_VAR_<KEY upper-cased>: 'Environment' is the platform's 'environment' too.
        reserved = sorted(key for key in self.variables if key.lower() in RESERVED_AIRFLOW_VARIABLES)
        if reserved:
            yield Issue("variables", f"{reserved} are set by the platform; remove them")

    @rule
    def _unique_connections(self) -> Iterator[Issue]:
        ids = [c.conn_id for c in self.connections]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            yield Issue("connections", f"connection ids {duplicates} appear more than once")

    @rule
    def _no_secret_names(self) -> Iterator[Issue]:
        for key in self.variables:
            if names_a_secret(key):
                yield Issue(f"variables.{key}", _SECRET_NAME)
        for index, connection in enumerate(self.connections):
            for path in _secret_keys(connection.extra, f"connections[{index}].extra"):
                yield Issue(path, _SECRET_NAME)

    @rule
    def _houston_env_names(self) -> Iterator[Issue]:
        # Each becomes an environment variable of the deployment: Houston's naming rule applies.
        names = [(f"variables.{key}", variable_env_key(key)) for key in self.variables]
        names += [(f"connections[{i}].connId", connection_env_key(c.conn_id)) for i, c in enumerate(self.connections)]
        seen: dict[str, str] = {}
        for path, name in names:
            problem = env_key_problem(name)
            if problem:
                yield Issue(path, f"becomes the environment variable {problem}; use letters, digits and '_'")
            elif name in seen:
                yield Issue(path, f"becomes {name}, as {seen[name]} does; rename one")
            seen.setdefault(name, path)


class PodResources(Model):
    """CPU and memory of one pod (requests equal limits), converted to Houston's millicores and MiB."""

    cpu: PodCpu
    """CPU per pod (Kubernetes quantity, whole millicores, at most 64 cores), e.g. 500m or 1"""
    memory: PodMemory
    """memory per pod (Kubernetes quantity, whole MiB, at most 512Gi), e.g. 2Gi"""

    @rule
    def _houston_cpu(self) -> Iterator[Issue]:
        if parse_quantity(self.cpu) * 1000 % 1 or parse_quantity(self.cpu) <= 0:
            yield Issue("cpu", f"{self.cpu!r} is not a positive whole number of millicores (Houston takes millicores)")

    @rule
    def _houston_memory(self) -> Iterator[Issue]:
        if parse_quantity(self.memory) % 2**20 or parse_quantity(self.memory) <= 0:
            yield Issue("memory", f"{self.memory!r} is not a positive whole number of MiB (Houston takes MiB)")

    @property
    def millicores(self) -> int:
        return int(parse_quantity(self.cpu) * 1000)

    @property
    def mebibytes(self) -> int:
        return int(parse_quantity(self.memory) / 2**20)


class ReplicatedPodResources(PodResources):
    replicas: Replicas = 1
    """number of pods (at most 10)"""


class TenantDeployment(Model):
    """The tenant's Airflow deployment, managed through Houston (docs/houston.md)."""

    label: NonEmptyStr | None = None
    """label in the workspace (default: the tenant's name)"""
    description: str | None = None
    """description (default: "Airflow of <name>, managed by astronomer-platform")"""
    executor: Literal["CeleryExecutor", "KubernetesExecutor", "LocalExecutor"] = "CeleryExecutor"
    """Airflow executor"""
    runtime_version: ReleaseVersion | None = None
    """Astro Runtime version of the tenant's image (default: images.runtimeVersion)"""
    scheduler: ReplicatedPodResources = ReplicatedPodResources(replicas=1, cpu="1", memory="2Gi")
    """scheduler replicas and size"""
    webserver: PodResources = PodResources(cpu="500m", memory="2Gi")
    """webserver size"""
    triggerer: ReplicatedPodResources = ReplicatedPodResources(replicas=1, cpu="500m", memory="1Gi")
    """triggerer replicas and size"""
    worker: PodResources = PodResources(cpu="1", memory="2Gi")
    """size of each Celery worker (there are maxWorkers)"""

    def shares(self, max_workers: int) -> list[ComponentShare]:
        """What the program requests for the deployment, per component (the quota follows from it)."""
        return [
            ComponentShare(self.scheduler.replicas, self.scheduler.cpu, self.scheduler.memory),
            ComponentShare(1, self.webserver.cpu, self.webserver.memory),
            ComponentShare(self.triggerer.replicas, self.triggerer.cpu, self.triggerer.memory),
            ComponentShare(max_workers, self.worker.cpu, self.worker.memory),
        ]


_LIMITS = {"cpu": MAX_TENANT_CPU, "memory": MAX_TENANT_MEMORY}


class TenantConfig(Model):
    name: HelmReleaseName
    """line of business, an RFC 1035 label of at most 53 characters (it is the Helm release of the tenant's
    deployment, and the charts name Services after it)"""
    namespace: NamespaceName | None = None
    """the tenant's namespace (default airflow-<name>)"""
    image: ImageNameTag
    """Airflow deployment image name:tag inside the deployments repository"""
    max_workers: Workers
    """the deployment's Celery workers (at most 200); with deployment sizes the quota ceiling"""
    datakits: list[Rfc1123Label] = Field(default_factory=list)
    """datakits the tenant may run (names under datakits)"""
    kerberos: TenantKerberos
    """the tenant's Kerberos identity"""
    admin_groups: list[IdpGroup] = Field(default_factory=list)
    """groups bound in the namespace to the platform's tenant admin role (no write access to isolation objects)"""
    edit_groups: list[IdpGroup] = Field(default_factory=list)
    """groups bound in the namespace to the platform's tenant edit role (no write access to isolation objects)"""
    view_groups: list[IdpGroup] = Field(default_factory=list)
    """groups bound in the namespace to the platform's tenant view role (no write access to isolation objects)"""
    quota: TenantQuota | None = None
    """explicit quota ceiling (default derived from the deployment's resources)"""
    egress: list[EgressRule] = Field(default_factory=list[EgressRule])
    """extra egress allows (data sources)"""
    airflow: AirflowSettings = AirflowSettings()
    """Airflow variables and connections (the deployment's environment)"""
    deployment: TenantDeployment = TenantDeployment()
    """the tenant's Airflow deployment"""
    dags: TenantDags = TenantDags()
    """how the team's DAGs reach the deployment (default: inside its image)"""
    shard: Rfc1123Label | None = None
    """tenant stack (project astronomer-tenant-shard) declaring this tenant's objects, one of tenancy.shards; its
    namespace stays here"""
    data_plane: Rfc1123Label | None = None
    """the data plane (a name under dataPlanes) whose cluster runs the tenant; default: the platform's cluster.
    A change moves the tenant: its deployment is replaced and its Airflow metadata does not move"""
    alerts: TenantAlerts | None = None
    """where the alerts of the tenant's deployment go (with monitoring: required unless
    monitoring.defaultTenantReceiver is set)"""

    @property
    def release_name(self) -> str:
        """The release name of the tenant's Airflow deployment: the tenant's name. Houston sets it (custom
        release names are on), the tenant's alerts carry it as ``deployment``, and its route matches it."""
        return self.name

    @property
    def namespace_name(self) -> str:
        """The namespace: ``namespace``, or ``airflow-<name>`` when unset (validation fills it in)."""
        return self.namespace or f"airflow-{self.name}"

    @property
    def groups(self) -> list[tuple[str, int, str]]:
        """Every bound group as (its list's key, its index, the group)."""
        lists = (("adminGroups", self.admin_groups), ("editGroups", self.edit_groups), ("viewGroups", self.view_groups))
        return [(key, index, group) for key, groups in lists for index, group in enumerate(groups)]

    # The name has at most 53 characters, so the default namespace fits in a label's 63.
    @model_validator(mode="after")
    def _default_namespace(self) -> TenantConfig:
        if self.namespace is None:
            object.__setattr__(self, "namespace", f"airflow-{self.name}")
        return self

    @rule
    def _groups_once(self) -> Iterator[Issue]:
        # Active Directory compares group names without case: 'Astro-Admins' and 'astro-admins' are one group.
        seen: dict[str, str] = {}
        for key, index, group in self.groups:
            first = seen.get(group.casefold())
            if first is not None:
                yield Issue(f"{key}[{index}]", f"{group!r} is already bound as {first} (group names are compared "
                            "without case, as Active Directory does); bind each group once")
            else:
                seen[group.casefold()] = f"{key}[{index}]"

    @rule
    def _quota_above_the_platform(self) -> Iterator[Issue]:
        if self.quota is None:
            return
        floor = platform_quota(self.deployment.shares(self.max_workers))
        for resource in ("cpu", "memory"):
            given: str = getattr(self.quota, resource)
            if parse_quantity(given) < floor[resource]:
                yield Issue(f"quota.{resource}", f"{given!r} is below the platform's own quota for the deployment "
                            f"with {self.max_workers} workers ({amount(resource, floor[resource])}); a tenant quota "
                            "is a ceiling above it, or restarts fail")

    @rule
    def _default_quota_in_bounds(self) -> Iterator[Issue]:
        if self.quota is not None:
            return
        ceiling = ceiling_amounts(self.deployment.shares(self.max_workers))
        for resource, limit in _LIMITS.items():
            if ceiling[resource] > limit:
                yield Issue("maxWorkers", f"with the deployment's sizes gives a quota ceiling of "
                            f"{amount(resource, ceiling[resource])}, above {amount(resource, limit)}: {TENANT_REASON}; "
                            "lower maxWorkers or the sizes")


class TenantAlerts(Model):
    receiver: Rfc1123Label
    """receiver (under monitoring.receivers) of the alerts of the tenant's deployment"""
    severity_overrides: dict[str, Severity] = Field(default_factory=dict[str, Severity])
    """alert name -> critical, warning or info, for this tenant's own alerts"""

    @rule
    def _known_alerts(self) -> Iterator[Issue]:
        for alert in self.severity_overrides:
            if alert not in TENANT_ALERTS:
                yield Issue(f"severityOverrides.{alert}",
                            f"is not one of the tenant alerts ({', '.join(TENANT_ALERTS)})")
