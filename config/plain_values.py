"""What no value of the stack config may be, whatever its key: a secret in plain text, or a number that the
tools reading it disagree on.

The stack file and every render of it are plain text, and the program passes values on to Houston, Helm and
the pods' environment, so a secret anywhere in it is exposed. Numbers outside 64-bit integers (or infinite)
are read differently, or not at all, by Pulumi, Helm and Kubernetes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, cast

from config.base import Issue
from config.errors import Problem
from domain.secret_text import secret_in_text

INT64 = 2**63 - 1


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in cast(dict[Any, Any], value).items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def secrets_in_values(raw: dict[str, Any]) -> list[Problem]:
    """A problem for every text in the config that holds a secret (never showing the text)."""
    return [Problem(path, f"holds {kind}; the stack file and every render of it are plain text: keep the secret in "
                    "its secret key or the vault (docs/configuration.md#secrets), and rotate it")
            for path, value in _leaves(raw, "") if isinstance(value, str)
            for kind in [secret_in_text(value)] if kind]


def numbers_in_range(values: Any, key: str) -> Iterator[Issue]:
    """An issue for every number under ``values`` that is infinite or beyond 64-bit integers."""
    for path, value in _leaves(values, key):
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and abs(value) > INT64:
            yield Issue(path, "is a number beyond 64-bit integers, which Pulumi, Helm and Kubernetes read differently "
                        "or not at all; write it as text (quoted) if the chart takes it so")
        elif isinstance(value, float) and not math.isfinite(value):
            yield Issue(path, "is not a finite number (.inf or .nan), which JSON and Helm cannot carry")
