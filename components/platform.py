"""AstronomerPlatform: the Astronomer chart from Artifactory and the objects it needs first."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

from components.isolation_policy import Deployers, admission_binding_spec, admission_policy_spec, policy_name
from components.kerberos_specs import HEALTH_PORT, SELECTOR
from components.labels import PodSecurityLevels, legacy_alias, object_metadata, pod_security_labels, standard_labels
from components.monitoring_specs import scrape_policy_spec
from components.platform_values import BOOTSTRAP_SECRET_NAME, PULL_SECRET_NAME, ChartSettings, platform_values
from components.registry import RegistryLogin, docker_config_json
from components.sign_in_specs import SIGN_IN_SECRET_NAME, SIGN_IN_VERSION_ANNOTATION, secrets_version
from components.tenant_rbac import TENANT_ROLES, tenant_role_name, tenant_role_rules
from domain.alerts import RECEIVER_SECRET_NAME

CHART_NAME = "astronomer"
# The platform's first install runs database migrations and many hooks: give it time.
RELEASE_TIMEOUT_SECONDS = 30 * 60


@dataclass(frozen=True)
class TlsKeyPair:
    """PEM certificate and key for the base domain and its wildcard (both secret)."""

    certificate: pulumi.Output[str]
    """PEM certificate chain"""
    key: pulumi.Output[str]
    """PEM private key"""


@dataclass(frozen=True)
class PlatformArgs:
    environment: str
    """environment label value, e.g. dev"""
    namespace: str
    """namespace of the platform release (created here)"""
    release_name: str
    """Helm release name"""
    chart: ChartSettings
    """chart version and what its values are made of"""
    chart_path: str | None
    """a local chart directory instead of the Helm repository (air-gapped installs, tests)"""
    registry: RegistryLogin
    """Artifactory login for the pull Secret and the Helm repository"""
    database_connection: pulumi.Output[str]
    """postgres://USER:PASS@HOST:5432 of the platform database (secret)"""
    tls: TlsKeyPair | None
    """the TLS Secret's content; None when the Secret is managed elsewhere"""
    pod_security: PodSecurityLevels
    """Pod Security Admission levels of the platform namespace"""
    protect_namespace: bool
    """refuse to delete the platform namespace"""
    wait_for: Sequence[pulumi.Input[pulumi.Resource]]
    """resources the release waits for: the pool namespaces, which the chart renders Roles into, and
    checks that must pass first (an output that fails stops the release)"""
    keep_legacy_urns: bool = False
    """alias the children to the fixed names of earlier versions; only for the one instance that
    existed then (URNs hold the parent's type, not its name, so two instances would share them)"""
    receiver_credentials: Mapping[str, pulumi.Output[str]] | None = None
    """monitoring receiver name -> its credential (secret), mounted into Alertmanager; None without monitoring"""
    sign_in_client_secrets: Mapping[str, pulumi.Output[str]] | None = None
    """Houston's provider key -> the provider's client secret (secret), for Houston's environment; must match
    chart.sign_in's providers with a client secret"""
    control_plane_ca: str | None = None
    """on a data plane: the PEM CA of Houston's certificate, as the Secret chart.plane names (not secret)"""
    deployers: Deployers | None = None
    """the only identities that may change or delete the isolation objects of this platform's tenant
    namespaces (an admission policy refuses everyone else); None leaves those objects to RBAC alone"""


