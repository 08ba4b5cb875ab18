"""End-to-end steps for the Houston resources alone, under the real Pulumi CLI, against the stand-in.

A dynamic provider needs no Kubernetes provider, so these run wherever the CLI does: a tenant's
``TenantAirflow`` (workspace and deployment) on its own stack (Automation API, file backend,
passphrase), against the Houston stand-in (``standins.houston``) on 127.0.0.1:

  pulumi up -> the stand-in holds a HEALTHY deployment with the image, sizing and environment;
  pulumi preview -> no changes; a change of workers and a variable -> one update in place;
  the deployment deleted in Houston -> pulumi refresh drops it, pulumi up creates it again;
  pulumi destroy -> nothing left in the stand-in, the namespace back in the pool, an empty state.

The engine runs a dynamic provider through the plugin ``pulumi-resource-pulumi-python``, which the
CLI's release archives ship but a CLI built from source lacks; the harness then writes it (two lines).
``python -m e2e.houston_steps`` runs the steps alone.
"""

from __future__ import annotations

import json
import os
import secrets as token
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2e.harness import CheckFailedError, Report, expect, file_backend_env, stored_state

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "astronomer-houston-e2e"
STACK = "houston"
LAUNCHER = "pulumi-resource-pulumi-python"
NAMESPACE = "airflow-e2e"
TEAM = "astro-e2e-admins"
SECRET_PASSWORD = f"e2e-PASSWORD-{token.token_hex(4)}"
STEPS = ("houston: pulumi up", "houston: pulumi preview (no changes)", "houston: update in place",
         "houston: refresh after an out-of-band delete", "houston: pulumi destroy (clean)")


def write_launcher(bin_dir: Path) -> Path:
    """The dynamic provider's plugin: this interpreter serving ``pulumi.dynamic``."""
    launcher = bin_dir / LAUNCHER
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -u -m pulumi.dynamic "$@"\n')
    launcher.chmod(0o755)
    return launcher


def plugin_env(bin_dir: Path) -> dict[str, str]:
    """PATH and PYTHONPATH for an engine that runs the Houston resources: the launcher when the
    environment has none, and the project importable (the plugin loads the provider's class by
    reference)."""
    bin_dir.mkdir(exist_ok=True)
    if not shutil.which(LAUNCHER):
        write_launcher(bin_dir)
    return {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "PATH": os.pathsep.join([str(bin_dir), os.environ["PATH"]])}


def tenant_program(url: str, api_key: str, workers: int, cost_center: str) -> Callable[[], None]:
    """One tenant's Houston resources, as ``__main__.py`` declares them."""

    def program() -> None:
        import pulumi

        from components.houston_resources import HoustonSettings, TenantAirflow, TenantAirflowArgs
        from components.houston_specs import ComponentSize, DeploymentSizing

        size = ComponentSize(500, 1024)
        airflow = TenantAirflow("e2e", TenantAirflowArgs(
            houston=HoustonSettings(url, pulumi.Output.secret(api_key), 60, 60, 1),
            workspace_label="e2e", workspace_description="Line of business e2e", teams={TEAM: "WORKSPACE_ADMIN"},
            label="e2e", description="Airflow of e2e", release_name="e2e", namespace=NAMESPACE,
            executor="CeleryExecutor", runtime_version="11.10.0", image="registry.test/deployments/e2e-airflow:1.0.0",
            sizing=DeploymentSizing(1, size, size, 1, size, workers, size),
            environment=[("AIRFLOW_VAR_COST_CENTER", cost_center), ("AIRFLOW_VAR_ENVIRONMENT", "e2e")],
            secret_environment=pulumi.Output.secret(
                {"AIRFLOW_CONN_DB": json.dumps({"conn_type": "mssql", "password": SECRET_PASSWORD})}),
        ))
        pulumi.export("deploymentId", airflow.deployment_id)

    return program


class HoustonStack:
    def __init__(self, workdir: Path, pulumi_bin: Path) -> None:
        from pulumi import automation as auto

        self.auto = auto
        (workdir / "project").mkdir()
        (workdir / "state").mkdir()
        plugin = plugin_env(workdir / "bin")
        self.env = {
            **file_backend_env(workdir),
            "PYTHONPATH": plugin["PYTHONPATH"],
            "PATH": os.pathsep.join([str(pulumi_bin.parent), plugin["PATH"]]),
        }
        os.environ["PATH"] = self.env["PATH"]
        self.workdir = workdir
        self.stack: Any = None

    def select(self, program: Callable[[], None]) -> None:
        auto = self.auto
        self.stack = auto.create_or_select_stack(
            STACK, project_name=PROJECT, program=program,
            opts=auto.LocalWorkspaceOptions(work_dir=str(self.workdir / "project"), env_vars=self.env,
                                            secrets_provider="passphrase"))

    def up(self) -> dict[str, int]:
        result = self.stack.up(color="never", on_output=_indent)
        return {str(getattr(k, "value", k)): v for k, v in (result.summary.resource_changes or {}).items()}

    def preview(self) -> list[tuple[str, str]]:
        events: list[Any] = []
        self.stack.preview(color="never", on_event=events.append)
        return [(e.resource_pre_event.metadata.op.value, e.resource_pre_event.metadata.urn.rsplit("::", 1)[-1])
                for e in events if e.resource_pre_event is not None
                and e.resource_pre_event.metadata.op.value != "same"]

    def state_text(self) -> str:
        return stored_state(self.workdir)


