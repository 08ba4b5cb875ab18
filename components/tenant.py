"""Tenant: one isolated namespace per line of business, the pool namespace of its Airflow deployment
(which ``components.houston_resources.TenantAirflow`` manages through Houston)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

from components.isolation_policy import PLATFORM_RELEASE_LABEL
from components.kerberos_files import (
    CACHE_SECRET_NAME,
    KRB5_CONFIG_NAME,
    MOUNT_CONFIG_NAME,
    Krb5Settings,
    cache_key,
    krb5_conf,
)
from components.labels import TENANT_LABEL, PodSecurityLevels, object_metadata, pod_security_labels, standard_labels
from components.registry import TENANT_PULL_SECRET_NAME, RegistryLogin, docker_config_json
from components.tenant_rbac import TenantRole, tenant_role_name
from components.tenant_specs import EgressAllow, QuotaCeiling, network_policy_specs, quota_spec

DATAKITS_CONFIG_NAME = "datakits"
QUOTA_NAME = "tenant-ceiling"

# Which of a tenant's objects one stack declares: all of them (one stack for everything); only the
# namespace (the platform stack, when the tenant's objects live in a shard stack: the chart needs
# the namespace before it installs); or all but the namespace (that shard stack). docs/large-stacks.md.
TenantPart = Literal["all", "namespace", "contents"]


@dataclass(frozen=True)
class TenantArgs:
    """One line of business. The component's own name is the tenant's name (an RFC 1123 label)."""

    namespace: str
    """the tenant's namespace"""
    environment: str
    """environment label value, e.g. dev"""
    platform_release: str
    """Helm release name of the platform that serves this tenant (a label)"""
    platform_namespace: str
    """the platform's namespace: allowed in both directions by the tenant's NetworkPolicy"""
    pod_security: PodSecurityLevels
    """Pod Security Admission levels of the namespace"""
    protect_namespace: bool
    """refuse to delete the namespace (and everything in it) when the tenant is removed"""
    egress: Sequence[EgressAllow]
    """destinations outside the cluster the tenant's pods may reach"""
    quota: QuotaCeiling
    """ResourceQuota ceiling of the namespace"""
    role_groups: Mapping[TenantRole, Sequence[str]]
    """tenant role (admin, edit, view) -> IdP groups bound in the namespace to the platform's ClusterRole
    of that role (``tenant_rbac``: no write access to the namespace's isolation objects)"""
    krb5: Krb5Settings
    """the Kerberos realm the tenant's pods use (krb5.conf)"""
    cache_mount_path: str
    """where the tenant's pods mount the ticket cache Secret"""
    datakit_images: Mapping[str, pulumi.Input[str]]
    """the datakits the tenant may run: name -> full image reference"""
    pull_login: RegistryLogin | None = None
    """the read-only registry login the namespace's pull Secret holds; declared with the namespace (None: a
    shard stack, whose platform stack holds it)"""
    part: TenantPart = "all"
    """which of the tenant's objects this stack declares: all, only the namespace, or all but it"""


