"""The policy pack's validate functions on the program's own resources and on broken ones.

The PolicyPack itself is never built here (it starts a gRPC server); each policy's validate
function is called with the argument objects CrossGuard would pass, props wrapped in the same
read-only proxy that raises on values a preview does not know.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import guardrails
from standins import mock_engine as engine
from tests.helpers import STACKS

HOST = "artifactory.company.com"
CONFIG = {"artifactoryHost": HOST}


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resource_args(resource_type: str, props: dict[str, Any], name: str = "r") -> ResourceValidationArgs:
    proxied = unknown_checking_proxy(props)
    return ResourceValidationArgs(resource_type, proxied, f"urn:test::{name}", name, options(), None, CONFIG)


def stack_args(resources: list[tuple[str, dict[str, Any]]]) -> StackValidationArgs:
    return StackValidationArgs([
        PolicyResource(t, unknown_checking_proxy(p), f"urn:test::{i}", str(i), options(), None, None, [], {})
        for i, (t, p) in enumerate(resources)
    ])


def violations(validate, args) -> list[str]:
    found: list[str] = []
    validate(args, lambda message, urn=None: found.append(message))
    return found


def program_resources(recording: engine.Recording) -> list[tuple[str, dict[str, Any]]]:
    return [(r.type, engine.reveal(r.inputs)) for r in recording.resources if r.custom]


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_passes_every_policy(recordings, stack):
    resources = program_resources(recordings[stack])
    for resource_type, props in resources:
        assert violations(guardrails.validate_images, resource_args(resource_type, props)) == []
        assert violations(guardrails.validate_platform_release, resource_args(resource_type, props)) == []
    assert violations(guardrails.validate_tenant_isolation, stack_args(resources)) == []
    assert violations(guardrails.validate_no_external_services, stack_args(resources)) == []
    # The stack rules did look at something: every tenant namespace was found.
    assert len(guardrails.tenant_namespaces(stack_args(resources).resources)) == 3


def deployment(**pod_spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "d"}, "spec": {"template": {"spec": pod_spec}}}


@pytest.mark.parametrize("field", guardrails.CONTAINER_FIELDS)
def test_an_image_from_elsewhere_is_refused_in_every_container_list(field):
    props = deployment(containers=[{"name": "ok", "image": f"{HOST}/platform/app:1"}])
    props["spec"]["template"]["spec"][field] = props["spec"]["template"]["spec"].get(field, []) + [
        {"name": "bad", "image": "docker.io/library/busybox:1.36"}
    ]
    found = violations(guardrails.validate_images, resource_args("kubernetes:apps/v1:Deployment", props))
    assert len(found) == 1 and field in found[0] and "busybox" in found[0]


# Where each kind keeps its pod spec, written out here rather than taken from the pack.
WORKLOADS = {
    "kubernetes:core/v1:Pod": lambda pod: {"spec": pod},
    "kubernetes:core/v1:PodTemplate": lambda pod: {"template": {"spec": pod}},
    "kubernetes:core/v1:ReplicationController": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:apps/v1:Deployment": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:apps/v1:DeploymentPatch": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:apps/v1:ReplicaSet": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:apps/v1:StatefulSet": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:apps/v1:DaemonSet": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:batch/v1:Job": lambda pod: {"spec": {"template": {"spec": pod}}},
    "kubernetes:batch/v1:CronJob": lambda pod: {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}},
}


@pytest.mark.parametrize("resource_type", WORKLOADS)
def test_images_are_checked_in_every_workload_kind(resource_type):
    outside = WORKLOADS[resource_type]({"containers": [{"name": "c", "image": "quay.io/astronomer/ap-airflow:2"}]})
    inside = WORKLOADS[resource_type]({"containers": [{"name": "c", "image": f"{HOST}/certified/ap-airflow:2"}]})
    assert violations(guardrails.validate_images, resource_args(resource_type, outside))
    assert violations(guardrails.validate_images, resource_args(resource_type, inside)) == []


def test_an_image_a_preview_does_not_know_yet_is_left_to_the_update():
    props = deployment(containers=[
        {"name": "built", "image": UNKNOWN_STRING_VALUE},
        {"name": "bad", "image": "docker.io/library/busybox:1.36"},
    ])
    found = violations(guardrails.validate_images, resource_args("kubernetes:apps/v1:Deployment", props))
    assert len(found) == 1 and "busybox" in found[0]


def test_a_host_that_only_starts_like_artifactory_is_refused():
    props = deployment(containers=[{"name": "c", "image": f"{HOST}.evil.example/app:1"}])
    assert violations(guardrails.validate_images, resource_args("kubernetes:apps/v1:Deployment", props))


@pytest.fixture
def release(recordings) -> dict[str, Any]:
    registration = recordings["dev"].of_type(guardrails.RELEASE)[0]
    return copy.deepcopy(engine.reveal(registration.inputs))


def test_the_platform_release_must_keep_the_private_registry_on(release):
    release["values"]["global"]["privateRegistry"]["enabled"] = False
    found = violations(guardrails.validate_platform_release, resource_args(guardrails.RELEASE, release))
    assert found and all("privateRegistry.enabled" in message for message in found)

    del release["values"]["global"]["privateRegistry"]
    found = violations(guardrails.validate_platform_release, resource_args(guardrails.RELEASE, release))
    assert found == ["values.global.privateRegistry.enabled must be true"]


def test_the_platform_release_names_no_image_outside_artifactory(release):
    release["values"]["global"]["privateRegistry"]["repository"] = "quay.io/astronomer"
    found = violations(guardrails.validate_platform_release, resource_args(guardrails.RELEASE, release))
    assert found == [f"values.global.privateRegistry.repository: 'quay.io/astronomer' is not in the Artifactory registry {HOST}"]


@pytest.mark.parametrize("chart", ["/charts/astronomer", "./astronomer-2.1.0.tgz"])
def test_a_local_platform_chart_is_the_platform_release_too(release, chart):
    release["chart"] = chart
    release["values"]["global"]["privateRegistry"]["enabled"] = False
    assert violations(guardrails.validate_platform_release, resource_args(guardrails.RELEASE, release))


def test_another_chart_is_not_the_platform_release(release):
    release["chart"] = "astronomer-extras"
    release["values"]["global"]["privateRegistry"]["enabled"] = False
    assert violations(guardrails.validate_platform_release, resource_args(guardrails.RELEASE, release)) == []


def without(resources, resource_type: str, namespace: str, name: str | None = None):
    return [
        (t, p) for t, p in resources
        if not (t == resource_type and p["metadata"].get("namespace") == namespace and name in (None, p["metadata"]["name"]))
    ]


def test_a_tenant_namespace_without_default_deny_or_quota_is_refused(recordings):
    resources = program_resources(recordings["dev"])
    no_deny = without(resources, guardrails.NETWORK_POLICY, "airflow-finance", "default-deny")
    assert violations(guardrails.validate_tenant_isolation, stack_args(no_deny)) == [
        "tenant namespace airflow-finance has no default-deny NetworkPolicy"
    ]
    no_quota = without(resources, guardrails.RESOURCE_QUOTA, "airflow-marketing")
    assert violations(guardrails.validate_tenant_isolation, stack_args(no_quota)) == [
        "tenant namespace airflow-marketing has no ResourceQuota"
    ]


def test_a_default_deny_that_allows_something_is_not_a_default_deny(recordings):
    resources = copy.deepcopy(program_resources(recordings["dev"]))
    for resource_type, props in resources:
        if resource_type == guardrails.NETWORK_POLICY and props["metadata"]["name"] == "default-deny":
            props["spec"]["egress"] = [{}]  # one empty rule allows all egress
    assert len(violations(guardrails.validate_tenant_isolation, stack_args(resources))) == 3


def test_an_object_a_preview_cannot_place_yet_defers_the_isolation_verdict(recordings):
    resources = without(program_resources(recordings["dev"]), guardrails.NETWORK_POLICY, "airflow-finance", "default-deny")
    unplaced = {"metadata": {"name": "default-deny", "namespace": UNKNOWN_STRING_VALUE}, "spec": {}}
    assert violations(guardrails.validate_tenant_isolation, stack_args(resources + [(guardrails.NETWORK_POLICY, unplaced)])) == []


def test_a_service_a_preview_cannot_place_yet_does_not_hide_the_others(recordings):
    unplaced = {"metadata": {"name": "x", "namespace": UNKNOWN_STRING_VALUE}, "spec": {"type": "LoadBalancer"}}
    placed = {"metadata": {"name": "web", "namespace": "airflow-finance"}, "spec": {"type": "NodePort"}}
    resources = program_resources(recordings["dev"]) + [(guardrails.SERVICE, unplaced), (guardrails.SERVICE, placed)]
    found = violations(guardrails.validate_no_external_services, stack_args(resources))
    assert found == ["NodePort Service in tenant namespace airflow-finance"]


@pytest.mark.parametrize("service_type", guardrails.EXTERNAL_SERVICE_TYPES)
def test_external_services_are_refused_in_tenant_namespaces_only(recordings, service_type):
    resources = program_resources(recordings["dev"])
    service = {"metadata": {"name": "web", "namespace": "airflow-finance"}, "spec": {"type": service_type}}
    platform_service = {"metadata": {"name": "web", "namespace": "astronomer"}, "spec": {"type": service_type}}
    cluster_ip = {"metadata": {"name": "ok", "namespace": "airflow-finance"}, "spec": {"type": "ClusterIP"}}
    found = violations(
        guardrails.validate_no_external_services,
        stack_args(resources + [(guardrails.SERVICE, s) for s in (service, platform_service, cluster_ip)]),
    )
    assert found == [f"{service_type} Service in tenant namespace airflow-finance"]


def test_the_pack_lists_each_policy_once():
    names = [policy.name for policy in guardrails.POLICIES]
    assert sorted(names) == sorted(set(names)) and len(names) == 4