def _indent(line: str) -> None:
    print(f"    {line}", end="" if line.endswith("\n") else "\n", flush=True)


def _plain_secrets_in(text: str, api_key: str) -> list[str]:
    return [name for name, value in (("the API key", api_key), ("the connection password", SECRET_PASSWORD))
            if value in text]


def steps(report: Report, pulumi_bin: Path | None) -> None:
    """The Houston steps; each is reported, a failure stops the rest of them only."""
    if pulumi_bin is None:
        for name in STEPS:
            report.blocked(name, "no pulumi CLI (why: at the end)")
        return
    try:
        _steps(report, pulumi_bin)
    except Exception:
        traceback.print_exc()


def _steps(report: Report, pulumi_bin: Path) -> None:
    from components.houston_client import Connection, HoustonClient
    from standins.houston.server import HoustonStandin

    api_key = token.token_hex(16)
    standin = HoustonStandin("2.x", api_key, pool=[NAMESPACE], teams=[TEAM], settle_reads=2)
    with tempfile.TemporaryDirectory(prefix="houston-e2e-") as tmp, standin.running() as url:
        engine = HoustonStack(Path(tmp), pulumi_bin)
        state = standin.state
        with report.step("houston: pulumi up"):
            engine.select(tenant_program(url, api_key, workers=2, cost_center="E2E-1"))
            changes = engine.up()
            expect(set(changes) == {"create"}, f"a first up only creates: {changes}")
            [deployment] = state.live()
            expect(deployment.status == "HEALTHY", f"the deployment is {deployment.status}")
            expect(deployment.namespace == NAMESPACE and deployment.image.endswith("e2e-airflow:1.0.0"),
                   f"namespace {deployment.namespace}, image {deployment.image}")
            stored = {v["key"]: v for v in deployment.env}
            expect(stored["AIRFLOW_CONN_DB"]["isSecret"] and SECRET_PASSWORD in stored["AIRFLOW_CONN_DB"]["value"],
                   "the connection is not a secret variable holding the password")
            expect(len(state.bindings) == 1, f"team bindings: {state.bindings}")
            stored_state = engine.state_text()
            expect("ciphertext" in stored_state, "no encrypted value in the stored state")
            leaked = _plain_secrets_in(stored_state, api_key)
            expect(not leaked, f"the state holds {leaked} in plain text")
            print(f"    deployment {deployment.id} HEALTHY in {deployment.namespace}; {len(stored)} variables; "
                  "no secret in plain text in the state")
        with report.step("houston: pulumi preview (no changes)"):
            ops = engine.preview()
            expect(not ops, f"a preview right after up changes {ops}")
        with report.step("houston: update in place"):
            engine.select(tenant_program(url, api_key, workers=3, cost_center="E2E-2"))
            ops = engine.preview()
            expect(ops == [("update", "e2e-deployment")], f"expected one update of the deployment: {ops}")
            before = deployment.id
            changes = engine.up()
            [deployment] = state.live()
            expect(deployment.id == before and deployment.sizing["workers"]["replicas"] == 3,
                   f"not updated in place: {deployment.id} vs {before}, {deployment.sizing}")
            expect({"key": "AIRFLOW_VAR_COST_CENTER", "value": "E2E-2", "isSecret": False} in deployment.env,
                   f"the variable did not change: {deployment.env}")
            leaked = _plain_secrets_in(engine.state_text(), api_key)
            expect(not leaked, f"the state holds {leaked} in plain text")
            print(f"    changes: {changes}")
        with report.step("houston: refresh after an out-of-band delete"):
            client = HoustonClient(Connection(url, api_key, attempts=1))
            client.delete_deployment(deployment.id)
            engine.stack.refresh(color="never")
            urns = [r["urn"] for r in engine.stack.export_stack().deployment.get("resources") or []]
            expect(not any(urn.endswith("::e2e-deployment") for urn in urns), "refresh kept the deleted deployment")
            changes = engine.up()
            expect(changes.get("create") == 1, f"up did not create the deployment again: {changes}")
            [deployment] = state.live()
            print(f"    refresh dropped the deployment; up created {deployment.id} ({deployment.status})")
        with report.step("houston: pulumi destroy (clean)"):
            engine.stack.destroy(color="never", on_output=_indent)
            expect(not state.deployments and not state.workspaces, "the stand-in still holds resources")
            free = client.available_namespaces(client.cluster_id())
            expect(NAMESPACE in free, f"the namespace is not back in the pool: {free}")
            resources = engine.stack.export_stack().deployment.get("resources") or []
            expect(not resources, f"{len(resources)} resources left in the state")
            deletes = [variables for query, variables in state.requests if "deleteDeployment" in query]
            expect(len(deletes) == 2 and all(v.get("deploymentHardDelete") is True for v in deletes),
                   f"hard deletes expected (the out-of-band one and destroy's): {deletes}")


def main() -> int:
    from devtools.go_tools import PULUMI_VERSION, Tool

    report = Report()
    started = time.monotonic()
    binary = Tool("pulumi", PULUMI_VERSION, "", "").path
    steps(report, binary if binary.is_file() else None)
    print(f"\nhouston steps ({time.monotonic() - started:.0f} s):\n{report.summary()}")
    return 1 if any(status != "ok" for _, status, _ in report.results) or len(report.results) < len(STEPS) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailedError as error:
        print(error)
        sys.exit(1)
