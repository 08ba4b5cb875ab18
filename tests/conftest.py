"""Shared fixtures: stack config as the engine would pass it, and the program run under mocks.
The helpers they use live in ``tests.helpers``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stackfile.read import read
from standins import mock_engine as engine
from tests.helpers import ROOT, STACKS, run_document, stack_document


def pytest_configure(config: pytest.Config) -> None:
    # `pytest -m "not slow"` is the fast inner loop; `make test` runs everything.
    config.addinivalue_line("markers", "slow: takes several seconds (fan-out at scale, many renders)")
    config.addinivalue_line("markers", "kdc: runs a throwaway MIT Kerberos realm (Debian krb5-kdc, krb5-admin-server, krb5-user)")


@pytest.fixture
def document() -> Callable[[str], dict[str, Any]]:
    """A fresh, mutable copy of a committed stack's config."""
    return lambda stack="dev": copy.deepcopy(stack_document(stack))


@pytest.fixture(scope="session")
def recordings() -> dict[str, engine.Recording]:
    """Each committed stack run once under mocks, with the test secrets."""
    return {stack: run_document(stack_document(stack), stack) for stack in STACKS}


@pytest.fixture(scope="session")
def committed_runs() -> dict[str, engine.Recording]:
    """Each committed stack file run exactly as the offline render runs it."""
    runs = {}
    for stack in STACKS:
        config, secret_keys = read(ROOT / f"Pulumi.{stack}.yaml", fill_missing_secrets=True)
        runs[stack] = engine.run(config, secret_keys, stack=stack)
    return runs
