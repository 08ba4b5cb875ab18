"""The base of every config model (strict: unknown keys are errors; camelCase in the stack file), the rules a
model states about several of its keys, and the small types several sections share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PositiveInt = Annotated[int, Field(strict=True, gt=0)]


Port = Annotated[int, Field(strict=True, ge=1, le=65535)]


PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


@dataclass(frozen=True)
class Issue:
    """A problem a model rule found: ``key`` is the key path below the model, as the stack file spells it
    (``""`` for the model itself)."""

    key: str
    message: str


_M = TypeVar("_M", bound="Model")
RuleMethod = Callable[[_M], Iterator[Issue]]
_RULE_MARK = "__config_rule__"


def rule(method: Callable[[_M], Iterator[Issue]]) -> Callable[[_M], Iterator[Issue]]:
    """Marks a method as a rule over several keys of its model.

    Rules are not pydantic validators, which stop at the first problem and do not run when any key of
    the model fails: ``config.rule_walk`` runs every rule, on whatever part of the config validated, and
    a rule that reads a key that did not validate is skipped.
    """
    setattr(method, _RULE_MARK, True)
    return method


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
    )

    @classmethod
    def rules(cls) -> list[Callable[[Any], Iterator[Issue]]]:
        """The model's rules, in the order they are defined (a base class's first)."""
        found: dict[str, Callable[[Any], Iterator[Issue]]] = {}
        for klass in reversed(cls.__mro__):
            for name, member in list(vars(klass).items()):
                if callable(member) and getattr(member, _RULE_MARK, False):
                    found[name] = cast(Callable[[Any], Iterator[Issue]], member)
        return list(found.values())
