"""Run every model rule of a config, valid or not, so that one run reports every problem.

Pydantic checks each key on its own and reports all of them; what it cannot do is run a rule over
several keys once one key of that model failed. So when the config is invalid, ``salvage`` rebuilds it
from the keys that did validate (a model whose required key failed is still built, with that key
unset), and ``rule_problems`` runs every model's rules on it. A rule that reads a key that is unset
there is skipped: its problem is reported by the key's own error.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from config.base import Issue, Model
from config.errors import Problem, problems_from

_M = TypeVar("_M", bound=Model)
_INVALID = object()


def salvage(model: type[_M], data: Any) -> _M:
    """``data`` as a ``model``: validated in full when it can be, else built from the keys that validate."""
    if isinstance(data, dict):
        try:
            return model.model_validate(data)
        except ValidationError:
            pass
    fields: dict[str, Any] = {}
    raw = typing.cast(dict[str, Any], data) if isinstance(data, dict) else {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in raw:
            value = _salvage_value(model, name, info, raw[key])
            if value is not _INVALID:
                fields[name] = value
    return model.model_construct(**fields)


@functools.cache
def _adapter(model: type[Model], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation)


def _salvage_value(model: type[Model], name: str, info: FieldInfo, value: Any) -> Any:
    try:
        return _adapter(model, name).validate_python(value)
    except ValidationError:
        pass
    inner = _optional_inner(info.annotation)
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    if _is_model(inner):
        return salvage(inner, value)
    # A list keeps every index, so that problems name the right item: an item that is no mapping at all
    # stays as a model with no key set.
    if origin is list and args and _is_model(args[0]) and isinstance(value, list):
        return [salvage(args[0], item) for item in typing.cast(list[Any], value)]
    if origin is dict and len(args) == 2 and _is_model(args[1]) and isinstance(value, dict):
        keys = TypeAdapter(args[0])
        salvaged: dict[Any, Any] = {}
        for key, item in typing.cast(dict[Any, Any], value).items():
            try:
                salvaged[keys.validate_python(key)] = salvage(args[1], item)
            except ValidationError:
                continue
        return salvaged
    return _INVALID


def _optional_inner(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return options[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Model)


def check(model: type[_M], raw: dict[str, Any]) -> tuple[_M, list[Problem]]:
    """``raw`` as a ``model`` and every problem of it: each key's own, then every rule's."""
    try:
        config, problems = model.model_validate(raw), []
    except ValidationError as error:
        config, problems = salvage(model, raw), problems_from(error, model)
    return config, problems + rule_problems(config, partial=bool(problems))


def rule_problems(config: Model, partial: bool, path: str = "") -> list[Problem]:
    """Every rule's problems in ``config`` and the models inside it, with key paths from ``path``.

    With ``partial`` (a salvaged config) a rule that reads an unset key stops there; on a validated
    config that would be a bug, and raises.
    """
    problems: list[Problem] = []
    for method in type(config).rules():
        problems += [Problem(_join(path, issue.key), issue.message) for issue in _run(method(config), partial)]
    for name, info in type(config).model_fields.items():
        if name not in config.__dict__:
            continue
        here = _join(path, info.alias or name)
        problems += _nested(getattr(config, name), partial, here)
    return problems


def _nested(value: Any, partial: bool, path: str) -> list[Problem]:
    if isinstance(value, Model):
        return rule_problems(value, partial, path)
    if isinstance(value, list):
        return [p for index, item in enumerate(typing.cast(list[Any], value))
                for p in _nested(item, partial, f"{path}[{index}]")]
    if isinstance(value, dict):
        return [p for key, item in typing.cast(dict[Any, Any], value).items()
                for p in _nested(item, partial, f"{path}.{key}")]
    return []


def _run(issues: Iterator[Issue], partial: bool) -> list[Issue]:
    found: list[Issue] = []
    try:
        found.extend(issues)
    except AttributeError:
        if not partial:
            raise
    return found


def _join(path: str, key: str) -> str:
    if not key:
        return path
    if not path or key.startswith("["):
        return f"{path}{key}"
    return f"{path}.{key}"
