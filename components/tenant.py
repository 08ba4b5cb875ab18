"""Tenant: one isolated namespace per line of business, ready for its Airflow deployment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kerberos_files import (
    CACHE_SECRET_NAME,
    KRB5_CONFIG_NAME,
    MOUNT_CONFIG_NAME,
    cache_key,
    krb5_conf,
)
from components.labels import TENANT_LABEL, pod_security_labels, standard_labels
from config.models import StackConfig, TenantConfig
from config.sizing import quota_ceiling

SETTINGS_CONFIG_NAME = "airflow-settings"
DATAKITS_CONFIG_NAME = "datakits"
ROLE_GROUPS = (("admin", "admin_groups"), ("edit", "edit_groups"), ("view", "view_groups"))


def airflow_variables(config: StackConfig, tenant: TenantConfig) -> dict[str, str]:
    artifactory = config.artifactory
    return {
        **tenant.airflow.variables,
        "artifactory_url": f"https://{artifactory.host}",
        "datakit_registry": artifactory.repository("datakits"),
        "environment": config.environment,
        "astronomer_namespace": config.platform.namespace,
    }


def airflow_connections(tenant: TenantConfig) -> dict[str, dict]:
    """Connections in the JSON layout of Airflow's local-filesystem secrets backend."""
    connections = {}
    for conn in tenant.airflow.connections:
        fields = conn.model_dump(exclude={"conn_id", "schema_"}, exclude_none=True)
        if conn.schema_:
            fields["schema"] = conn.schema_
        if not conn.extra:
            del fields["extra"]
        connections[conn.conn_id] = fields
    return connections


@dataclass(frozen=True)
class TenantArgs:
    config: StackConfig
    tenant: TenantConfig
    # The tenant's datakits: name -> full image reference (from the DatakitImage components).
    datakit_images: Mapping[str, pulumi.Input[str]]


class Tenant(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer:platform:Tenant", name, None, opts)
        config, tenant = args.config, args.tenant
        platform, tenancy = config.platform, config.tenancy
        labels = standard_labels(
            config.environment,
            "tenant",
            **{TENANT_LABEL: tenant.name, "astronomer.io/platform-release": platform.release_name},
        )
        prefix = tenant.name  # child names embed the tenant: URNs stay unique and stable

        self.namespace = k8s.core.v1.Namespace(
            f"{prefix}-namespace",
            metadata={"name": tenant.namespace, "labels": {**labels, **pod_security_labels(tenancy.pod_security)}},
            opts=pulumi.ResourceOptions(parent=self, protect=tenancy.protect_namespaces),
        )
        # Referencing the namespace's output makes every object wait for the namespace.
        namespace = self.namespace.metadata.name
        child = pulumi.ResourceOptions(parent=self)

        def metadata(object_name: str) -> dict:
            return {"name": object_name, "namespace": namespace, "labels": labels}

        def network_policy(suffix: str, spec: dict) -> None:
            k8s.networking.v1.NetworkPolicy(
                f"{prefix}-{suffix}", metadata=metadata(suffix), spec=spec, opts=child
            )

        # Default deny first: every other policy only adds allows.
        network_policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        network_policy("allow-dns", {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }],
        })
        platform_peer = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": platform.namespace}}}]
        network_policy("allow-platform", {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": platform_peer}],
            "egress": [{"to": platform_peer}],
        })
        network_policy("allow-same-namespace", {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
            "egress": [{"to": [{"podSelector": {}}]}],
        })
        egress = tenancy.egress
        external = [
            ("allow-kerberos-kdc", egress.kdc_cidrs, [("TCP", 88), ("UDP", 88)]),
            ("allow-secret-vault", egress.vault_cidrs, [("TCP", 443)]),
            ("allow-metadata-database", egress.database_cidrs, [("TCP", egress.database_port)]),
        ]
        external += [
            (f"allow-egress-{index}", rule.cidrs, [(rule.protocol, port) for port in rule.ports])
            for index, rule in enumerate(tenant.egress)
        ]
        for suffix, cidrs, ports in external:
            if cidrs:
                network_policy(suffix, {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{
                        "to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs],
                        "ports": [{"protocol": protocol, "port": port} for protocol, port in ports],
                    }],
                })

        # A ceiling above the platform's own quota, never a replacement; no LimitRange (the
        # platform brings one, and two make defaults undefined).
        ceiling = tenant.quota.model_dump() if tenant.quota else quota_ceiling(tenant.max_workers)
        k8s.core.v1.ResourceQuota(
            f"{prefix}-quota",
            metadata=metadata("tenant-ceiling"),
            spec={"hard": {
                "requests.cpu": ceiling["cpu"],
                "limits.cpu": ceiling["cpu"],
                "requests.memory": ceiling["memory"],
                "limits.memory": ceiling["memory"],
                "services.loadbalancers": "0",
                "services.nodeports": "0",
            }},
            opts=child,
        )

        for role, field in ROLE_GROUPS:
            groups = getattr(tenant, field)
            if groups:
                k8s.rbac.v1.RoleBinding(
                    f"{prefix}-{role}-groups",
                    metadata=metadata(f"tenant-{role}"),
                    role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups],
                    opts=child,
                )

        kerberos = config.kerberos
        key = cache_key(tenant.name)
        k8s.core.v1.ConfigMap(
            f"{prefix}-kerberos-mount-config",
            metadata=metadata(MOUNT_CONFIG_NAME),
            data={
                "mount_path": kerberos.cache_mount_path,
                "ticket_cache": key,
                # Pods mount the whole cache Secret as a directory: a subPath mount never updates.
                "KRB5CCNAME": f"FILE:{kerberos.cache_mount_path}/{key}",
            },
            opts=child,
        )
        k8s.core.v1.ConfigMap(
            f"{prefix}-krb5-config", metadata=metadata(KRB5_CONFIG_NAME),
            data={"krb5.conf": krb5_conf(kerberos)}, opts=child,
        )
        # Created empty once; the ticket manager owns its contents from then on.
        self.cache_secret = k8s.core.v1.Secret(
            f"{prefix}-kerberos-ccache",
            metadata=metadata(CACHE_SECRET_NAME),
            type="Opaque",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["data", "stringData"]),
        )

        deployment_image = config.artifactory.image("deployments", tenant.image)
        k8s.core.v1.ConfigMap(
            f"{prefix}-airflow-settings",
            metadata=metadata(SETTINGS_CONFIG_NAME),
            data={
                "variables.json": json.dumps(airflow_variables(config, tenant), sort_keys=True, indent=2),
                "connections.json": json.dumps(airflow_connections(tenant), sort_keys=True, indent=2),
                "deployment_image": deployment_image,
            },
            opts=child,
        )
        self.datakit_images = dict(args.datakit_images)
        k8s.core.v1.ConfigMap(
            f"{prefix}-datakits", metadata=metadata(DATAKITS_CONFIG_NAME),
            data=self.datakit_images, opts=child,
        )

        self.namespace_name = namespace
        self.register_outputs({
            "namespace": namespace,
            "cacheSecretName": self.cache_secret.metadata.name,
            "datakitImages": self.datakit_images,
            "deploymentImage": deployment_image,
        })
