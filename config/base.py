"""The base of every config model (strict: unknown keys are errors; camelCase in the stack file) and the
small types several sections share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PositiveInt = Annotated[int, Field(strict=True, gt=0)]


Port = Annotated[int, Field(strict=True, ge=1, le=65535)]


PodSecurityLevel = Literal["privileged", "baseline", "restricted"]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
    )
