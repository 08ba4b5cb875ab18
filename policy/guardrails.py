"""The guardrails as CrossGuard policies; the validate functions are plain and unit-tested.

Resource policies see one resource at a time. Whether a namespace is a tenant's (label
``astronomer.io/tenant``) and what else lives in it needs the whole stack, so the tenant rules are
stack policies. Objects a Helm chart creates are not resources of this program; the chart's images
are checked through the Release's values instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.labels import TENANT_LABEL
from config.registry_policy import registry_violations

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
PLATFORM_CHART = "astronomer"
EXTERNAL_SERVICE_TYPES = ("LoadBalancer", "NodePort")
CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:core/v1:PodTemplate": ("template", "spec"),
    "kubernetes:core/v1:ReplicationController": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

ARTIFACTORY_HOST = PolicyConfigSchema(
    properties={"artifactoryHost": {"type": "string", "minLength": 1, "description": "bare registry host"}},
    required=["artifactoryHost"],
)


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def foreign_images(resource_type: str, props: Mapping[str, Any], host: str) -> Iterator[str]:
    """``containers[0] 'busybox:1'``-style findings for each image of a pod spec not from ``host``."""
    path = POD_SPEC_PATHS.get(resource_type)
    spec = _dig(props, *path) if path else None
    if not isinstance(spec, Mapping):
        return
    for field in CONTAINER_FIELDS:
        for index, container in enumerate(spec.get(field) or []):
            image = container.get("image", "")
            if not str(image).startswith(f"{host}/"):
                yield f"{field}[{index}] ({container.get('name')}) image {image!r}"


def validate_images(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    host = args.get_config()["artifactoryHost"]
    for finding in foreign_images(args.resource_type, args.props, host):
        report_violation(f"{finding} is not pulled from Artifactory ({host})", None)


def is_platform_release(resource_type: str, props: Mapping[str, Any]) -> bool:
    """The Astronomer chart, from the Helm repository (``astronomer``) or a local ``.../astronomer``."""
    return resource_type == RELEASE and PurePosixPath(str(props.get("chart", ""))).name == PLATFORM_CHART


def validate_platform_release(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_platform_release(args.resource_type, args.props):
        return
    host = args.get_config()["artifactoryHost"]
    values = args.props.get("values") or {}
    if _dig(values, "global", "privateRegistry", "enabled") is not True:
        report_violation("values.global.privateRegistry.enabled must be true", None)
    for path, rule in registry_violations(values, host):
        report_violation(f"values.{path}: {rule}", None)


def tenant_namespaces(resources: list[Any]) -> set[str]:
    return {
        _dig(r.props, "metadata", "name")
        for r in resources
        if r.resource_type == NAMESPACE and TENANT_LABEL in (_dig(r.props, "metadata", "labels") or {})
    }


def _by_namespace(resources: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for resource in resources:
        grouped[_dig(resource.props, "metadata", "namespace")].append(resource)
    return grouped


def is_default_deny(props: Mapping[str, Any]) -> bool:
    """Selects every pod, covers both directions and allows nothing."""
    spec = props.get("spec") or {}
    selector = spec.get("podSelector")
    selects_all = isinstance(selector, Mapping) and not any(selector.values())
    return (
        selects_all
        and {"Ingress", "Egress"} <= set(spec.get("policyTypes") or [])
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def validate_tenant_isolation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    in_namespace = _by_namespace(args.resources)
    for namespace in sorted(tenant_namespaces(args.resources)):
        objects = in_namespace.get(namespace, [])
        if not any(r.resource_type == NETWORK_POLICY and is_default_deny(r.props) for r in objects):
            report_violation(f"tenant namespace {namespace} has no default-deny NetworkPolicy", None)
        if not any(r.resource_type == RESOURCE_QUOTA for r in objects):
            report_violation(f"tenant namespace {namespace} has no ResourceQuota", None)


def validate_no_external_services(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    tenants = tenant_namespaces(args.resources)
    for resource in args.resources:
        service_type = _dig(resource.props, "spec", "type")
        namespace = _dig(resource.props, "metadata", "namespace")
        if resource.resource_type == SERVICE and namespace in tenants and service_type in EXTERNAL_SERVICE_TYPES:
            report_violation(f"{service_type} Service in tenant namespace {namespace}", resource.urn)


POLICIES = [
    ResourceValidationPolicy(
        name="images-from-artifactory",
        description="Container, init and ephemeral container images come only from the Artifactory host.",
        validate=validate_images,
        config_schema=ARTIFACTORY_HOST,
    ),
    ResourceValidationPolicy(
        name="platform-release-private-registry",
        description="The platform Release keeps the private registry on and names no image outside Artifactory.",
        validate=validate_platform_release,
        config_schema=ARTIFACTORY_HOST,
    ),
    StackValidationPolicy(
        name="tenant-namespace-isolated",
        description="Every tenant namespace has a default-deny NetworkPolicy and a ResourceQuota.",
        validate=validate_tenant_isolation,
    ),
    StackValidationPolicy(
        name="tenant-no-external-services",
        description="No LoadBalancer or NodePort Service in a tenant namespace.",
        validate=validate_no_external_services,
    ),
]