class Tenant(pulumi.ComponentResource):
    namespace_name: pulumi.Output[str]
    """the tenant namespace's name, resolved once the Namespace exists"""
    namespace: k8s.core.v1.Namespace | None
    """the Namespace, when this stack declares it (objects in it can go with it)"""
    cache_secret_name: pulumi.Output[str]
    """the Secret the ticket manager writes the tenant's Kerberos ticket cache into"""
    datakit_images: pulumi.Output[dict[str, pulumi.Input[str]]]
    """datakit name -> image reference"""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("astronomer:platform:Tenant", name, None, opts)
        labels = standard_labels(
            args.environment,
            "tenant",
            **{TENANT_LABEL: name, PLATFORM_RELEASE_LABEL: args.platform_release},
        )
        self.namespace: k8s.core.v1.Namespace | None = None
        if args.part == "contents":
            # Another stack owns the namespace (and protects it).
            self.namespace_name = pulumi.Output.from_input(args.namespace)
        else:
            namespace = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata={"name": args.namespace, "labels": {**labels, **pod_security_labels(args.pod_security)}},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect_namespace),
            )
            # Referencing the namespace's output makes every object wait for the namespace.
            self.namespace_name = namespace.metadata.name
            self.namespace = namespace
            if args.pull_login is not None:
                # With the namespace, so that a shard stack never needs the credential.
                k8s.core.v1.Secret(
                    f"{name}-pull-secret",
                    metadata=object_metadata(TENANT_PULL_SECRET_NAME, self.namespace_name, labels),
                    type="kubernetes.io/dockerconfigjson",
                    string_data={".dockerconfigjson": docker_config_json(args.pull_login)},
                    opts=pulumi.ResourceOptions(parent=self, deleted_with=namespace),
                )
        self.cache_secret_name = pulumi.Output.from_input(CACHE_SECRET_NAME)
        self.datakit_images = pulumi.Output.from_input(dict(args.datakit_images))
        if args.part != "namespace":
            self._contents(name, args, labels)
        self.register_outputs({
            "namespaceName": self.namespace_name,
            "cacheSecretName": self.cache_secret_name,
            "datakitImages": self.datakit_images,
        })

    def _contents(self, name: str, args: TenantArgs, labels: dict[str, str]) -> None:
        """Everything in the namespace: isolation, access, Kerberos wiring and the datakit images. When this
        stack holds the namespace too, deleting the namespace deletes them: the engine skips their own deletes."""
        child = pulumi.ResourceOptions(parent=self, deleted_with=self.namespace)

        def metadata(object_name: str) -> ObjectMetaArgsDict:
            return object_metadata(object_name, self.namespace_name, labels)

        for policy_name, spec in network_policy_specs(args.platform_namespace, args.egress).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}", metadata=metadata(policy_name), spec=spec, opts=child
            )
        # No LimitRange: the platform brings one per deployment, and two make defaults undefined.
        k8s.core.v1.ResourceQuota(
            f"{name}-quota", metadata=metadata(QUOTA_NAME), spec=quota_spec(args.quota), opts=child
        )

        # The platform's tenant ClusterRoles, never the built-in admin/edit (which may delete the
        # NetworkPolicies and the quota above); a RoleBinding keeps them to this namespace.
        for role, groups in args.role_groups.items():
            if groups:
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{role}-groups",
                    metadata=metadata(f"tenant-{role}"),
                    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": tenant_role_name(args.platform_release, role)},
                    subjects=[{"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups],
                    opts=child,
                )

        key = cache_key(name)
        k8s.core.v1.ConfigMap(
            f"{name}-kerberos-mount-config",
            metadata=metadata(MOUNT_CONFIG_NAME),
            data={
                "mount_path": args.cache_mount_path,
                "ticket_cache": key,
                # Pods mount the whole cache Secret as a directory: a subPath mount never updates.
                "KRB5CCNAME": f"FILE:{args.cache_mount_path}/{key}",
            },
            opts=child,
        )
        k8s.core.v1.ConfigMap(
            f"{name}-krb5-config", metadata=metadata(KRB5_CONFIG_NAME), data={"krb5.conf": krb5_conf(args.krb5)},
            opts=child,
        )
        # Created without data once; the ticket manager owns its contents from then on.
        k8s.core.v1.Secret(
            f"{name}-kerberos-ccache",
            metadata=metadata(CACHE_SECRET_NAME),
            type="Opaque",
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["data", "stringData"])),
        )

        k8s.core.v1.ConfigMap(
            f"{name}-datakits",
            metadata=metadata(DATAKITS_CONFIG_NAME),
            # No data key at all for a tenant without datakits: the API server drops an empty map.
            data=dict(args.datakit_images) or None,
            opts=child,
        )
