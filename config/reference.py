"""The README's config reference, generated from the models: ``python -m config.reference``.

A test keeps the README's copy identical to this output, so the reference cannot drift.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from config.models import StackConfig
from config.secrets import OPTIONAL_SECRETS, REQUIRED_SECRETS

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"

_SECRET_MEANINGS = {
    "artifactoryPassword": "Artifactory password (pull secret, Helm repository, image pushes)",
    "databaseConnection": "postgres://USER:PASS@HOST:5432 of the platform database",
    "delineaPassword": "Delinea password of the ticket manager",
    "tlsCertificate": "PEM certificate for the base domain and its wildcard (with tlsKey)",
    "tlsKey": "PEM key of tlsCertificate",
}


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _type_name(annotation: Any) -> str:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return f"map of {_type_name(typing.get_args(annotation)[1])}"
    if origin is typing.Literal:
        return " / ".join(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return {str: "string", int: "integer", bool: "boolean"}.get(annotation, "any")


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _nested_model(inner[0]) if len(inner) == 1 else (None, "")
    if origin is list:
        model, suffix = _nested_model(typing.get_args(annotation)[0])
        return model, "[]" + suffix
    if origin is dict:
        model, suffix = _nested_model(typing.get_args(annotation)[1])
        return model, ".<name>" + suffix
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    return None, ""


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default is PydanticUndefined else field.default
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True)
    if value is None or value in ({}, []):
        return "-"
    return f"`{json.dumps(value)}`" if not isinstance(value, str) else f"`{value}`"


def rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    result = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        result.append((path, _type_name(field.annotation), _default(field), field.description or ""))
        nested, suffix = _nested_model(field.annotation)
        if nested is not None:
            result += rows(nested, f"{path}{suffix}.")
    return result


def reference() -> str:
    lines = [BEGIN, "| key | type | default | meaning |", "|---|---|---|---|"]
    lines += [f"| `{p}` | {t} | {d} | {m} |" for p, t, d, m in rows(StackConfig)]
    lines += [f"| `{name}` | secret string | required | {_SECRET_MEANINGS[name]} |" for name in REQUIRED_SECRETS]
    lines += [f"| `{name}` | secret string | - | {_SECRET_MEANINGS[name]} |" for name in OPTIONAL_SECRETS]
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference())
