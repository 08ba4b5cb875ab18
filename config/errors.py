"""Config problems as one line each: ``<key path>: <bad value> <rule>``.

Pydantic's errors are translated here so that a platform engineer reads the stack file's own key
names (camelCase, ``tenants[1].namespace``) and never a traceback.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from domain.secret_text import names_a_secret, secret_in_text


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class HiddenValueError(ValueError):
    """A rule's refusal whose value must not be printed: it may hold a secret (a URL with a login, say)."""


class ConfigError(pulumi.RunError):
    """Invalid stack config. A ``RunError`` so that the Pulumi CLI prints it without a traceback."""

    def __init__(self, problems: list[Problem], source: str = "stack config"):
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source} is invalid ({count}):\n{lines}")


class StackFileError(Exception):
    """A stack file that cannot be read as YAML config at all; the message is one line naming it."""


def key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else str(part)
    return path


# Keys under which any value may be a secret: a value refused there is never printed.
_FREE_FORM = ("variables", "extra", "valuesOverrides")


def _show(value: Any, loc: tuple[Any, ...] = ()) -> str:
    """The value as an error line shows it, or nothing where it may be a secret: under a key that names
    a secret or takes free-form values, or a text that looks like one."""
    if isinstance(value, (dict, list)):
        return ""
    keys = [str(part) for part in loc if isinstance(part, str)]
    if any(names_a_secret(key) for key in keys) or any(key in _FREE_FORM for key in keys):
        return ""
    if isinstance(value, str) and secret_in_text(value):
        return ""
    text = repr(value)
    return (text[:77] + "...'" if len(text) > 80 else text) + " "


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (used to suggest the right key name)."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f for name, f in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif origin in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def key_names(model: type[BaseModel]) -> list[str]:
    """The model's keys as the stack file spells them (camelCase aliases), sorted."""
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _unknown_key(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return "is not a known key"
    allowed = key_names(model)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"is not a known key (allowed: {', '.join(allowed)}){hint}"


_RULES = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "greater_than": "must be a positive integer",
    "float_type": "must be a number",
    # A rule's pattern is worded by the rule itself (config.rules.Rule); never print the regular expression.
    "string_pattern_mismatch": "does not have the form this key takes (see docs/configuration.md)",
}


_NUMBER_NOT_STRING = (
    "is a number in YAML, not a string; quote it as written (e.g. '3.10': unquoted, YAML reads 3.10 as 3.1)"
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problems_from(
    error: ValidationError, root: type[BaseModel], prefix: tuple[int | str, ...] = ()
) -> list[Problem]:
    problems: list[Problem] = []
    for err in error.errors():
        loc = prefix + tuple(err["loc"])
        kind = err["type"]
        cause = (err.get("ctx") or {}).get("error")
        if kind == "extra_forbidden":
            # Never echo the value: a misplaced secret would be printed.
            problems.append(Problem(key_path(loc), _unknown_key(root, loc)))
        elif isinstance(cause, HiddenValueError):
            problems.append(Problem(key_path(loc), str(cause)))
        elif kind == "value_error":
            problems.append(Problem(key_path(loc), f"{_show(err['input'], loc)}{cause or err['msg']}"))
        elif kind == "missing":
            problems.append(Problem(key_path(loc), _RULES[kind]))
        elif kind == "string_type" and _is_number(err["input"]):
            # YAML reads an unquoted 3.10 as the float 3.1: the text as written is already lost.
            problems.append(Problem(key_path(loc), f"{_show(err['input'], loc)}{_NUMBER_NOT_STRING}"))
        else:
            rule = _RULES.get(kind) or err["msg"].replace("Input should be", "must be")
            if kind == "too_short" and (err.get("ctx") or {}).get("min_length") == 1:
                rule = "must not be empty"
            problems.append(Problem(key_path(loc), f"{_show(err['input'], loc)}{rule}"))
    return problems
