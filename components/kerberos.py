"""KerberosSidecar: the central ticket manager that keeps every tenant's ticket cache fresh.

It runs in the platform namespace, holds the keytabs (fetched from the Delinea vault) and writes
each tenant's credential cache into that tenant's ``kerberos-ccache`` Secret. Keytabs never enter
a tenant namespace. The image contract is in docs/kerberos.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict

from components.kerberos_files import Krb5Settings, krb5_conf
from components.kerberos_specs import (
    CONFIG_MAP,
    DELINEA_PASSWORD_KEY,
    DELINEA_SECRET,
    DEPLOYMENT,
    EGRESS_POLICY,
    SELECTOR,
    SERVICE_ACCOUNT,
    KerberosTenant,
    ManagerSettings,
    VaultAccess,
    cache_writer_rules,
    config_checksum,
    deployment_spec,
    egress_policy_spec,
    tenants_document,
)
from components.labels import legacy_alias, object_metadata, standard_labels
from components.tenant_specs import EgressAllow

CACHE_WRITER_ROLE = "kerberos-ccache-writer"


@dataclass(frozen=True)
class VaultLogin:
    """The Delinea Secret Server that holds the keytabs, and the manager's login to it."""

    url: str
    """https URL of the Secret Server"""
    username: str
    """the manager's Delinea user"""
    password: pulumi.Output[str]
    """the manager's Delinea password (secret)"""


@dataclass(frozen=True)
class KerberosSidecarArgs:
    namespace: pulumi.Input[str]
    """the manager's namespace; pass the Namespace's output so every object waits for it"""
    environment: str
    """environment label value, e.g. dev"""
    manager: ManagerSettings
    """image, replicas and renewal timing"""
    krb5: Krb5Settings
    """the realm and KDCs the manager obtains tickets from"""
    vault: VaultLogin
    """where the keytabs come from"""
    tenants: Sequence[KerberosTenant]
    """the tenants whose caches the manager keeps fresh"""
    tenant_namespaces: Mapping[str, pulumi.Input[str]]
    """tenant name -> its namespace as an output of the tenant's Namespace (the Roles wait for it)"""
    tenant_namespace_resources: Mapping[str, pulumi.Resource] = field(default_factory=dict[str, pulumi.Resource])
    """tenant name -> its Namespace, where this stack declares it: the cache writer's Role and RoleBinding go
    with it when the namespace is deleted"""
    egress: Sequence[EgressAllow] = ()
    """where the manager's pods may connect besides DNS (the vault, the KDCs, the API server); empty: no
    egress policy of its own"""
    keep_legacy_urns: bool = False
    """alias the children to the fixed names of earlier versions; only for the one instance that
    existed then (URNs hold the parent's type, not its name, so two instances would share them)"""


class KerberosSidecar(pulumi.ComponentResource):
    deployment_name: pulumi.Output[str]
    """the manager's Deployment"""
    config_checksum: pulumi.Output[str]
    """checksum of the tenants file and krb5.conf in the pod template (a change rolls the pods)"""

    def __init__(self, name: str, args: KerberosSidecarArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("astronomer:platform:KerberosSidecar", name, None, opts)
        labels = standard_labels(args.environment, "kerberos-manager")

        def child(old_name: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, aliases=legacy_alias(old_name, args.keep_legacy_urns))

        def metadata(object_name: str, namespace: pulumi.Input[str] = args.namespace) -> ObjectMetaArgsDict:
            return object_metadata(object_name, namespace, labels)

        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=metadata(SERVICE_ACCOUNT),
            opts=child("kerberos-manager-service-account"),
        )
        # Only the password is secret: the URL and user go into the pod template in clear. The
        # resource keeps its name (and alias) from when the Secret was delinea-config, so the engine
        # replaces it: delinea-credentials is created before the Deployment uses it, then the old
        # Secret is deleted.
        credentials = k8s.core.v1.Secret(
            f"{name}-delinea-config",
            metadata=metadata(DELINEA_SECRET),
            type="Opaque",
            string_data={DELINEA_PASSWORD_KEY: pulumi.Output.secret(args.vault.password)},
            opts=child("delinea-config"),
        )
        # The API server bumps resourceVersion on every update of the Secret: a new password rolls
        # the pods, and the pod template carries nothing derived from it.
        credentials_version = credentials.metadata.apply(lambda meta: meta.resource_version or "")
        vault = VaultAccess(args.vault.url, args.vault.username, credentials_version)
        config_data = {"tenants.json": tenants_document(args.tenants), "krb5.conf": krb5_conf(args.krb5)}
        k8s.core.v1.ConfigMap(
            f"{name}-config", metadata=metadata(CONFIG_MAP), data=config_data, opts=child("kerberos-manager-config")
        )
        checksum = config_checksum(config_data)
        # Before the Deployment, so its pods never start unrestricted.
        first = [k8s.networking.v1.NetworkPolicy(
            f"{name}-egress", metadata=metadata(EGRESS_POLICY), spec=egress_policy_spec(args.egress),
            opts=pulumi.ResourceOptions(parent=self),
        )] if args.egress else []
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=metadata(DEPLOYMENT),
            spec=deployment_spec(args.manager, labels, checksum, vault),
            opts=pulumi.ResourceOptions.merge(child("kerberos-sidecar"), pulumi.ResourceOptions(depends_on=first)),
        )
        if args.manager.replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=metadata(DEPLOYMENT),
                spec={"min_available": 1, "selector": {"match_labels": SELECTOR}},
                opts=child("kerberos-sidecar-pdb"),
            )

        subject: k8s.rbac.v1.SubjectArgsDict = {
            "kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": service_account.metadata.namespace
        }
        for tenant in args.tenants:
            namespace = args.tenant_namespaces[tenant.name]
            old_name = f"{tenant.name}-kerberos-ccache-writer"
            in_namespace = pulumi.ResourceOptions.merge(
                child(old_name), pulumi.ResourceOptions(deleted_with=args.tenant_namespace_resources.get(tenant.name)))
            role = k8s.rbac.v1.Role(
                f"{name}-{tenant.name}-ccache-writer",
                metadata=metadata(CACHE_WRITER_ROLE, namespace),
                rules=cache_writer_rules(),
                opts=in_namespace,
            )
            k8s.rbac.v1.RoleBinding(
                f"{name}-{tenant.name}-ccache-writer",
                metadata=metadata(CACHE_WRITER_ROLE, namespace),
                role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
                subjects=[subject],
                opts=in_namespace,
            )
        self.deployment_name = deployment.metadata.name
        self.config_checksum = pulumi.Output.from_input(checksum)
        self.register_outputs({"deploymentName": self.deployment_name, "configChecksum": self.config_checksum})