class AstronomerPlatform(pulumi.ComponentResource):
    namespace_name: pulumi.Output[str]
    """the platform namespace's name, resolved once the Namespace exists"""
    release_name: pulumi.Output[str]
    """the Helm release's name"""
    release_status: pulumi.Output[str]
    """the Helm release's status, e.g. deployed"""
    houston_url: pulumi.Output[str]
    """the Houston API endpoint of this platform"""
    values: dict[str, Any]
    """the chart values (plain data, so a render and a reviewer see them); not a registered output: the
    Release holds them in the state already, and a stack's state is rewritten after every step"""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("astronomer:platform:AstronomerPlatform", name, None, opts)
        labels = standard_labels(args.environment, "platform")

        def child(old_name: str, **options: Any) -> pulumi.ResourceOptions:
            aliases = legacy_alias(old_name, args.keep_legacy_urns)
            return pulumi.ResourceOptions(parent=self, aliases=aliases, **options)

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                # 'platform: <release>' is what the chart's networkNSLabels hook would add.
                "labels": {**labels, **pod_security_labels(args.pod_security), "platform": args.release_name},
            },
            opts=child("platform-namespace", protect=args.protect_namespace),
        )
        self.namespace_name = namespace.metadata.name
        self._tenant_access(name, args, labels)

        def in_namespace(old_name: str) -> pulumi.ResourceOptions:
            return child(old_name, depends_on=[namespace])

        def metadata(object_name: str, annotations: dict[str, str] | None = None) -> ObjectMetaArgsDict:
            return object_metadata(object_name, args.namespace, labels, annotations)

        prerequisites: list[pulumi.Resource] = [namespace]
        prerequisites.append(k8s.core.v1.Secret(
            f"{name}-registry-pull-secret",
            # Not annotated for the platform to copy into deployment namespaces: it holds the login that pushes
            # images. Each tenant namespace holds a read-only login instead (Tenant, TENANT_PULL_SECRET_NAME).
            metadata=metadata(PULL_SECRET_NAME),
            type="kubernetes.io/dockerconfigjson",
            string_data={".dockerconfigjson": docker_config_json(args.registry)},
            opts=in_namespace("registry-pull-secret"),
        ))
        prerequisites.append(k8s.core.v1.Secret(
            f"{name}-database-bootstrap-secret",
            metadata=metadata(BOOTSTRAP_SECRET_NAME),
            type="Opaque",
            string_data={"connection": pulumi.Output.secret(args.database_connection)},
            opts=in_namespace("database-bootstrap-secret"),
        ))
        if args.tls is not None:
            prerequisites.append(k8s.core.v1.Secret(
                f"{name}-tls-secret",
                metadata=metadata(args.chart.tls_secret_name),
                type="kubernetes.io/tls",
                string_data={
                    "tls.crt": pulumi.Output.secret(args.tls.certificate),
                    "tls.key": pulumi.Output.secret(args.tls.key),
                },
                opts=in_namespace("tls-secret"),
            ))

        if args.control_plane_ca and args.chart.plane and args.chart.plane.ca_secret_name:
            # The chart mounts its cert.pem into its pods (global.privateCaCerts). A public certificate: the stack
            # file shows it, though the SDK keeps a Secret's data secret in the render and the state.
            prerequisites.append(k8s.core.v1.Secret(
                f"{name}-control-plane-ca",
                metadata=metadata(args.chart.plane.ca_secret_name),
                type="Opaque",
                string_data={"cert.pem": args.control_plane_ca},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            ))
        if args.sign_in_client_secrets:
            prerequisites.append(k8s.core.v1.Secret(
                f"{name}-sign-in-secret",
                metadata=metadata(SIGN_IN_SECRET_NAME),
                type="Opaque",
                string_data={key: pulumi.Output.secret(value) for key, value in args.sign_in_client_secrets.items()},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            ))
        if args.chart.monitoring is not None:
            prerequisites += self._monitoring(name, args, metadata, pulumi.ResourceOptions(parent=self,
                                                                                            depends_on=[namespace]))

        self.values = platform_values(args.chart)
        repository = None
        if not args.chart_path:
            repository = k8s.helm.v3.RepositoryOptsArgs(
                repo=args.chart.helm_repo_url, username=args.registry.username, password=args.registry.secret_password
            )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=args.release_name,
            namespace=args.namespace,
            chart=args.chart_path or CHART_NAME,
            version=None if args.chart_path else args.chart.chart_version,
            repository_opts=repository,
            values=self._with_sign_in_version(args),
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=RELEASE_TIMEOUT_SECONDS,
            max_history=10,
            opts=child("platform-release", depends_on=[*prerequisites, *args.wait_for]),
        )
        self.release_name = release.name.apply(lambda name: name or args.release_name)
        self.release_status = release.status.apply(lambda status: status.status)
        self.houston_url = pulumi.Output.from_input(f"https://houston.{args.chart.base_domain}/v1")
        self.register_outputs({
            "namespaceName": self.namespace_name,
            "releaseName": self.release_name,
            "releaseStatus": self.release_status,
            "houstonUrl": self.houston_url,
        })

    def _with_sign_in_version(self, args: PlatformArgs) -> dict[str, Any]:
        """The values, with Houston's pod annotated by a version of the client secrets (when there are any):
        a rotated secret then restarts Houston. The version is no secret, so the values stay readable."""
        if not args.sign_in_client_secrets:
            return self.values
        version = pulumi.Output.unsecret(pulumi.Output.all(**args.sign_in_client_secrets).apply(
            lambda secrets: secrets_version(args.chart.control_plane_id, secrets)))
        values = copy.deepcopy(self.values)
        houston = values.setdefault("astronomer", {}).setdefault("houston", {})
        houston.setdefault("podAnnotations", {})[SIGN_IN_VERSION_ANNOTATION] = version
        return values

    def _monitoring(self, name: str, args: PlatformArgs, metadata: Callable[[str], ObjectMetaArgsDict],
                    in_namespace: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """What the chart's monitoring needs besides values: the receivers' credentials as files (never in
        the values), and a NetworkPolicy that lets Prometheus scrape the ticket manager."""
        k8s.networking.v1.NetworkPolicy(
            f"{name}-scrape-kerberos-manager",
            metadata=metadata("prometheus-scrape-kerberos-manager"),
            spec=scrape_policy_spec(args.release_name, SELECTOR, HEALTH_PORT),
            opts=in_namespace,
        )
        if not args.receiver_credentials:
            return []
        return [k8s.core.v1.Secret(
            f"{name}-receiver-credentials",
            metadata=metadata(RECEIVER_SECRET_NAME),
            type="Opaque",
            string_data={receiver: pulumi.Output.secret(credential)
                         for receiver, credential in args.receiver_credentials.items()},
            opts=in_namespace,
        )]

    def _tenant_access(self, name: str, args: PlatformArgs, labels: dict[str, str]) -> None:
        """Cluster-wide, once per platform: the tenant ClusterRoles that tenants' RoleBindings name,
        and the admission policy that keeps tenants' isolation objects as declared."""
        child = pulumi.ResourceOptions(parent=self)
        for role in TENANT_ROLES:
            k8s.rbac.v1.ClusterRole(
                f"{name}-tenant-{role}",
                metadata={"name": tenant_role_name(args.release_name, role), "labels": labels},
                rules=tenant_role_rules(role),
                opts=child,
            )
        if args.deployers is None:
            return
        policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            f"{name}-tenant-isolation",
            metadata={"name": policy_name(args.release_name), "labels": labels},
            spec=admission_policy_spec(args.release_name, args.deployers),
            opts=child,
        )
        k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            f"{name}-tenant-isolation",
            metadata={"name": policy_name(args.release_name), "labels": labels},
            spec=admission_binding_spec(args.release_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
