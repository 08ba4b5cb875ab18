"""``helm template`` of the pinned platform chart: from a local chart directory (``platform.chartPath`` or
``--chart``), or pulled at the pinned version from the stack's Artifactory Helm repository."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from vetting.derive import Template
from vetting.registry import Login

CHART_NAME = "astronomer"
# The chart refuses Kubernetes versions outside its range; the images do not depend on it.
KUBE_VERSION = "1.33.0"


class HelmError(RuntimeError):
    pass


def _helm(helm: Path, args: list[str], home: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "HELM_CONFIG_HOME": str(home / "config"), "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_DATA_HOME": str(home / "data")}
    result = subprocess.run([str(helm), *args], input=stdin, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise HelmError(f"helm {args[0]} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


@contextmanager
def chart_directory(helm: Path, version: str, local: Path | None, repo_url: str,
                    login: Login | None) -> Generator[Path]:
    """The chart at ``version``: ``local`` (checked), or pulled from ``repo_url`` into a temporary directory."""
    if local is not None:
        chart = yaml.safe_load((local / "Chart.yaml").read_text())
        if str(chart.get("version")) != version:
            raise HelmError(f"{local} holds chart version {chart.get('version')}, the stack pins {version}")
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="vetting-helm-") as tmp:
        home = Path(tmp)
        add = ["repo", "add", "vetting", repo_url]
        if login is not None:
            add += ["--username", login.username, "--password-stdin"]
        _helm(helm, add, home, stdin=login.password if login else None)
        _helm(helm, ["pull", f"vetting/{CHART_NAME}", "--version", version, "--untar", "--untardir", tmp], home)
        yield home / CHART_NAME


def templater(helm: Path, chart: Path, release: str, namespace: str) -> Template:
    def template(values: Mapping[str, Any]) -> str:
        with tempfile.TemporaryDirectory(prefix="vetting-values-") as tmp:
            values_file = Path(tmp) / "values.yaml"
            values_file.write_text(yaml.safe_dump(dict(values)))
            return _helm(helm, ["template", release, str(chart), "--namespace", namespace,
                                "--kube-version", KUBE_VERSION, "--values", str(values_file)], Path(tmp))
    return template
