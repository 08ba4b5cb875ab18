"""KerberosSidecar: the central ticket manager that keeps every tenant's ticket cache fresh.

It runs in the platform namespace, holds the keytabs (fetched from the Delinea vault) and writes
each tenant's credential cache into that tenant's ``kerberos-ccache`` Secret. Keytabs never enter
a tenant namespace. The image contract is in the README ("Kerberos ticket manager").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kerberos_files import CACHE_SECRET_NAME, cache_key, krb5_conf
from components.labels import standard_labels
from components.platform_values import PULL_SECRET_NAME
from config.models import StackConfig
from config.secrets import Secrets

SERVICE_ACCOUNT = "kerberos-manager"
DEPLOYMENT = "kerberos-sidecar"
CONTAINER = "kerberos-manager"
DELINEA_SECRET = "delinea-config"
CONFIG_MAP = "kerberos-manager-config"
CONFIG_DIR = "/etc/kerberos-manager"
WORK_DIR = "/var/run/kerberos-manager"
HEALTH_PORT = 8080
RUN_AS_USER = 50000
CACHE_WRITER_ROLE = "kerberos-ccache-writer"


def tenants_document(config: StackConfig) -> str:
    """The tenants file the manager reads: one entry per tenant, in config order."""
    return json.dumps(
        [
            {
                "tenant": tenant.name,
                "namespace": tenant.namespace,
                "principal": tenant.kerberos.principal,
                "keytabSecretId": tenant.kerberos.keytab_secret_id,
                "cacheSecret": CACHE_SECRET_NAME,
                "cacheKey": cache_key(tenant.name),
            }
            for tenant in config.tenants
        ],
        indent=2,
    )


def config_checksum(data: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(f"{key}\0{data[key]}\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class KerberosSidecarArgs:
    config: StackConfig
    secrets: Secrets
    # The platform namespace's name as an output of the Namespace (so objects wait for it).
    platform_namespace: pulumi.Input[str]
    # Tenant name -> its namespace's name as an output of the tenant's Namespace.
    tenant_namespaces: Mapping[str, pulumi.Input[str]]


class KerberosSidecar(pulumi.ComponentResource):
    def __init__(self, name: str, args: KerberosSidecarArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("astronomer:platform:KerberosSidecar", name, None, opts)
        config = args.config
        kerberos = config.kerberos
        labels = standard_labels(config.environment, "kerberos-manager")
        selector = {"app.kubernetes.io/name": "kerberos-manager"}
        child = pulumi.ResourceOptions(parent=self)

        def metadata(object_name: str, namespace: pulumi.Input[str] = args.platform_namespace) -> dict:
            return {"name": object_name, "namespace": namespace, "labels": labels}

        service_account = k8s.core.v1.ServiceAccount(
            "kerberos-manager-service-account", metadata=metadata(SERVICE_ACCOUNT), opts=child
        )
        k8s.core.v1.Secret(
            "delinea-config",
            metadata=metadata(DELINEA_SECRET),
            type="Opaque",
            string_data={
                "vault-url": kerberos.delinea.url,
                "username": kerberos.delinea.username,
                "password": pulumi.Output.secret(args.secrets.delinea_password),
            },
            opts=child,
        )
        config_data = {"tenants.json": tenants_document(config), "krb5.conf": krb5_conf(kerberos)}
        k8s.core.v1.ConfigMap("kerberos-manager-config", metadata=metadata(CONFIG_MAP), data=config_data, opts=child)

        def from_delinea(key: str) -> dict:
            return {"secretKeyRef": {"name": DELINEA_SECRET, "key": key}}

        def probe(path: str, period: int) -> dict:
            return {"httpGet": {"path": path, "port": HEALTH_PORT}, "periodSeconds": period, "failureThreshold": 3}

        self.deployment = k8s.apps.v1.Deployment(
            "kerberos-sidecar",
            metadata=metadata(DEPLOYMENT),
            spec={
                "replicas": kerberos.replicas,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {
                        "labels": {**labels, **selector},
                        # A new checksum rolls the pods when tenants or krb5.conf change.
                        "annotations": {"checksum/config": config_checksum(config_data)},
                    },
                    "spec": {
                        "serviceAccountName": SERVICE_ACCOUNT,
                        "imagePullSecrets": [{"name": PULL_SECRET_NAME}],
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": RUN_AS_USER,
                            "runAsGroup": RUN_AS_USER,
                            "fsGroup": RUN_AS_USER,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [{
                            "name": CONTAINER,
                            "image": config.artifactory.image("platform", kerberos.sidecar_image),
                            "env": [
                                {"name": "DELINEA_VAULT_URL", "valueFrom": from_delinea("vault-url")},
                                {"name": "DELINEA_USERNAME", "valueFrom": from_delinea("username")},
                                {"name": "DELINEA_PASSWORD", "valueFrom": from_delinea("password")},
                                {"name": "KRB5_CONFIG", "value": f"{CONFIG_DIR}/krb5.conf"},
                                {"name": "TENANTS_FILE", "value": f"{CONFIG_DIR}/tenants.json"},
                                {"name": "RENEW_INTERVAL_SECONDS", "value": str(kerberos.renew_interval_seconds)},
                                {"name": "TICKET_LIFETIME_SECONDS", "value": str(kerberos.ticket_lifetime_seconds)},
                                {"name": "WORK_DIR", "value": WORK_DIR},
                                {"name": "HEALTH_PORT", "value": str(HEALTH_PORT)},
                            ],
                            "ports": [{"name": "health", "containerPort": HEALTH_PORT}],
                            "livenessProbe": probe("/healthz", 30),
                            # Ready once every tenant's cache has been written at least once.
                            "readinessProbe": probe("/readyz", 10),
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                            "volumeMounts": [
                                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                                {"name": "work", "mountPath": WORK_DIR},
                            ],
                        }],
                        "volumes": [
                            {"name": "config", "configMap": {"name": CONFIG_MAP}},
                            # Keytabs and caches in progress live in memory only.
                            {"name": "work", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
                        ],
                    },
                },
            },
            opts=child,
        )
        if kerberos.replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                "kerberos-sidecar-pdb",
                metadata=metadata(DEPLOYMENT),
                spec={"minAvailable": 1, "selector": {"matchLabels": selector}},
                opts=child,
            )

        # Write access to exactly one Secret per tenant namespace, nothing cluster-wide.
        subject = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": service_account.metadata.namespace}
        for tenant in config.tenants:
            namespace = args.tenant_namespaces[tenant.name]
            role = k8s.rbac.v1.Role(
                f"{tenant.name}-kerberos-ccache-writer",
                metadata=metadata(CACHE_WRITER_ROLE, namespace),
                rules=[{
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "resourceNames": [CACHE_SECRET_NAME],
                    "verbs": ["get", "update", "patch"],
                }],
                opts=child,
            )
            k8s.rbac.v1.RoleBinding(
                f"{tenant.name}-kerberos-ccache-writer",
                metadata=metadata(CACHE_WRITER_ROLE, namespace),
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
                subjects=[subject],
                opts=child,
            )
        self.register_outputs({"deployment": self.deployment.metadata.name})
