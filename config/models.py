"""The stack config contract: every key under ``astronomer-platform:`` in a stack file.

Field names are snake_case in Python and camelCase in the stack file. Unknown keys are errors at
every level, so a typo such as ``maxWorker`` never passes silently. Secrets are not here: each is
its own top-level key read as a Pulumi secret (see ``config.secrets``).
"""

from __future__ import annotations

import ipaddress
import re
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
    DeployerUser,
    DnsDomain,
    ExactChartVersion,
    HelmReleaseName,
    HostWithPort,
    HttpsUrl,
    IdpGroup,
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
    Rule,
)
from config.sizing import ComponentShare, parse_quantity, platform_quota
from domain.alerts import CHART_RECEIVERS, TENANT_ALERTS, Receiver, Severity
from domain.chart_lines import CHART_LINES, chart_line, line_change
from domain.chart_pull_secrets import unsecreted_templates, value_at
from domain.environment_keys import RESERVED_AIRFLOW_VARIABLES, connection_env_key, env_key_problem, variable_env_key
from domain.tickets import RENEW_MARGIN_SECONDS

PositiveInt = Annotated[int, Field(strict=True, gt=0)]
# Houston's endpoint: https, or http on the loopback interface only (a stand-in, a port-forward).
HoustonUrl = Annotated[str, Field(strict=True, pattern=r"^(https://[^/\s]+|http://(127\.0\.0\.1|localhost)(:[0-9]+)?)(/\S*)?$")]
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


# Alertmanager takes Go durations; Prometheus's retention the same units plus d, w, y.
RetentionDuration = Annotated[str, Field(strict=True), Rule(
    "is not a Prometheus duration such as '15d' or '12h' (a number and one of ms, s, m, h, d, w, y)",
    pattern=r"[1-9][0-9]*(?:ms|s|m|h|d|w|y)",
)]
EmailAddress = Annotated[str, Field(strict=True), Rule(
    "is not an e-mail address (local@domain.tld, no name or brackets)",
    pattern=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+",
)]
SmtpHost = Annotated[str, Field(strict=True), Rule(
    "is not an SMTP host with its port, e.g. smtp.company.com:587", pattern=r"[a-z0-9.-]+:[0-9]{1,5}",
)]
SlackChannel = Annotated[str, Field(strict=True), Rule(
    "is not a Slack channel or user ('#channel' or '@user')", pattern=r"[#@][^\s]+",
)]
ReceiverName = Annotated[Rfc1123Label, Rule(
    f"is a receiver name the chart defines itself ({', '.join(sorted(CHART_RECEIVERS))}); choose another",
    test=lambda value: value not in CHART_RECEIVERS,
)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
    )


class KubernetesConfig(Model):
    """Where the explicit Kubernetes provider points: a kubeconfig context or a kubeconfig file."""

    context: NonEmptyStr | None = None
    """kubeconfig context of the target cluster (set this or kubeconfig)"""
    kubeconfig: NonEmptyStr | None = None
    """path of a kubeconfig file for the target cluster (set this or context)"""

    @model_validator(mode="after")
    def _exactly_one(self) -> KubernetesConfig:
        if (self.context is None) == (self.kubeconfig is None):
            raise ValueError("set exactly one of 'context' or 'kubeconfig'")
        return self


class ArtifactoryRepositories(Model):
    certified: RepositoryPath
    """mirror of Astronomer's certified images (platform, Airflow, Runtime)"""
    platform: RepositoryPath
    """the company's platform images (Kerberos manager, Kerberos-enabled Runtime)"""
    datakits: RepositoryPath
    """datakit images that tenants run"""
    deployments: RepositoryPath
    """tenants' Airflow deployment images"""


class ArtifactoryConfig(Model):
    host: RegistryHost
    """bare registry host, e.g. artifactory.company.com (no scheme, no path)"""
    username: NonEmptyStr
    """Artifactory user for pulls, pushes and the Helm repository"""
    helm_repo_url: HttpsUrl
    """https URL of the Helm repository that mirrors the Astronomer charts"""
    repositories: ArtifactoryRepositories
    """repository paths inside the registry"""

    def repository(self, name: str) -> str:
        """Full repository prefix, e.g. ``artifactory.company.com/astronomer``."""
        return f"{self.host}/{getattr(self.repositories, name)}"

    def image(self, repository: str, name_tag: str) -> str:
        """Full image reference of ``name:tag`` inside one of the four repositories."""
        return f"{self.repository(repository)}/{name_tag}"


