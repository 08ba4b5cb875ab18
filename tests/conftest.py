"""Shared fixtures: stack config as the engine would pass it, and the program run under mocks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config import stack_file
from config.stack_file import read, runtime_values
from offline import engine

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")


def stack_document(stack: str) -> dict[str, Any]:
    """The ``astronomer-platform:`` keys of a committed stack file, without the prefix."""
    return stack_file.document(ROOT / f"Pulumi.{stack}.yaml")


def runtime_config(document: dict[str, Any], secrets: dict[str, str] | None = None) -> tuple[dict, list]:
    """Runtime config for ``document`` plus secrets given in plain text (marked secret)."""
    return runtime_values(document, TEST_SECRETS if secrets is None else secrets)


# Distinctive values, so a test can search every rendered byte for them.
TEST_SECRETS = {
    "artifactoryPassword": "artifactory-PASSWORD-7f3a",
    "databaseConnection": "postgres://astro:DB-PASSWORD-91c2@db.corp.company.com:5432",
    "delineaPassword": "delinea-PASSWORD-55e0",
}


@pytest.fixture
def document() -> Callable[[str], dict[str, Any]]:
    """A fresh, mutable copy of a committed stack's config."""
    return lambda stack="dev": copy.deepcopy(stack_document(stack))


def run_document(document: dict[str, Any], stack: str = "dev", secrets: dict[str, str] | None = None):
    config, secret_keys = runtime_config(document, secrets)
    return engine.run(config, secret_keys, stack=stack)


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
