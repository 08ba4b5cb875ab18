"""The ticket manager's objects as plain data: its tenants file, config checksum and Deployment spec.

Pure functions, so the contract the image honours (docs/kerberos.md) can be read
and tested without Pulumi.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_kubernetes.apps.v1 import DeploymentSpecArgsDict
from pulumi_kubernetes.core.v1 import EnvVarArgsDict, ProbeArgsDict
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict
from pulumi_kubernetes.rbac.v1 import PolicyRuleArgsDict

from components.kerberos_files import CACHE_SECRET_NAME, cache_key
from components.tenant_specs import DNS_RULE, EgressAllow, external_rule

SERVICE_ACCOUNT = "kerberos-manager"
DEPLOYMENT = "kerberos-sidecar"
CONTAINER = "kerberos-manager"
# Only the password is secret; the vault URL and user are plain env in the pod template.
DELINEA_SECRET = "delinea-credentials"
DELINEA_PASSWORD_KEY = "password"
CHECKSUM_ANNOTATION = "checksum/config"
CREDENTIALS_ANNOTATION = "kerberos-manager/credentials-version"
CONFIG_MAP = "kerberos-manager-config"
EGRESS_POLICY = "kerberos-manager-egress"
CONFIG_DIR = "/etc/kerberos-manager"
WORK_DIR = "/var/run/kerberos-manager"
HEALTH_PORT = 8080
RUN_AS_USER = 50000
SELECTOR = {"app.kubernetes.io/name": "kerberos-manager"}


@dataclass(frozen=True)
class KerberosTenant:
    """A tenant whose ticket cache the manager keeps fresh."""

    name: str
    """the tenant's name (the cache key is krb5cc_<name>)"""
    namespace: str
    """the tenant's namespace, where its cache Secret lives"""
    principal: str
    """the tenant's principal, name[/instance]@REALM"""
    keytab_secret_id: int
    """Delinea secret id holding the tenant's keytab"""


@dataclass(frozen=True)
class ManagerSettings:
    """How the manager runs: image, replicas and renewal timing."""

    image: pulumi.Input[str]
    """full image reference of the ticket manager (an image build's output waits for its push)"""
    pull_secret_name: str
    """Secret in the manager's namespace for pulling the image"""
    replicas: int
    """replicas; every replica writes complete caches (last writer wins)"""
    renew_interval_seconds: int
    """seconds between renewals"""
    ticket_lifetime_seconds: int
    """lifetime requested for every ticket"""


@dataclass(frozen=True)
class VaultAccess:
    """What the pod template says about the Delinea login: the plain settings, and which version of
    the credentials Secret the pods run with (nothing derived from the password itself)."""

    url: str
    """https URL of the Secret Server"""
    username: str
    """the manager's Delinea user"""
    credentials_version: pulumi.Input[str]
    """the credentials Secret's ``metadata.resourceVersion``: every update of the Secret changes it"""


def tenants_document(tenants: Sequence[KerberosTenant]) -> str:
    """The tenants file the manager reads: one entry per tenant, in the given order."""
    return json.dumps(
        [
            {
                "tenant": tenant.name,
                "namespace": tenant.namespace,
                "principal": tenant.principal,
                "keytabSecretId": tenant.keytab_secret_id,
                "cacheSecret": CACHE_SECRET_NAME,
                "cacheKey": cache_key(tenant.name),
            }
            for tenant in tenants
        ],
        indent=2,
    )