class PodSecurity(Model):
    """Pod Security Admission labels of a namespace."""

    enforce: PodSecurityLevel
    """Pod Security level enforced: privileged, baseline or restricted"""
    audit: PodSecurityLevel
    """Pod Security level audited"""
    warn: PodSecurityLevel
    """Pod Security level warned about"""
    version: Annotated[str, Field(strict=True, pattern=r"^(latest|v1\.\d+)$")] = "latest"
    """Pod Security policy version: latest or v1.N"""


class PlatformConfig(Model):
    namespace: Rfc1123Label = "astronomer"
    """namespace of the platform release"""
    release_name: HelmReleaseName = "astronomer"
    """Helm release name of the platform"""
    chart_version: ExactChartVersion
    """exact chart version, e.g. 2.1.0 (lines 0.37.x, 1.x, 2.x)"""
    allow_downgrade_from: ExactChartVersion | None = None
    """the deployed chart version a downgrade to a lower chart line may leave (unsupported by Astronomer)"""
    chart_path: NonEmptyStr | None = None
    """local chart directory instead of the Helm repository (air-gapped installs, tests)"""
    base_domain: DnsDomain
    """DNS domain the platform serves, e.g. astro.company.com"""
    tls_secret_name: Rfc1123Label = "astronomer-tls"
    """TLS Secret for the base domain and its wildcard"""
    # The platform runs log collectors and exporters with host access: privileged by default.
    pod_security: PodSecurity = PodSecurity(enforce="privileged", audit="baseline", warn="baseline")
    """Pod Security labels of the platform namespace"""
    protect_namespace: StrictBool = False
    """refuse to delete the platform namespace"""
    values_overrides: dict[str, Any] = Field(default_factory=dict)
    """chart values deep-merged last (cannot disable the private registry or point an image elsewhere)"""

    @model_validator(mode="after")
    def _supported_line(self) -> PlatformConfig:
        if self.chart_line not in CHART_LINES:
            raise FieldError(
                "chartVersion",
                f"{self.chart_version!r} is not on a supported chart line "
                "(0.37.x, 1.x or 2.x)"
            )
        allowed = self.allow_downgrade_from
        if allowed is not None and not _is_line_downgrade(allowed, self.chart_version):
            raise FieldError(
                "allowDowngradeFrom",
                f"{self.allow_downgrade_from!r} is not on a chart line above chartVersion {self.chart_version!r}; "
                "it only allows leaving that exact version for a lower line: remove it",
            )
        if self.chart_path is not None:
            _check_local_chart(Path(self.chart_path), self.chart_version)
        for path in ("global.networkPolicy.enabled", "global.defaultDenyNetworkPolicy"):
            if value_at(self.values_overrides, path) is False:
                raise FieldError(
                    f"valuesOverrides.{path}",
                    "must stay true: the platform's and the deployments' network policies isolate tenants",
                )
        unsecreted = unsecreted_templates(self.values_overrides, self.chart_line, defaults=False)
        if unsecreted:
            template = unsecreted[0]
            raise FieldError(
                f"valuesOverrides.{template.gate}",
                f"turns on {template.template}, which renders a pod without the Artifactory pull "
                f"secret on chart line {self.chart_line}: its image pull fails; leave it off"
            )
        return self

    @property
    def chart_line(self) -> str:
        return chart_line(self.chart_version)


def _is_line_downgrade(deployed: str, desired: str) -> bool:
    return line_change(deployed, desired).refusal is not None


def _check_local_chart(path: Path, version: str) -> None:
    chart_file = path / "Chart.yaml"
    if not chart_file.is_file():
        raise FieldError("chartPath", f"{str(path)!r} is not a chart directory (no Chart.yaml)")
    chart: dict[str, Any] = yaml.safe_load(chart_file.read_text()) or {}
    found = str(chart.get("version"))
    if found != version:
        raise FieldError(
            "chartPath", f"the chart at {str(path)!r} is version {found}, but chartVersion is {version}"
        )


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
    sidecar_image: ImageNameTag | None = None
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


class ImagesConfig(Model):
    runtime_version: ReleaseVersion
    """Astro Runtime version of the Kerberos-enabled base image"""
    python_version: PythonVersion
    """Python version of the Runtime image, quoted (3.10 unquoted is a number), e.g. 3.11"""
    build: StrictBool = True
    """build and push images; false references the published tags only"""


class DatakitConfig(Model):
    version: ImageTag
    """image tag of the datakit"""
    context: NonEmptyStr | None = None
    """build context directory; without one the datakit is a reference only"""


