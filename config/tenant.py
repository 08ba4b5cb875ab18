"""One entry of ``tenants``: a line of business, its namespace, isolation, Airflow deployment and settings."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, StrictBool, model_validator

from config.base import Model, Port, PositiveInt
from config.errors import FieldError
from config.rules import (
    ConfigKey,
    IdpGroup,
    ImageNameTag,
    KerberosPrincipal,
    NonEmptyStr,
    Quantity,
    ReleaseVersion,
    Rfc1123Label,
)
from config.sizing import ComponentShare, parse_quantity, platform_quota
from config.tenancy import EgressRule
from domain.alerts import TENANT_ALERTS, Severity
from domain.environment_keys import RESERVED_AIRFLOW_VARIABLES, connection_env_key, env_key_problem, variable_env_key


class TenantKerberos(Model):
    principal: KerberosPrincipal
    """the tenant's principal, name[/instance]@REALM (no _HOST)"""
    keytab_secret_id: PositiveInt
    """Delinea secret id holding the tenant's keytab"""


class TenantQuota(Model):
    cpu: Quantity
    """CPU ceiling (Kubernetes quantity), above the platform's own quota"""
    memory: Quantity
    """memory ceiling (Kubernetes quantity), above the platform's own quota"""


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


# Namespaces every cluster has and shares; never a tenant's.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})


# Key names that hold secrets in Airflow variables and connection extras.
_SECRET_LOOKING = re.compile(r"pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE)


class AirflowSettings(Model):
    variables: dict[ConfigKey, str] = Field(default_factory=dict)
    """Airflow variables, AIRFLOW_VAR_<KEY> in the deployment (the platform adds artifactory_url, datakit_registry,
    environment, astronomer_namespace, datakit_images)"""
    # A bare `list` factory would also fit pydantic's overload for factories that take the data,
    # and the type checker could not tell the item type; naming it settles that.
    connections: list[AirflowConnection] = Field(default_factory=list[AirflowConnection])
    """non-secret fields of Airflow connections"""

    @model_validator(mode="after")
    def _no_reserved_or_duplicate(self) -> AirflowSettings:
        reserved = sorted(RESERVED_AIRFLOW_VARIABLES & self.variables.keys())
        if reserved:
            raise FieldError("variables", f"{reserved} are set by the platform; remove them")
        ids = [c.conn_id for c in self.connections]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise FieldError("connections", f"connection ids {duplicates} appear more than once")
        keys = [(f"variables.{key}", key) for key in self.variables]
        keys += [(f"connections[{i}].extra.{key}", key) for i, c in enumerate(self.connections) for key in c.extra]
        for path, key in keys:
            if _SECRET_LOOKING.search(key):
                raise FieldError(path, "looks like a secret; a stack file is plain text (and so is every render of "
                                 "it): keep it in the vault, not in config")
        # Each becomes an environment variable of the deployment: Houston's naming rule applies.
        names = [(f"variables.{key}", variable_env_key(key)) for key in self.variables]
        names += [(f"connections[{i}].connId", connection_env_key(c.conn_id)) for i, c in enumerate(self.connections)]
        seen: dict[str, str] = {}
        for path, name in names:
            problem = env_key_problem(name)
            if problem:
                raise FieldError(path, f"becomes the environment variable {problem}; use letters, digits and '_'")
            if name in seen:
                raise FieldError(path, f"becomes {name}, as {seen[name]} does; rename one")
            seen[name] = path
        return self


class PodResources(Model):
    """CPU and memory of one pod (requests equal limits), converted to Houston's millicores and MiB."""

    cpu: Quantity
    """CPU per pod (Kubernetes quantity, whole millicores), e.g. 500m or 1"""
    memory: Quantity
    """memory per pod (Kubernetes quantity, whole MiB), e.g. 2Gi"""

    @model_validator(mode="after")
    def _houston_units(self) -> PodResources:
        if parse_quantity(self.cpu) * 1000 % 1 or parse_quantity(self.cpu) <= 0:
            raise FieldError("cpu", f"{self.cpu!r} is not a positive whole number of millicores (Houston takes "
                             "millicores)")
        if parse_quantity(self.memory) % 2**20 or parse_quantity(self.memory) <= 0:
            raise FieldError("memory", f"{self.memory!r} is not a positive whole number of MiB (Houston takes MiB)")
        return self

    @property
    def millicores(self) -> int:
        return int(parse_quantity(self.cpu) * 1000)

    @property
    def mebibytes(self) -> int:
        return int(parse_quantity(self.memory) / 2**20)


class ReplicatedPodResources(PodResources):
    replicas: PositiveInt = 1
    """number of pods"""


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


class TenantConfig(Model):
    name: Rfc1123Label
    """line of business, an RFC 1123 label"""
    namespace: Rfc1123Label | None = None
    """the tenant's namespace (default airflow-<name>)"""
    image: ImageNameTag
    """Airflow deployment image name:tag inside the deployments repository"""
    max_workers: PositiveInt
    """the deployment's Celery workers; with deployment sizes the quota ceiling"""
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
    shard: Rfc1123Label | None = None
    """tenant stack (project astronomer-tenant-shard) declaring this tenant's objects; its namespace stays here"""
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
        if self.namespace in SYSTEM_NAMESPACES:
            raise FieldError("namespace", f"{self.namespace!r} is a namespace Kubernetes itself uses; "
                             "a tenant needs its own")
        if self.quota is not None:
            floor = platform_quota(self.deployment.shares(self.max_workers))
            for resource in ("cpu", "memory"):
                if parse_quantity(getattr(self.quota, resource)) < floor[resource]:
                    raise FieldError(
                        f"quota.{resource}",
                        f"{getattr(self.quota, resource)!r} is below the platform's own quota for the "
                        f"deployment with {self.max_workers} workers ({floor[resource].normalize():f} "
                        f"{'cores' if resource == 'cpu' else 'bytes'}); a tenant quota is a ceiling "
                        "above it, or restarts fail",
                    )
        return self


class TenantAlerts(Model):
    receiver: Rfc1123Label
    """receiver (under monitoring.receivers) of the alerts of the tenant's deployment"""
    severity_overrides: dict[str, Severity] = Field(default_factory=dict[str, Severity])
    """alert name -> critical, warning or info, for this tenant's own alerts"""

    @model_validator(mode="after")
    def _known_alerts(self) -> TenantAlerts:
        for alert in self.severity_overrides:
            if alert not in TENANT_ALERTS:
                raise FieldError(f"severityOverrides.{alert}",
                                 f"is not one of the tenant alerts ({', '.join(TENANT_ALERTS)})")
        return self
