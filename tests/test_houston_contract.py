"""Contract vectors: the provider's GraphQL documents against the official Astro CLI's, per line.

``tests/data/houston/cli-v1.45.0.json`` records, for each operation and line, the document the CLI
(astronomer/astro-cli, tag v1.45.0) sends, with its file, line and query variant, and where the
provider's document differs field by field, with the reason. A document that drifts from the CLI's,
or from the recorded differences, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from components.houston_documents import BY_LINE, CLUSTER_DOCUMENTS, LINES, SHARED, document
from standins.houston.schema import schema
from tests.houston_contract import differences

VECTORS_FILE = Path(__file__).parent / "data" / "houston" / "cli-v1.45.0.json"
CONTRACT: dict[str, Any] = json.loads(VECTORS_FILE.read_text())
VECTORS: list[dict[str, Any]] = CONTRACT["vectors"]


def _id(vector: dict[str, Any]) -> str:
    return f"{vector['operation']}@{vector['line']}"


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_document_differs_from_the_clis_only_as_recorded(vector: dict[str, Any]) -> None:
    found = differences(document(vector["operation"], vector["line"]), vector["document"])
    assert found == vector["differences"], f"{_id(vector)}: against {vector['file']} {vector['at']} {vector['name']}"
    # Every deviation from the CLI carries its reason.
    assert bool(vector.get("why")) == bool(found)


def test_every_operation_is_either_a_vector_or_sourced_elsewhere() -> None:
    covered = {(v["operation"], v["line"]) for v in VECTORS}
    operations = set(SHARED) | set(BY_LINE)
    without = set(CONTRACT["withoutCliDocument"])
    assert {(op, line) for op in operations - without for line in LINES} == covered
    assert without <= operations | {"clusters"}


@pytest.mark.parametrize("line", LINES)
def test_the_standin_accepts_the_providers_and_the_clis_documents(line: str) -> None:
    """The stand-in's schema holds every operation both clients send on the line."""
    ours = [document(op, line) for op in (*SHARED, *BY_LINE)]  # type: ignore[arg-type]
    if line != "0.37":
        ours.extend(CLUSTER_DOCUMENTS)
    theirs = [v["document"] for v in VECTORS if v["line"] == line]
    for text in ours + theirs:
        assert validate(schema(line), parse(text)) == [], text  # type: ignore[arg-type]


def test_line_specific_operations_are_refused_on_other_lines() -> None:
    create_037 = document("create_deployment", "0.37")
    assert validate(schema("1.x"), parse(create_037)), "createDeployment is gone on 1.x"
    assert validate(schema("0.37"), parse(document("create_deployment", "2.x"))), "no clusterId or mode on 0.37"
    assert validate(schema("1.x"), parse(document("create_deployment", "2.x"))), "no mode on 1.x"
    assert validate(schema("2.x"), parse(document("update_image", "1.x"))), "2.x deploys images by upsert"


def test_differences_notice_a_changed_argument() -> None:
    cli = next(v for v in VECTORS if v["operation"] == "delete_deployment")["document"]
    soft = cli.replace("deploymentHardDelete: $deploymentHardDelete", "deploymentHardDelete: false")
    assert differences(soft, cli) == {"arguments.changed": {"deploymentHardDelete": ["false", "$deploymentHardDelete"]}}