class EgressRule(Model):
    """An extra egress allow for a tenant: destinations and ports."""

    description: NonEmptyStr | None = None
    """what the destination is"""
    cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """destination CIDR blocks"""
    ports: Annotated[list[Port], Field(min_length=1)]
    """destination ports"""
    protocol: Literal["TCP", "UDP"] = "TCP"
    """TCP or UDP"""
    anywhere_reason: NonEmptyStr | None = None
    """why this rule may reach every address (required for 0.0.0.0/0 or ::/0)"""

    @model_validator(mode="after")
    def _anywhere_needs_a_reason(self) -> EgressRule:
        if self.anywhere_reason is None:
            _refuse_anywhere("cidrs", self.cidrs, "set anywhereReason on this rule to say why the tenant needs it")
        return self


def _refuse_anywhere(key: str, cidrs: list[str], remedy: str) -> None:
    anywhere = [cidr for cidr in cidrs if ipaddress.ip_network(cidr).prefixlen == 0]
    if anywhere:
        raise FieldError(key, f"{anywhere} reaches every address and undoes the tenant's isolation; {remedy}")


class TenantEgress(Model):
    """Destinations outside the cluster that every tenant may reach (NetworkPolicy needs CIDRs)."""

    kdc_cidrs: Annotated[list[Cidr], Field(min_length=1)]
    """CIDRs of the KDCs (port 88 TCP and UDP)"""
    vault_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs of the Delinea vault (port 443)"""
    # The Airflow metadata database, when it runs outside the cluster.
    database_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs of the Airflow metadata database when outside the cluster"""
    database_port: Port = 5432
    """port of the metadata database"""

    @model_validator(mode="after")
    def _no_anywhere(self) -> TenantEgress:
        for key, cidrs in (("kdcCidrs", self.kdc_cidrs), ("vaultCidrs", self.vault_cidrs),
                           ("databaseCidrs", self.database_cidrs)):
            _refuse_anywhere(key, cidrs, "name the service's own addresses")
        return self


class TenancyDeployers(Model):
    """The identities that run ``pulumi up``: an admission policy lets only them (and the controllers
    that empty a namespace being deleted) change or delete tenants' NetworkPolicies, quota and RBAC."""

    users: list[DeployerUser] = Field(default_factory=list)
    """user names as the API server sees them, e.g. system:serviceaccount:platform-deploy:pulumi"""
    # IdP groups only: a system: group such as system:authenticated would let every tenant in.
    groups: list[IdpGroup] = Field(default_factory=list)
    """groups whose members may (IdP groups; system: groups are refused)"""

    @model_validator(mode="after")
    def _someone(self) -> TenancyDeployers:
        if not self.users and not self.groups:
            raise ValueError("lists no user or group; name the identity that runs pulumi up, or nobody could "
                             "change a tenant's network policies, quota or role bindings")
        return self


class TenancyConfig(Model):
    """Settings shared by every tenant namespace."""

    # Astronomer's Airflow pods run as non-root but do not set seccomp profiles or drop
    # capabilities: 'restricted' would reject them, so enforce 'baseline' and report the rest.
    pod_security: PodSecurity = PodSecurity(enforce="baseline", audit="restricted", warn="restricted")
    """Pod Security labels of every tenant namespace"""
    protect_namespaces: StrictBool = False
    """refuse to delete a tenant namespace when its tenant leaves the config"""
    egress: TenantEgress
    """destinations outside the cluster every tenant may reach"""
    allow_no_tenants: StrictBool = False
    """allow an empty or missing 'tenants' list (it deletes every tenant namespace the stack had)"""
    deployers: TenancyDeployers
    """the only identities that may change or delete tenants' isolation objects (users and groups)"""


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

class TenantAirflow(Model):
    variables: dict[ConfigKey, str] = Field(default_factory=dict)
    """Airflow variables, AIRFLOW_VAR_<KEY> in the deployment (the platform adds artifactory_url, datakit_registry,
    environment, astronomer_namespace, datakit_images)"""
    # A bare `list` factory would also fit pydantic's overload for factories that take the data,
    # and the type checker could not tell the item type; naming it settles that.
    connections: list[AirflowConnection] = Field(default_factory=list[AirflowConnection])
    """non-secret fields of Airflow connections"""

    @model_validator(mode="after")
    def _no_reserved_or_duplicate(self) -> TenantAirflow:
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
    """The tenant's Airflow deployment, managed through Houston (README, "Tenants' Airflow deployments")."""

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
    airflow: TenantAirflow = TenantAirflow()
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


class EmailReceiver(Model):
    to: Annotated[list[EmailAddress], Field(min_length=1)]
    """addresses the alerts go to"""
    from_: EmailAddress = Field(alias="from")
    """sender address"""
    smarthost: SmtpHost
    """SMTP relay host:port"""
    auth_username: NonEmptyStr | None = None
    """SMTP user; its password is the receiver's entry in the secret alertReceiverSecrets"""
    require_tls: StrictBool = True
    """require STARTTLS"""


