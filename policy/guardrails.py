"""The guardrails as CrossGuard policies; the validate functions are plain and unit-tested.

Resource policies see one resource at a time. Whether a namespace is a tenant's (label
``astronomer.io/tenant``) and what else lives in it needs the whole stack, so the tenant rules are
stack policies. Objects a Helm chart creates are not resources of this program; the chart's images
are checked through the Release's values instead.

A preview may not know every value yet (an image built in the same update). Such a value is
skipped here, one field at a time, instead of turning the whole policy advisory; ``pulumi up``
runs the policies again with every value known.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.labels import TENANT_LABEL
from domain.registry_policy import is_mapping, is_sequence, registry_violations

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
# The Astronomer chart by name (Helm repository), directory or packaged archive.
PLATFORM_CHART = re.compile(r"^astronomer(-\d[\w.+-]*\.tgz)?$")
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


UNKNOWN = object()


def _dig(value: Any, *path: str) -> Any:
    """The value at ``path``, None where it is absent, UNKNOWN where a preview does not know it."""
    try:
        for key in path:
            if not is_mapping(value):
                return None
            value = value.get(key)
    except UnknownValueError:
        return UNKNOWN
    return value


def _items(value: Any) -> list[Any]:
    """The known items of a list field (none when absent or unknown)."""
    if not is_sequence(value):
        return []
    known: list[Any] = []
    for index in range(len(value)):
        try:
            known.append(value[index])
        except UnknownValueError:
            continue
    return known


def foreign_images(resource_type: str, props: Mapping[str, Any], host: str) -> Iterator[str]:
    """``containers[0] 'busybox:1'``-style findings for each image of a pod spec not from ``host``."""
    # A server-side-apply patch (DeploymentPatch) keeps its kind's layout.
    path = POD_SPEC_PATHS.get(resource_type.removesuffix("Patch"))
    spec = _dig(props, *path) if path else None
    if not is_mapping(spec):
        return
    for field in CONTAINER_FIELDS:
        for index, container in enumerate(_items(_dig(spec, field))):
            image = _dig(container, "image")
            if image is not UNKNOWN and not str(image).startswith(f"{host}/"):
                yield f"{field}[{index}] ({_dig(container, 'name')}) image {image!r}"


def validate_images(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    host = args.get_config()["artifactoryHost"]
    for finding in foreign_images(args.resource_type, args.props, host):
        report_violation(f"{finding} is not pulled from Artifactory ({host})", None)


def is_platform_release(resource_type: str, props: Mapping[str, Any]) -> bool:
    """The Astronomer chart: ``astronomer`` from the Helm repository, a local ``.../astronomer``
    directory or a packaged ``.../astronomer-2.1.0.tgz``."""
    chart = _dig(props, "chart")
    return resource_type == RELEASE and chart is not UNKNOWN and bool(
        PLATFORM_CHART.match(PurePosixPath(str(chart)).name)
    )


def validate_platform_release(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_platform_release(args.resource_type, args.props):
        return
    host = args.get_config()["artifactoryHost"]
    values = _dig(args.props, "values")
    if _dig(values, "global", "privateRegistry", "enabled") is not True:
        report_violation("values.global.privateRegistry.enabled must be true", None)
    for path, rule in registry_violations(values, host):
        report_violation(f"values.{path}: {rule}", None)


def tenant_namespaces(resources: list[Any]) -> set[str]:
    names: set[str] = set()
    for resource in resources:
        if resource.resource_type == NAMESPACE:
            labels = _dig(resource.props, "metadata", "labels")
            name = _dig(resource.props, "metadata", "name")
            if is_mapping(labels) and TENANT_LABEL in labels and isinstance(name, str):
                names.add(name)
    return names


def _by_namespace(resources: list[Any], types: tuple[str, ...]) -> dict[Any, list[Any]]:
    """Resources of ``types`` by namespace (key UNKNOWN for those a preview cannot place yet)."""
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for resource in resources:
        if resource.resource_type in types:
            grouped[_dig(resource.props, "metadata", "namespace")].append(resource)
    return grouped


def is_default_deny(props: Mapping[str, Any]) -> bool:
    """Selects every pod, covers both directions and allows nothing (unknown parts do not count)."""
    selector = _dig(props, "spec", "podSelector")
    selects_all = is_mapping(selector) and not any(_dig(selector, key) for key in selector)
    return (
        selects_all
        and {"Ingress", "Egress"} <= set(_items(_dig(props, "spec", "policyTypes")))
        and _empty(_dig(props, "spec", "ingress"))
        and _empty(_dig(props, "spec", "egress"))
    )


def _empty(rules: Any) -> bool:
    # An unknown rule list is not known to be empty.
    return rules is None or (is_sequence(rules) and len(rules) == 0)


def validate_tenant_isolation(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    in_namespace = _by_namespace(args.resources, (NETWORK_POLICY, RESOURCE_QUOTA))
    # An object whose namespace a preview does not know yet may be the missing one: no verdict.
    if in_namespace.get(UNKNOWN):
        return
    for namespace in sorted(tenant_namespaces(args.resources)):
        objects = in_namespace.get(namespace, [])
        if not any(r.resource_type == NETWORK_POLICY and is_default_deny(r.props) for r in objects):
            report_violation(f"tenant namespace {namespace} has no default-deny NetworkPolicy", None)
        if not any(r.resource_type == RESOURCE_QUOTA for r in objects):
            report_violation(f"tenant namespace {namespace} has no ResourceQuota", None)


def validate_no_external_services(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    tenants = tenant_namespaces(args.resources)
    for namespace, services in _by_namespace(args.resources, (SERVICE,)).items():
        for service in services:
            service_type = _dig(service.props, "spec", "type")
            if namespace in tenants and service_type in EXTERNAL_SERVICE_TYPES:
                report_violation(f"{service_type} Service in tenant namespace {namespace}", service.urn)


POLICIES: list[Policy] = [
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
