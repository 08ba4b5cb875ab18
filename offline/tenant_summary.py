"""What a tenant added to or removed from a stack means, in a few lines of a pull-request comment.

A new tenant is a dozen resources; a reviewer needs what it gets: its quota, where its pods may connect, the
groups bound in its namespace, its Pod Security, and its Airflow deployment (image, Runtime, executor, sizes,
environment). A removed tenant loses its Airflow deployment and that deployment's metadata database, which
the list of removed resources does not say.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from components.houston_resources import DEPLOYMENT_TYPE
from components.labels import TENANT_LABEL

Resource = dict[str, Any]
TENANT_TYPE = "astronomer:platform:Tenant"
# Longer environment values are cut: the summary is an overview, the render has them whole.
_VALUE_WIDTH = 60


def _inputs(resource: Resource) -> dict[str, Any]:
    return cast(dict[str, Any], resource.get("inputs") or {})


def _kind(resource: Resource) -> str:
    return str(resource["type"]).rsplit(":", 1)[-1]


def _labels(resource: Resource | None) -> dict[str, Any]:
    labels: Any = _inputs(resource).get("metadata", {}).get("labels", {}) if resource else {}
    return cast(dict[str, Any], labels) if isinstance(labels, dict) else {}


def _tenant_of(resource: Resource) -> str | None:
    """The tenant a resource belongs to: its Kubernetes label, or the deployment's release name."""
    if resource["type"] == DEPLOYMENT_TYPE:
        return _inputs(resource).get("release_name")
    return _labels(resource).get(TENANT_LABEL)


def _by_tenant(resources: Iterable[Resource]) -> dict[str, dict[str, Resource]]:
    """Tenant -> its resources by kind (``Namespace``, ``ResourceQuota``, ``tenant-allow``, ``Deployment``, ...)."""
    found: dict[str, dict[str, Resource]] = {}
    for resource in resources:
        tenant = _tenant_of(resource)
        if tenant is None:
            continue
        kind = _kind(resource)
        name = _inputs(resource).get("metadata", {}).get("name", "")
        key = f"{kind}/{name}" if kind in ("NetworkPolicy", "RoleBinding", "ConfigMap") else kind
        found.setdefault(tenant, {})[key] = resource
    return found


def _peer(peer: dict[str, Any]) -> str:
    if "ipBlock" in peer:
        return str(peer["ipBlock"].get("cidr"))
    selected = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
    if selected and "podSelector" in peer:
        return f"{'DNS' if selected == 'kube-system' else 'pods'} in {selected}"
    if selected:
        return f"namespace {selected}"
    return "its own pods" if peer.get("podSelector") == {} else "pods"


def _egress(policy: Resource | None) -> str:
    if policy is None:
        return "(declared by its shard stack)"
    rules = cast(list[dict[str, Any]], _inputs(policy).get("spec", {}).get("egress", []))
    parts: list[str] = []
    for rule in rules:
        to = ", ".join(_peer(peer) for peer in rule.get("to", []))
        ports = ", ".join(f"{p.get('protocol', 'TCP')} {p.get('port')}" for p in rule.get("ports", []))
        parts.append(f"{to} on {ports}" if ports else to)
    return "; ".join(parts) or "nothing"


def _quota(quota: Resource | None) -> str:
    if quota is None:
        return "(declared by its shard stack)"
    hard = cast(dict[str, Any], _inputs(quota).get("spec", {}).get("hard", {}))
    return (f"CPU {hard.get('limits.cpu')}, memory {hard.get('limits.memory')} (requests and limits); "
            f"LoadBalancer Services {hard.get('services.loadbalancers')}, NodePorts {hard.get('services.nodeports')}")


def _groups(resources: dict[str, Resource]) -> str:
    bound: list[str] = []
    for key, binding in sorted(resources.items()):
        if not key.startswith("RoleBinding/tenant-"):
            continue
        names = [str(s.get("name")) for s in _inputs(binding).get("subjects", []) if s.get("kind") == "Group"]
        bound.append(f"{key.removeprefix('RoleBinding/tenant-')} {', '.join(names)}")
    return "; ".join(bound) or "none"


