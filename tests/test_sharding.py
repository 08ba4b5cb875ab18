"""Tenant shard stacks: the platform stack and its shard stacks declare exactly the single stack's objects."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi
import pytest

from components.tenant_document import tenant_args, tenant_document
from components.tenant_specs import EgressAllow
from composition.shard import SHARDS_OUTPUT
from config.errors import ConfigError
from config.shard import SHARD_PROJECT
from standins import mock_engine as engine
from tests.helpers import ROOT, run_components, run_document
from tests.helpers import tenant_args as tenant_args_builder

SHARD_PROGRAM = ROOT / "tenant-shard" / "__main__.py"
PLATFORM_STACK = "organization/astronomer-platform/dev"


def objects(recording: engine.Recording) -> dict[tuple[str, str, str], str]:
    """(type, namespace, name) -> the object's inputs, for every Kubernetes object declared."""
    return {(r.type, r.inputs["metadata"].get("namespace", ""), r.inputs["metadata"]["name"]):
            json.dumps(engine.reveal(r.inputs), sort_keys=True) for r in recording.kubernetes_objects()}


def run_shard(shard: str, platform_outputs: dict[str, Any]) -> engine.Recording:
    config = {f"{SHARD_PROJECT}:platformStack": PLATFORM_STACK, f"{SHARD_PROJECT}:shard": shard,
              f"{SHARD_PROJECT}:kubernetes": json.dumps({"context": "dev-cluster"})}
    return engine.run(config, [], stack=f"dev-{shard}", project=SHARD_PROJECT,
                      program=lambda: runpy.run_path(str(SHARD_PROGRAM), run_name="__main__"),
                      stack_outputs={PLATFORM_STACK: platform_outputs})


def test_platform_and_shard_stacks_declare_the_single_stacks_objects(document):
    single = run_document(document("dev"))
    sharded = document("dev")
    sharded["tenancy"]["shards"] = ["batch-1"]
    for tenant in sharded["tenants"]:
        if tenant["name"] in ("finance", "analytics"):
            tenant["shard"] = "batch-1"
    platform = run_document(sharded)
    shard = run_shard("batch-1", platform.outputs)

    in_platform, in_shard = objects(platform), objects(shard)
    assert not in_platform.keys() & in_shard.keys(), "an object declared by two stacks"
    assert in_platform | in_shard == objects(single)
    # The platform keeps the sharded tenants' namespaces; the shard holds everything inside them.
    assert ("kubernetes:core/v1:Namespace", "", "airflow-finance") in in_platform
    assert {namespace for _, namespace, _ in in_shard} == {"airflow-finance", "airflow-analytics"}
    assert sorted(shard.outputs["tenants"]) == ["analytics", "finance"]
    assert all(r.parent.endswith(("::finance", "::analytics")) for r in shard.kubernetes_objects())
    # Without shards the platform exports nothing for them.
    assert single.outputs[SHARDS_OUTPUT] == {}


def test_a_shard_the_platform_does_not_know_is_an_error(document):
    platform = run_document(document("dev"))
    with pytest.raises(Exception, match="'batch-9' has no tenants in organization/astronomer-platform/dev"):
        run_shard("batch-9", platform.outputs)


def test_shard_config_errors_name_the_key():
    config = {f"{SHARD_PROJECT}:platformStack": "prod", f"{SHARD_PROJECT}:shard": "Batch_1"}
    with pytest.raises(ConfigError) as error:
        engine.run(config, [], project=SHARD_PROJECT,
                   program=lambda: runpy.run_path(str(SHARD_PROGRAM), run_name="__main__"))
    text = str(error.value)
    assert "platformStack" in text and "shard" in text and "kubernetes" in text


def test_the_tenant_document_survives_a_stack_output():
    documents: list[dict[str, Any]] = []

    def build(opts: pulumi.ResourceOptions) -> None:
        original = tenant_document(tenant_args_builder(
            egress=(EgressAllow(("10.50.1.0/24",), (("TCP", 1433),)),)))
        # A stack output carries every number as a double.
        as_exported = json.loads(json.dumps(original), parse_int=float)
        documents.extend([original, tenant_document(tenant_args(as_exported))])

    run_components(build)
    original, rebuilt = documents
    assert rebuilt == original
    assert json.dumps(rebuilt["egress"]) == '[{"cidrs": ["10.50.1.0/24"], "ports": [["TCP", 1433]]}]'