class SlackReceiver(Model):
    channel: SlackChannel
    """'#channel' or '@user' (the webhook URL is the receiver's entry in the secret alertReceiverSecrets)"""


class PagerDutyReceiver(Model):
    url: HttpsUrl | None = None
    """Events API v2 endpoint (default PagerDuty's own; the routing key is the receiver's entry in the secret
    alertReceiverSecrets)"""


class WebhookReceiver(Model):
    max_alerts: Annotated[int, Field(strict=True, ge=0)] = 0
    """most alerts in one message (0: all); the URL is the receiver's entry in the secret alertReceiverSecrets"""


class AlertReceiver(Model):
    """Where alerts go: exactly one of email, slack, pagerduty or webhook. Its credential (SMTP password,
    Slack or webhook URL, PagerDuty routing key) is never here: it is the receiver's entry in the secret
    alertReceiverSecrets."""

    email: EmailReceiver | None = None
    """e-mail through an SMTP relay"""
    slack: SlackReceiver | None = None
    """a Slack channel through an incoming webhook"""
    pagerduty: PagerDutyReceiver | None = None
    """a PagerDuty service (Events API v2)"""
    webhook: WebhookReceiver | None = None
    """an HTTP endpoint that takes Alertmanager's webhook payload"""
    send_resolved: StrictBool = True
    """also notify when an alert resolves"""

    @model_validator(mode="after")
    def _exactly_one(self) -> AlertReceiver:
        if len(self.kinds) != 1:
            raise ValueError("set exactly one of 'email', 'slack', 'pagerduty' or 'webhook'")
        return self

    @property
    def kinds(self) -> list[Literal["email", "slack", "pagerduty", "webhook"]]:
        kinds: list[Literal["email", "slack", "pagerduty", "webhook"]] = []
        for kind in ("email", "slack", "pagerduty", "webhook"):
            if getattr(self, kind) is not None:
                kinds.append(kind)
        return kinds

    @property
    def needs_secret(self) -> bool:
        return self.email is None or self.email.auth_username is not None

    def spec(self, name: str) -> Receiver:
        """The receiver as Alertmanager settings (its credential comes from a file)."""
        settings: dict[str, Any] = {"send_resolved": self.send_resolved}
        if self.email is not None:
            email = self.email
            settings |= {"to": ", ".join(email.to), "from": email.from_, "smarthost": email.smarthost,
                         "require_tls": email.require_tls}
            if email.auth_username is not None:
                settings["auth_username"] = email.auth_username
        elif self.slack is not None:
            settings["channel"] = self.slack.channel
        elif self.pagerduty is not None and self.pagerduty.url is not None:
            settings["url"] = self.pagerduty.url
        elif self.webhook is not None and self.webhook.max_alerts:
            settings["max_alerts"] = self.webhook.max_alerts
        return Receiver(name, self.kinds[0], settings, self.needs_secret)


class PrometheusStorage(Model):
    size: Quantity
    """size of Prometheus's volume, e.g. 200Gi"""
    storage_class_name: Rfc1123Label | None = None
    """storage class of the volume (default: the cluster's default class)"""


class MonitoringConfig(Model):
    """Alert routing and Prometheus retention (README, "Monitoring and alerting")."""

    receivers: Annotated[dict[ReceiverName, AlertReceiver], Field(min_length=1)]
    """receivers by name; tenants and the platform name them"""
    platform_receiver: Rfc1123Label
    """receiver of the platform's alerts (tier platform)"""
    platform_critical_receiver: Rfc1123Label | None = None
    """receiver that also gets the platform's critical alerts, e.g. a pager"""
    default_tenant_receiver: Rfc1123Label | None = None
    """receiver of the alerts of tenants without alerts.receiver (unset: every tenant must name one)"""
    retention: RetentionDuration = "15d"
    """how long Prometheus keeps metrics"""
    storage: PrometheusStorage | None = None
    """Prometheus's volume (default: the chart's, 100Gi)"""

    @model_validator(mode="after")
    def _known_receivers(self) -> MonitoringConfig:
        for key, name in (("platformReceiver", self.platform_receiver),
                          ("platformCriticalReceiver", self.platform_critical_receiver),
                          ("defaultTenantReceiver", self.default_tenant_receiver)):
            if name is not None and name not in self.receivers:
                raise FieldError(key, f"{name!r} is not defined under monitoring.receivers "
                                 f"(defined: {', '.join(sorted(self.receivers))})")
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