def _datakits(config_map: Resource | None) -> str:
    if config_map is None:
        return "(declared by its shard stack)"
    images = cast(dict[str, Any], _inputs(config_map).get("data") or {})
    return ", ".join(f"`{image}`" for _, image in sorted(images.items())) or "none"


def _pod_security(namespace: Resource | None) -> str:
    labels = _labels(namespace)
    level = {mode: labels.get(f"pod-security.kubernetes.io/{mode}") for mode in ("enforce", "audit", "warn")}
    return f"enforce {level['enforce']} (audit {level['audit']}, warn {level['warn']})"


def _size(size: dict[str, Any]) -> str:
    return f"{size.get('cpu')}m CPU / {size.get('memory')}Mi"


def _deployment(deployment: Resource | None) -> list[str]:
    if deployment is None:
        return []
    spec = _inputs(deployment)
    sizing = cast(dict[str, Any], spec.get("sizing", {}))
    lines = [
        f"- Airflow deployment `{spec.get('release_name')}`: image `{spec.get('image')}`, Runtime "
        f"{spec.get('runtime_version')}, {spec.get('executor')}",
        f"- sizes: scheduler {sizing.get('scheduler_replicas')} × {_size(sizing.get('scheduler', {}))}, webserver "
        f"{_size(sizing.get('webserver', {}))}, triggerer {sizing.get('triggerer_replicas')} × "
        f"{_size(sizing.get('triggerer', {}))}, up to {sizing.get('workers')} workers × "
        f"{_size(sizing.get('worker', {}))}",
    ]
    plain = [f"`{item.get('key')}`=`{_cut(str(item.get('value')))}`" for item in spec.get("environment", [])]
    secret = [f"`{key}`" for key in sorted(spec.get("secret_environment") or {})]
    lines.append(f"- environment: {', '.join(plain) or 'none'}" + (f"; secret: {', '.join(secret)}" if secret else ""))
    return lines


def _cut(value: str) -> str:
    return value if len(value) <= _VALUE_WIDTH else value[: _VALUE_WIDTH - 1] + "…"


def new_tenants(added: list[Resource]) -> list[str]:
    """Markdown lines summing up each tenant the diff adds (none when it adds no tenant)."""
    names = [str(r["name"]) for r in added if r["type"] == TENANT_TYPE]
    grouped = _by_tenant(added)
    lines: list[str] = []
    for name in names:
        resources = grouped.get(name, {})
        namespace = resources.get("Namespace")
        where = f" in namespace `{_inputs(namespace)['metadata']['name']}`" if namespace else ""
        lines += [f"**New tenant `{name}`**{where}", "",
                  f"- quota: {_quota(resources.get('ResourceQuota'))}",
                  f"- egress: {_egress(resources.get('NetworkPolicy/tenant-allow'))}",
                  f"- groups: {_groups(resources)}",
                  f"- Pod Security: {_pod_security(namespace)}",
                  f"- datakits: {_datakits(resources.get('ConfigMap/datakits'))}",
                  *_deployment(resources.get("Deployment")), ""]
    return lines


def removed_tenants(removed: list[Resource]) -> list[str]:
    """Markdown lines saying what removing each tenant deletes, and whether protection stops it."""
    names = [str(r["name"]) for r in removed if r["type"] == TENANT_TYPE]
    grouped = _by_tenant(removed)
    lines: list[str] = []
    for name in names:
        resources = grouped.get(name, {})
        namespace = resources.get("Namespace")
        deployment = resources.get("Deployment")
        what = f"its Airflow deployment `{name}` and that deployment's metadata database (DAG runs, task history, " \
               "and the connections, variables and users set in Airflow's UI) will be deleted" if deployment else \
               "its objects will be deleted"
        if namespace:
            what += f", with namespace `{_inputs(namespace)['metadata']['name']}` and everything in it"
        protected = any(r.get("protect") for r in (namespace, deployment) if r)
        stop = (" It is protected (`tenancy.protectNamespaces`): `pulumi up` fails instead, until it is unprotected "
                "on purpose (docs/add-a-tenant.md, removing a tenant).") if protected else ""
        lines += [f"> **Tenant `{name}` is removed**: {what}.{stop}", ""]
    return lines
