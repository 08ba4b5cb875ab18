"""The layout's rule holds (docs/layout.md): imports run one way, and the distribution packages exactly
the packages the program, its tools and its stand-ins are made of."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Not part of the distribution: the end-to-end harness and the tests run from a checkout.
CHECKOUT_ONLY = {"e2e", "tests"}


def test_imports_run_one_way():
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    assert "1 kept, 0 broken" in result.stdout


def test_every_package_is_in_a_layer():
    layers = PYPROJECT["tool"]["importlinter"]["contracts"][0]["layers"]
    layered = {name.strip() for layer in layers for name in layer.split("|")}
    assert layered == set(PYPROJECT["tool"]["importlinter"]["root_packages"])
    top_level = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert top_level - CHECKOUT_ONLY - {"docker"} <= layered
    assert layered - top_level == {"kerberos_manager"}  # the service's package, in docker/kerberos-manager


def test_the_distribution_packages_every_importable_package():
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = {".".join(path.parent.relative_to(ROOT).parts) for path in ROOT.glob("*/**/__init__.py")
             if not {".venv", "docker", *CHECKOUT_ONLY} & set(path.parts)}
    assert set(setuptools["packages"]) == found | {"kerberos_manager"}
    assert (ROOT / setuptools["package-dir"]["kerberos_manager"] / "__init__.py").is_file()


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def test_the_programs_entry_points_sit_on_the_composition():
    project = set(PYPROJECT["tool"]["importlinter"]["root_packages"])
    assert _imported_packages(ROOT / "__main__.py") & project == {"composition"}
    assert _imported_packages(ROOT / "tenant-shard/__main__.py") & project <= {"composition", "components", "config"}
