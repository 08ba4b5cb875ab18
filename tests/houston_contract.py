"""Comparing two GraphQL documents field by field (the Houston contract vectors' differences)."""

from __future__ import annotations

from typing import Any, cast

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    print_ast,
)


def _operation(document: str) -> OperationDefinitionNode:
    definitions = parse(document).definitions
    assert len(definitions) == 1, "one operation per document"
    return cast(OperationDefinitionNode, definitions[0])


def _paths(selection: SelectionSetNode | None, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for node in selection.selections if selection else ():
        field = cast(FieldNode, node)
        path = f"{prefix}{field.name.value}"
        paths.add(path)
        paths |= _paths(field.selection_set, f"{path}.")
    return paths


def shape(document: str) -> dict[str, Any]:
    """What a document asks for: operation type, root field, its arguments (printed values), the
    variables' types and defaults, and every selected field path."""
    operation = _operation(document)
    root = cast(FieldNode, operation.selection_set.selections[0])
    return {
        "operation": operation.operation.value,
        "root": root.name.value,
        "arguments": {a.name.value: print_ast(a.value) for a in root.arguments},
        "variables": {v.variable.name.value: print_ast(v.type) + (f" = {print_ast(v.default_value)}"
                                                                    if v.default_value else "")
                      for v in operation.variable_definitions},
        "fields": _paths(root.selection_set),
    }


def differences(ours: str, theirs: str) -> dict[str, Any]:
    """Where ``ours`` differs from ``theirs``: {} when they ask for the same thing."""
    a, b = shape(ours), shape(theirs)
    found: dict[str, Any] = {}
    for key in ("operation", "root"):
        if a[key] != b[key]:
            found[key] = [a[key], b[key]]
    for key in ("arguments", "variables"):
        mine, cli = a[key], b[key]
        added = {name: mine[name] for name in sorted(mine.keys() - cli.keys())}
        removed = sorted(cli.keys() - mine.keys())
        changed = {name: [mine[name], cli[name]] for name in sorted(mine.keys() & cli.keys()) if mine[name] != cli[name]}
        for label, value in (("added", added), ("removed", removed), ("changed", changed)):
            if value:
                found[f"{key}.{label}"] = value
    for label, value in (("fields.added", sorted(a["fields"] - b["fields"])),
                         ("fields.removed", sorted(b["fields"] - a["fields"]))):
        if value:
            found[label] = value
    return found
