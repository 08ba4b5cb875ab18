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
from offline.render import deploy_order, manifest
from stackfile.read import runtime_values
from standins import mock_engine as engine


def manifests(document: dict[str, Any], secrets: dict[str, str]) -> list[dict[str, Any]]:
    """Manifests of every Kubernetes object ``document`` declares (the Helm release excluded)."""
    result = subprocess.run(
        [sys.executable, "-m", "e2e.declared"],
        input=json.dumps({"document": document, "secrets": secrets_for(document, secrets)}),
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the program failed under the mock engine:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def _render(document: dict[str, Any], secrets: dict[str, str]) -> list[dict[str, Any]]:
    config, secret_keys = runtime_values(document, secrets)
    recording = engine.run(config, secret_keys, stack="e2e", program=program)
    kinds = {r.urn for r in recording.kubernetes_objects()}
    # Secrets in the clear: this API server is the test's own.
    return [manifest(r, engine.reveal) for r in deploy_order(recording.resources) if r.urn in kinds]


if __name__ == "__main__":
    request = json.load(sys.stdin)
    json.dump(_render(request["document"], request["secrets"]), sys.stdout)
