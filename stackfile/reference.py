"""The configuration reference in ``docs/configuration.md``: ``python -m stackfile.reference`` rewrites
its table.

Built from the stack file's JSON schema (``stackfile.schema``), the one editors check against, so the
two cannot drift; a test keeps the committed table identical to this output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.secrets import REQUIRED_SECRETS
from stackfile.schema import PREFIX, SECRET_REF, stack_file_schema

REFERENCE_PATH = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"

JsonObject = dict[str, Any]
Row = tuple[str, str, str, str]


class _Walker:
    """Turns the schema of an object into rows of (key path, type, default, meaning)."""

    def __init__(self, defs: JsonObject) -> None:
        self.defs = defs

    def resolve(self, node: JsonObject) -> JsonObject:
        """The schema a value must match, with 'or null' dropped and a ``$ref`` followed."""
        options = [option for option in node.get("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            node = options[0]
        ref: str | None = node.get("$ref")
        return self.defs[ref.rsplit("/", 1)[1]] if ref else node

    def type_name(self, node: JsonObject) -> str:
        if node.get("$ref") == SECRET_REF:
            return "secret string"
        node = self.resolve(node)
        kind = node.get("type", "any")
        if "enum" in node:
            return " / ".join(str(value) for value in node["enum"])
        if "properties" in node:
            return "object"
        if kind == "array":
            return f"list of {self.type_name(node['items'])}"
        if kind == "object":
            values = node.get("additionalProperties", True)
            return f"map of {'any' if values is True else self.type_name(values)}"
        return str(kind)

    def nested(self, node: JsonObject) -> tuple[JsonObject | None, str]:
        """The object schema inside ``node`` (itself, its items or its map values) and the path
        suffix that leads to it."""
        node = self.resolve(node)
        if "properties" in node:
            return node, ""
        if node.get("type") == "array":
            inner, suffix = self.nested(node["items"])
            return inner, "[]" + suffix
        values: JsonObject | bool = node.get("additionalProperties", True)
        if node.get("type") == "object" and isinstance(values, dict):
            inner, suffix = self.nested(values)
            return inner, ".<name>" + suffix
        return None, ""

    def rows(self, model: JsonObject, prefix: str = "") -> list[Row]:
        required = set(model.get("required", []))
        result: list[Row] = []
        for name, node in model["properties"].items():
            path = f"{prefix}{name}"
            result.append((path, self.type_name(node), _default(node, name in required), node.get("description", "")))
            inner, suffix = self.nested(node)
            if inner is not None:
                result += self.rows(inner, f"{path}{suffix}.")
        return result


def _default(node: JsonObject, required: bool) -> str:
    if required:
        return "required"
    value = node.get("default")
    if value is None or value in ({}, []):
        return "-"
    return f"`{value}`" if isinstance(value, str) else f"`{json.dumps(value)}`"


def rows(schema: JsonObject) -> list[Row]:
    """Rows for every project key of a stack file schema, named without the project prefix."""
    config = schema["properties"]["config"]
    project = {
        "properties": {key.removeprefix(PREFIX): node for key, node in config["properties"].items()},
        # The schema cannot require the secrets: they are set per machine, outside the committed file.
        "required": [key.removeprefix(PREFIX) for key in config["required"]] + list(REQUIRED_SECRETS),
    }
    return _Walker(schema["$defs"]).rows(project)


def reference() -> str:
    lines = [BEGIN, "| key | type | default | meaning |", "|---|---|---|---|"]
    # A docstring wraps over lines; a table cell may not.
    lines += [f"| `{p}` | {t} | {d} | {' '.join(m.split())} |" for p, t, d, m in rows(stack_file_schema())]
    lines.append(END)
    return "\n".join(lines)


def write() -> None:
    """Replace the table between the markers of ``docs/configuration.md``; the page's other text stays."""
    text = REFERENCE_PATH.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    REFERENCE_PATH.write_text(text[:start] + reference() + text[end:])


if __name__ == "__main__":
    write()
    print(f"wrote the table of {REFERENCE_PATH}")
