"""The program: validate the stack config (every problem at once, nothing created on error), then map
it onto the components in order: images -> tenants -> platform chart -> Kerberos ticket manager ->
each tenant's Airflow deployment through Houston. Each function maps one part of the config onto
one component's arguments; ``main`` wires them together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

import pulumi
import pulumi_docker as docker
import pulumi_kubernetes as k8s

from components.chart_upgrade import CHART_VERSION_OUTPUT, deployed_version_gate
from components.datakit_image import (
    MANAGER_IMAGE,
    DatakitImage,
    DatakitImageArgs,
    manager_image_args,
    runtime_image_args,
)
from components.houston_clusters import DataPlaneRegistration, PlatformCluster
from components.houston_resources import HoustonSettings, TenantAirflow, TenantAirflowArgs
from components.houston_specs import (
    ComponentSize,
    DagDeploymentSpec,
    DeploymentSizing,
    GitSyncSpec,
    workspace_roles,
)
from components.isolation_policy import Deployers
from components.kerberos import KerberosSidecar, KerberosSidecarArgs, VaultLogin
from components.kerberos_files import Krb5Settings
from components.kerberos_specs import KerberosTenant, ManagerSettings
from components.platform import AstronomerPlatform, PlatformArgs, TlsKeyPair
from components.platform_values import (
    PULL_SECRET_NAME,
    ChartSettings,
    DeploymentRegistry,
    PlaneSpec,
    control_plane_id,
)
from components.provider import PLATFORM_PROVIDER, data_plane_provider_name, kubernetes_provider
from components.registry import TENANT_PULL_SECRET_NAME, RegistryLogin
from components.tenant import Tenant, TenantArgs
from components.tenant_document import shard_documents
from components.tenant_specs import EgressAllow, QuotaCeiling
from composition.airflow_environment import deployment_environment
from composition.monitoring import monitoring_spec
from composition.shard import SHARDS_OUTPUT
from composition.sign_in import sign_in_spec
from composition.stack_config import Secrets, load
from config.dags import TenantDags
from config.data_planes import DataPlaneConfig
from config.sign_in import HOUSTON_KEYS
from config.sizing import quota_ceiling
from config.stack import StackConfig
from config.tenant import PodResources, TenantConfig
from domain.planes import CONTROL_PLANE_CA_SECRET, metadata_url


def images(config: StackConfig, registry: RegistryLogin,
           opts: pulumi.ResourceOptions | None) -> dict[str, DatakitImage]:
    """The Kerberos Runtime image, each datakit's image on it, and the ticket manager's image unless
    ``kerberos.managerImage`` names another."""
    artifactory = config.artifactory
    runtime_image = DatakitImage("astro-runtime-krb5", runtime_image_args(
        registry, artifactory.repositories.platform, artifactory.repositories.certified,
        config.images.runtime_version, config.images.python_version, config.images.build), opts=opts)
    built = {"astro-runtime-krb5": runtime_image} | {
        f"datakit-{name}": DatakitImage(f"datakit-{name}", DatakitImageArgs(
            registry, artifactory.repository("datakits"), name, kit.version, config.images.build, kit.context,
            build_args={"BASE_IMAGE": runtime_image.image_ref}), opts=opts)
        for name, kit in config.datakits.items()}
    if config.kerberos.manager_image is None:
        built[MANAGER_IMAGE] = DatakitImage(MANAGER_IMAGE, manager_image_args(
            registry, artifactory.repositories.platform, artifactory.repositories.certified, config.images.build),
            opts=opts)
    return built


def _port(host_port: str, default: int) -> int:
    host, _, port = host_port.rpartition(":")
    return int(port) if host and port.isdigit() else default


def api_server_egress(config: StackConfig, plane: DataPlaneConfig | None = None) -> EgressAllow:
    """The API server of the cluster a pod runs on: the platform's, or its data plane's."""
    if plane is not None:
        return EgressAllow(plane.api_server_cidrs, [("TCP", plane.api_server_port)])
    egress = config.tenancy.egress
    return EgressAllow(egress.api_server_cidrs, [("TCP", egress.api_server_port)])


def on_cluster(config: StackConfig, plane: DataPlaneConfig | None) -> list[TenantConfig]:
    """The tenants that run on a data plane's cluster, or (None) on the platform's."""
    name = plane.name if plane else None
    return [t for t in config.tenants if t.data_plane == name]


def kdc_egress(config: StackConfig) -> EgressAllow:
    ports = sorted({_port(kdc, 88) for kdc in config.kerberos.kdcs})
    return EgressAllow(config.tenancy.egress.kdc_cidrs,
                       [(protocol, port) for port in ports for protocol in ("TCP", "UDP")])


def vault_egress(config: StackConfig) -> EgressAllow:
    url = urlsplit(config.kerberos.delinea.url)
    return EgressAllow(config.tenancy.egress.vault_cidrs, [("TCP", url.port or 443)])


def tenants_args(config: StackConfig, krb5: Krb5Settings, images: dict[str, DatakitImage],
                 pull_login: RegistryLogin | None) -> dict[str, TenantArgs]:
    """Each tenant's namespace, isolation, quota, roles, pull Secret and ticket cache. A tenant with a shard
    keeps only its namespace and pull Secret here; its shard stack declares the rest."""
    platform, tenancy = config.platform, config.tenancy
    planes = {plane.name: plane for plane in config.data_planes}
    # What a deployment's pods reach outside the namespace and the platform's (docs/design.md, "Network"):
    # the API server of their cluster (schedulers and workers launch pods), the KDCs and the metadata database.
    # Never the vault: only the ticket manager holds keytabs.
    shared_egress = [
        kdc_egress(config),
        EgressAllow(tenancy.egress.database_cidrs, [("TCP", tenancy.egress.database_port)]),
    ]
    return {t.name: TenantArgs(
        namespace=t.namespace_name, environment=config.environment, platform_release=platform.release_name,
        platform_namespace=platform.namespace, pod_security=tenancy.pod_security,
        protect_namespace=tenancy.protect_namespaces,
        egress=[api_server_egress(config, planes.get(t.data_plane or "")), *shared_egress,
                *(EgressAllow(r.cidrs, [(r.protocol, p) for p in r.ports]) for r in t.egress)],
        quota=QuotaCeiling(**(t.quota.model_dump() if t.quota else quota_ceiling(t.deployment.shares(t.max_workers)))),
        role_groups={"admin": t.admin_groups, "edit": t.edit_groups, "view": t.view_groups},
        krb5=krb5, cache_mount_path=config.kerberos.cache_mount_path,
        datakit_images={kit: images[f"datakit-{kit}"].image_ref for kit in t.datakits},
        pull_login=pull_login,
        part="namespace" if t.shard else "all",
    ) for t in config.tenants}


def chart_settings(config: StackConfig, secrets: Secrets, tenants: list[TenantConfig],
                   plane: PlaneSpec | None) -> ChartSettings:
    """The chart values' inputs for one release: its cluster's tenants as the pool; Houston's settings (monitoring,
    sign-in) only where Houston runs."""
    platform, artifactory = config.platform, config.artifactory
    houston_here = plane is None or plane.mode != "data"
    return ChartSettings(
        chart_version=platform.chart_version, image_repository=artifactory.repository("certified"),
        helm_repo_url=artifactory.helm_repo_url, base_domain=platform.base_domain,
        tls_secret_name=platform.tls_secret_name, pool_namespaces=[t.namespace_name for t in tenants],
        control_plane_id=control_plane_id(pulumi.get_project(), pulumi.get_stack()),
        values_overrides=platform.values_overrides,
        monitoring=monitoring_spec(config) if houston_here else None,
        sign_in=sign_in_spec(config, secrets.sign_in_client_secrets) if houston_here else None,
        dag_mechanisms=frozenset(t.dags.deploy for t in tenants if t.dags.deploy != "image"),
        deployment_registry=DeploymentRegistry(artifactory.repository("certified"),
                                               artifactory.repository("deployments"), TENANT_PULL_SECRET_NAME),
        plane=plane)


def platform_args(config: StackConfig, secrets: Secrets, registry: RegistryLogin,
                  tenants: dict[str, Tenant]) -> PlatformArgs:
    """The platform chart's release and what it needs first, after every tenant namespace on its cluster. With data
    planes it is the control plane (unified: it runs the tenants without a data plane too)."""
    platform, tenancy = config.platform, config.tenancy
    here = on_cluster(config, None)
    tls = TlsKeyPair(secrets.tls_certificate, secrets.tls_key) if secrets.tls_certificate and secrets.tls_key else None
    return PlatformArgs(
        environment=config.environment, namespace=platform.namespace, release_name=platform.release_name,
        chart=chart_settings(config, secrets, here, PlaneSpec(platform.plane_mode) if config.data_planes else None),
        chart_path=platform.chart_path, registry=registry, database_connection=secrets.database_connection, tls=tls,
        pod_security=platform.pod_security, protect_namespace=platform.protect_namespace,
        # A downgrade of the chart line fails here, before the release; a change of line prints its guide.
        wait_for=[*(tenants[t.name] for t in here),
                  deployed_version_gate(platform.chart_version, platform.allow_downgrade_from)],
        keep_legacy_urns=True, receiver_credentials=secrets.receiver_credentials,
        sign_in_client_secrets={HOUSTON_KEYS[kind]: secret for kind, secret in secrets.sign_in_client_secrets.items()},
        deployers=Deployers(tuple(tenancy.deployers.users), tuple(tenancy.deployers.groups)),
    )


def data_plane_args(config: StackConfig, secrets: Secrets, plane: DataPlaneConfig, tenants: dict[str, Tenant],
                    control_plane: AstronomerPlatform, control_args: PlatformArgs) -> PlatformArgs:
    """A data plane's release: the platform's, in data mode on the plane's own cluster with its tenants' pool, without
    Houston's secrets and the TLS Secret (the plane's own certificate is a prerequisite), after the control plane (its
    install hook reads Houston's signing keys) and its cluster's tenant namespaces."""
    here = on_cluster(config, plane)
    ca_secret = CONTROL_PLANE_CA_SECRET if plane.control_plane_ca else None
    return replace(
        control_args, chart=chart_settings(config, secrets, here, PlaneSpec("data", plane.domain_prefix, ca_secret)),
        tls=None, wait_for=[*(tenants[t.name] for t in here), control_plane], keep_legacy_urns=False,
        receiver_credentials=None, sign_in_client_secrets=None, control_plane_ca=plane.control_plane_ca)


def ticket_manager_args(config: StackConfig, secrets: Secrets, krb5: Krb5Settings, manager_image: pulumi.Input[str],
                        namespace: pulumi.Output[str], tenants: dict[str, Tenant],
                        plane: DataPlaneConfig | None = None) -> KerberosSidecarArgs:
    """The ticket manager in the platform namespace of one cluster, writing the caches of that cluster's tenants
    (keytabs never cross clusters)."""
    kerberos = config.kerberos
    here = on_cluster(config, plane)
    return KerberosSidecarArgs(
        namespace=namespace, environment=config.environment,
        manager=ManagerSettings(manager_image, PULL_SECRET_NAME,
                                kerberos.replicas, kerberos.renew_interval_seconds, kerberos.ticket_lifetime_seconds),
        krb5=krb5, vault=VaultLogin(kerberos.delinea.url, kerberos.delinea.username, secrets.delinea_password),
        tenants=[KerberosTenant(t.name, t.namespace_name, t.kerberos.principal, t.kerberos.keytab_secret_id)
                 for t in here],
        tenant_namespaces={t.name: tenants[t.name].namespace_name for t in here},
        tenant_namespace_resources={t.name: resource for t in here
                                    if (resource := tenants[t.name].namespace) is not None},
        egress=[api_server_egress(config, plane), kdc_egress(config), vault_egress(config)],
        keep_legacy_urns=plane is None,
    )


def _size(resources: PodResources) -> ComponentSize:
    return ComponentSize(resources.millicores, resources.mebibytes)


def dag_deployment_spec(dags: TenantDags) -> DagDeploymentSpec:
    git = dags.git_sync
    return DagDeploymentSpec(dags.deploy, GitSyncSpec(
        git.repository_url, git.branch, git.rev, git.directory, git.sync_interval_seconds, git.auth, git.known_hosts,
        git.https_username) if git else None)


def houston_settings(config: StackConfig, secrets: Secrets) -> HoustonSettings | None:
    """Houston's endpoint, key and timeouts; None without a key (a stack without tenants or data planes)."""
    if secrets.houston_api_key is None:
        return None
    timeouts = config.houston.timeouts
    return HoustonSettings(config.houston_url, secrets.houston_api_key, timeouts.deploy_seconds,
                           timeouts.delete_seconds, timeouts.poll_interval_seconds)


def airflow_args(config: StackConfig, houston: HoustonSettings | None, images: dict[str, DatakitImage],
                 tenants: dict[str, Tenant], secrets: Secrets,
                 clusters: Mapping[str | None, pulumi.Output[str]]) -> dict[str, TenantAirflowArgs]:
    """Each tenant's Houston workspace and Airflow deployment (sharded tenants' too: Houston belongs to
    the platform stack), in its cluster (``clusters``: data plane name, or None for the platform's own, -> Houston's
    cluster id; empty on a platform without data planes)."""
    args: dict[str, TenantAirflowArgs] = {}
    if houston is None:
        return args
    for t in config.tenants:
        deployment = t.deployment
        environment = deployment_environment(
            config, t, {kit: images[f"datakit-{kit}"].image_ref for kit in t.datakits},
            secrets.connection_passwords.get(t.name, {}))
        args[t.name] = TenantAirflowArgs(
            houston=houston, workspace_label=t.name,
            workspace_description=f"Line of business {t.name} ({config.environment})",
            teams=workspace_roles(t.admin_groups, t.edit_groups, t.view_groups),
            label=deployment.label or t.name,
            description=deployment.description or f"Airflow of {t.name}, managed by astronomer-platform",
            release_name=t.release_name, namespace=tenants[t.name].namespace_name, executor=deployment.executor,
            runtime_version=deployment.runtime_version or config.images.runtime_version,
            image=config.artifactory.image("deployments", t.image),
            sizing=DeploymentSizing(
                deployment.scheduler.replicas, _size(deployment.scheduler), _size(deployment.webserver),
                deployment.triggerer.replicas, _size(deployment.triggerer), t.max_workers, _size(deployment.worker)),
            environment=environment.plain, secret_environment=environment.secret,
            dags=dag_deployment_spec(t.dags), dag_credential=secrets.dag_credentials.get(t.name),
            protect=config.tenancy.protect_namespaces,
            cluster_id=clusters[t.data_plane] if t.data_plane else None,
            platform_cluster_id=None if t.data_plane else clusters.get(None),
        )
    return args


def data_planes(config: StackConfig, secrets: Secrets, control_args: PlatformArgs, krb5: Krb5Settings,
                manager_image: pulumi.Input[str], tenants: dict[str, Tenant], control_plane: AstronomerPlatform,
                providers: Mapping[str, k8s.Provider],
                houston: HoustonSettings | None) -> dict[str | None, pulumi.Output[str]]:
    """Each data plane's release and ticket manager on its cluster, registered with Houston (validation requires its
    key with data planes); Houston's cluster id of each data plane, and of the platform's own cluster in unified mode
    (None key)."""
    clusters: dict[str | None, pulumi.Output[str]] = {}
    if not config.data_planes:
        return clusters
    after_houston = pulumi.ResourceOptions(depends_on=[control_plane])
    registered_after: list[pulumi.Resource] = [control_plane]
    if houston is not None and config.platform.plane_mode == "unified":
        # Recorded while Houston's own cluster is its only one; every registration follows.
        own = PlatformCluster("platform-cluster", houston, opts=after_houston)
        clusters[None] = own.id
        registered_after.append(own)
    for plane in config.data_planes:
        opts = pulumi.ResourceOptions(providers=[providers[plane.name]])
        release = AstronomerPlatform(f"dataplane-{plane.name}", data_plane_args(
            config, secrets, plane, tenants, control_plane, control_args), opts=opts)
        KerberosSidecar(f"kerberos-{plane.name}", ticket_manager_args(
            config, secrets, krb5, manager_image, release.namespace_name, tenants, plane), opts=opts)
        if houston is not None:
            url = metadata_url(plane.domain_prefix, config.platform.base_domain)
            registration = DataPlaneRegistration(
                f"dataplane-{plane.name}", houston, plane.name, url,
                opts=pulumi.ResourceOptions(depends_on=[*registered_after, release]))
            clusters[plane.name] = registration.id
    return clusters


def main() -> None:
    config, secrets = load()
    artifactory, kerberos = config.artifactory, config.kerberos
    registry = RegistryLogin(artifactory.host, artifactory.username, secrets.artifactory_password)
    krb5 = Krb5Settings(kerberos.realm, tuple(kerberos.kdcs), kerberos.ticket_lifetime_seconds)

    kubernetes = kubernetes_provider(PLATFORM_PROVIDER, config.kubernetes.context, config.kubernetes.kubeconfig)
    k8s_opts = pulumi.ResourceOptions(providers=[kubernetes])
    # Each data plane's cluster through a provider of its own.
    providers = {plane.name: kubernetes_provider(data_plane_provider_name(plane.name), plane.kubernetes.context,
                                                 plane.kubernetes.kubeconfig) for plane in config.data_planes}
    # Images are built only with images.build; the Docker provider is explicit like the Kubernetes one.
    docker_opts = pulumi.ResourceOptions(providers=[docker.Provider("docker")]) if config.images.build else None

    built = images(config, registry, docker_opts)
    manager_image = (built[MANAGER_IMAGE].image_ref if kerberos.manager_image is None
                     else artifactory.image("platform", kerberos.manager_image))
    pull_login = (RegistryLogin(artifactory.host, artifactory.pull_username, secrets.artifactory_pull_password)
                  if artifactory.pull_username and secrets.artifactory_pull_password else None)
    tenant_arguments = tenants_args(config, krb5, built, pull_login)
    tenants = {t.name: Tenant(t.name, tenant_arguments[t.name], opts=pulumi.ResourceOptions(
        providers=[providers[t.data_plane] if t.data_plane else kubernetes])) for t in config.tenants}
    control_args = platform_args(config, secrets, registry, tenants)
    astronomer = AstronomerPlatform("astronomer", control_args, opts=k8s_opts)
    KerberosSidecar("kerberos", ticket_manager_args(config, secrets, krb5, manager_image, astronomer.namespace_name,
                                                    tenants), opts=k8s_opts)
    houston = houston_settings(config, secrets)
    clusters = data_planes(config, secrets, control_args, krb5, manager_image, tenants, astronomer, providers,
                           houston)
    # Each tenant's workspace and deployment once Houston is up and its pool holds the namespace; deleted
    # before the platform.
    airflows = {name: TenantAirflow(name, args, opts=pulumi.ResourceOptions(depends_on=[astronomer]))
                for name, args in airflow_args(config, houston, built, tenants, secrets, clusters).items()}

    pulumi.export("platformNamespace", astronomer.namespace_name)
    pulumi.export("houstonUrl", astronomer.houston_url)
    pulumi.export("releaseStatus", astronomer.release_status)
    pulumi.export(CHART_VERSION_OUTPUT, config.platform.chart_version)
    pulumi.export("tenantNamespaces", {t.name: t.namespace_name for t in config.tenants})
    pulumi.export("images", {name: image.image_ref for name, image in built.items()})
    pulumi.export("airflowDeployments", {
        name: {"workspaceId": airflow.workspace_id, "deploymentId": airflow.deployment_id,
               "releaseName": airflow.release_name} for name, airflow in airflows.items()})
    if config.data_planes:
        pulumi.export("dataPlanes", {plane.name: {
            "clusterId": clusters.get(plane.name), "metadataUrl": metadata_url(plane.domain_prefix,
                                                                                config.platform.base_domain),
            "tenants": [t.name for t in on_cluster(config, plane)]} for plane in config.data_planes})
    # What each tenant shard stack reads (docs/large-stacks.md).
    pulumi.export(SHARDS_OUTPUT, shard_documents(tenant_arguments, {t.name: t.shard for t in config.tenants}))
