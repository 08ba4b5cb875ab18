"""A tenant's args as plain data, so a platform stack can export them and a shard stack rebuild them.

The platform stack maps its config to ``TenantArgs`` once (``__main__.py``); a tenant shard stack
reads the result through a StackReference (docs/large-stacks.md) instead of mapping it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.kerberos_files import Krb5Settings
from components.tenant import TenantArgs
from components.tenant_specs import EgressAllow, QuotaCeiling


@dataclass(frozen=True)
class PodSecuritySettings:
    """Pod Security Admission levels as plain values (a ``PodSecurityLevels``)."""

    enforce: str
    audit: str
    warn: str
    version: str


def tenant_document(args: TenantArgs) -> dict[str, Any]:
    """``args`` as JSON-able data; datakit images stay outputs until the export resolves them."""
    levels = args.pod_security
    return {
        "namespace": args.namespace,
        "environment": args.environment,
        "platformRelease": args.platform_release,
        "platformNamespace": args.platform_namespace,
        "podSecurity": {"enforce": levels.enforce, "audit": levels.audit, "warn": levels.warn,
                        "version": levels.version},
        "protectNamespace": args.protect_namespace,
        "egress": [{"cidrs": list(allow.cidrs), "ports": [[protocol, port] for protocol, port in allow.ports]}
                   for allow in args.egress],
        "quota": {"cpu": args.quota.cpu, "memory": args.quota.memory},
        "roleGroups": {role: list(groups) for role, groups in args.role_groups.items()},
        "krb5": {"realm": args.krb5.realm, "kdcs": list(args.krb5.kdcs),
                 "ticketLifetimeSeconds": args.krb5.ticket_lifetime_seconds},
        "cacheMountPath": args.cache_mount_path,
        "datakitImages": dict(args.datakit_images),
    }


def _whole_numbers(value: Any) -> Any:
    # Stack outputs carry every number as a double: a port 1433 comes back as 1433.0.
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def tenant_args(exported: Mapping[str, Any]) -> TenantArgs:
    """The ``TenantArgs`` an exported ``tenant_document`` describes, for a shard stack: everything
    but the namespace, which the platform stack keeps."""
    document: dict[str, Any] = _whole_numbers(exported)
    krb5 = document["krb5"]
    return TenantArgs(
        namespace=document["namespace"],
        environment=document["environment"],
        platform_release=document["platformRelease"],
        platform_namespace=document["platformNamespace"],
        pod_security=PodSecuritySettings(**document["podSecurity"]),
        protect_namespace=document["protectNamespace"],
        egress=[EgressAllow(tuple(allow["cidrs"]), tuple((protocol, port) for protocol, port in allow["ports"]))
                for allow in document["egress"]],
        quota=QuotaCeiling(**document["quota"]),
        role_groups={role: tuple(groups) for role, groups in document["roleGroups"].items()},
        krb5=Krb5Settings(krb5["realm"], tuple(krb5["kdcs"]), krb5["ticketLifetimeSeconds"]),
        cache_mount_path=document["cacheMountPath"],
        datakit_images=dict(document["datakitImages"]),
        part="contents",
    )


def shard_documents(args: Mapping[str, TenantArgs], shard_of: Mapping[str, str | None]) -> dict[str, dict[str, Any]]:
    """What the platform stack exports for its shard stacks: shard -> tenant -> tenant document."""
    shards: dict[str, dict[str, Any]] = {}
    for tenant, shard in shard_of.items():
        if shard:
            shards.setdefault(shard, {})[tenant] = tenant_document(args[tenant])
    return shards
