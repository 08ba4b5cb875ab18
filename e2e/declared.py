"""The Kubernetes objects the program declares for a config, as manifests in deploy order.

Runs the program as the end-to-end test runs it (``e2e.program``: with its test-only
transformation) under the mock engine (``standins.mock_engine``) in a child process, so the mock runtime
never shares a process with the Automation API's real one. Unlike the offline render, secrets are
kept in the clear: the end-to-end test sends these manifests to its own API server.

``python -m e2e.declared`` reads ``{"document": ..., "secrets": ...}`` as JSON on stdin and writes
the manifests as JSON on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from e2e.program import program
from e2e.stack import secrets_for
from offline.render import data_plane, deploy_order, manifest
from stackfile.read import runtime_values
from standins import mock_engine as engine


def _declared(document: dict[str, Any], secrets: dict[str, str]) -> list[tuple[str | None, dict[str, Any]]]:
    result = subprocess.run(
        [sys.executable, "-m", "e2e.declared"],
        input=json.dumps({"document": document, "secrets": secrets_for(document, secrets)}),
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the program failed under the mock engine:\n{result.stderr[-3000:]}")
    return [(plane, declared) for plane, declared in json.loads(result.stdout)]


def manifests(document: dict[str, Any], secrets: dict[str, str]) -> list[dict[str, Any]]:
    """Manifests of every Kubernetes object ``document`` declares (the Helm release excluded)."""
    return [declared for _, declared in _declared(document, secrets)]


def manifests_by_cluster(document: dict[str, Any], secrets: dict[str, str]) -> dict[str | None, list[dict[str, Any]]]:
    """The same, by the cluster they go to: a data plane's name, or None for the platform's."""
    clusters: dict[str | None, list[dict[str, Any]]] = {}
    for plane, declared in _declared(document, secrets):
        clusters.setdefault(plane, []).append(declared)
    return clusters


def _render(document: dict[str, Any], secrets: dict[str, str]) -> list[tuple[str | None, dict[str, Any]]]:
    config, secret_keys = runtime_values(document, secrets)
    recording = engine.run(config, secret_keys, stack="e2e", program=program)
    kinds = {r.urn for r in recording.kubernetes_objects()}
    # Secrets in the clear: this API server is the test's own.
    return [(data_plane(r), manifest(r, engine.reveal)) for r in deploy_order(recording.resources) if r.urn in kinds]


if __name__ == "__main__":
    request = json.load(sys.stdin)
    json.dump(_render(request["document"], request["secrets"]), sys.stdout)