def config_checksum(data: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(f"{key}\0{data[key]}\0".encode())
    return digest.hexdigest()


def _vault_env(vault: VaultAccess) -> list[EnvVarArgsDict]:
    return [
        {"name": "DELINEA_VAULT_URL", "value": vault.url},
        {"name": "DELINEA_USERNAME", "value": vault.username},
        {"name": "DELINEA_PASSWORD",
         "value_from": {"secret_key_ref": {"name": DELINEA_SECRET, "key": DELINEA_PASSWORD_KEY}}},
    ]


def _probe(path: str, period: int) -> ProbeArgsDict:
    return {"http_get": {"path": path, "port": HEALTH_PORT}, "period_seconds": period, "failure_threshold": 3}


def deployment_spec(
    settings: ManagerSettings, labels: Mapping[str, str], checksum: str, vault: VaultAccess
) -> DeploymentSpecArgsDict:
    """The manager's Deployment spec. A new ``checksum`` of its config (``config_checksum``), vault
    setting or credentials version rolls its pods."""
    annotations: dict[str, pulumi.Input[str]] = {
        CHECKSUM_ANNOTATION: checksum, CREDENTIALS_ANNOTATION: vault.credentials_version}
    return {
        "replicas": settings.replicas,
        "selector": {"match_labels": SELECTOR},
        "template": {
            "metadata": {
                "labels": {**labels, **SELECTOR},
                "annotations": annotations,
            },
            "spec": {
                "service_account_name": SERVICE_ACCOUNT,
                "image_pull_secrets": [{"name": settings.pull_secret_name}],
                "security_context": {
                    "run_as_non_root": True,
                    "run_as_user": RUN_AS_USER,
                    "run_as_group": RUN_AS_USER,
                    "fs_group": RUN_AS_USER,
                    "seccomp_profile": {"type": "RuntimeDefault"},
                },
                "containers": [{
                    "name": CONTAINER,
                    "image": settings.image,
                    "env": [
                        *_vault_env(vault),
                        {"name": "KRB5_CONFIG", "value": f"{CONFIG_DIR}/krb5.conf"},
                        {"name": "TENANTS_FILE", "value": f"{CONFIG_DIR}/tenants.json"},
                        {"name": "RENEW_INTERVAL_SECONDS", "value": str(settings.renew_interval_seconds)},
                        {"name": "TICKET_LIFETIME_SECONDS", "value": str(settings.ticket_lifetime_seconds)},
                        {"name": "WORK_DIR", "value": WORK_DIR},
                        {"name": "HEALTH_PORT", "value": str(HEALTH_PORT)},
                    ],
                    "ports": [{"name": "health", "container_port": HEALTH_PORT}],
                    "liveness_probe": _probe("/healthz", 30),
                    # Ready once every tenant's cache has been written at least once.
                    "readiness_probe": _probe("/readyz", 10),
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "security_context": {
                        "allow_privilege_escalation": False,
                        "read_only_root_filesystem": True,
                        "run_as_non_root": True,
                        "capabilities": {"drop": ["ALL"]},
                        "seccomp_profile": {"type": "RuntimeDefault"},
                    },
                    "volume_mounts": [
                        {"name": "config", "mount_path": CONFIG_DIR, "read_only": True},
                        {"name": "work", "mount_path": WORK_DIR},
                    ],
                }],
                "volumes": [
                    {"name": "config", "config_map": {"name": CONFIG_MAP}},
                    # Keytabs and caches in progress live in memory only.
                    {"name": "work", "empty_dir": {"medium": "Memory", "size_limit": "16Mi"}},
                ],
            },
        },
    }


def cache_writer_rules() -> list[PolicyRuleArgsDict]:
    """Write access to exactly one Secret of a tenant namespace, nothing cluster-wide."""
    return [{
        "api_groups": [""],
        "resources": ["secrets"],
        "resource_names": [CACHE_SECRET_NAME],
        "verbs": ["get", "update", "patch"],
    }]


def egress_policy_spec(egress: Sequence[EgressAllow]) -> NetworkPolicySpecArgsDict:
    """The manager's pods may reach DNS and ``egress`` (the vault, the KDCs, the API server), nothing else:
    they hold every tenant's keytab in turn."""
    return {"pod_selector": {"match_labels": SELECTOR}, "policy_types": ["Egress"],
            "egress": [DNS_RULE, *(external_rule(allow) for allow in egress if allow.cidrs)]}
