"""The program under the real engine at scale, against floors measured in the same run.

``make e2e-bench TENANTS=N`` (``python -m e2e.bench --tenants N``) starts the end-to-end control plane
(no node: nothing here runs a pod) and the Houston stand-in, and times, on a stack of its own:

- ``up_s``: ``pulumi up`` from an empty stack to N synthetic tenants (the dev stack's platform, ticket
  manager and N tenants with their Houston workspaces and deployments);
- ``preview_s``: a no-op ``pulumi preview`` right after, judged by the engine (``--expect-no-changes``);
- ``destroy_s``: ``pulumi destroy``, every namespace finalized.

Then the floors, what the API server itself needs for the same Kubernetes objects (the ones the program
declares for the same config, rendered under the mock engine), from a plain client doing server-side
apply concurrently, as a good client would (``FLOOR_WORKERS`` at once, namespaces first):
``floor_apply_s`` (create them all), ``floor_dry_run_s`` (apply them all again with ``dryRun``) and
``floor_delete_s`` (delete them all and wait until each is gone, namespaces finalized, as the engine's
destroy waits). The Houston resources have no floor: the stand-in answers ``HEALTHY`` at the first status
read here, so what they cost is the engine's and the dynamic provider's own time.

It prints a line per phase, a breakdown of the ``up`` by the engine's events (how long the Kubernetes
objects' and the Houston resources' steps took, summed, and how many ran at once), and last, one line
for tools::

    engine-bench tenants=N objects=N up_s=S preview_s=S destroy_s=S floor_apply_s=S floor_dry_run_s=S floor_delete_s=S

``--skip-checkpoints`` and ``--parallel P`` run the engine with ``PULUMI_SKIP_CHECKPOINTS`` and
``--parallel`` (docs/large-stacks.md weighs them). Not a test: it runs neither in CI nor in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devtools import go_tools
from e2e import declared
from e2e.cluster import Cluster, control_plane
from e2e.harness import Api, expect, wait_for_controllers
from e2e.network import node_network
from e2e.stack import HOUSTON, Engine, e2e_document, fake_secrets, houston_standin
from standins.tenants import synthetic_tenants

if TYPE_CHECKING:
    from standins.houston.server import HoustonStandin

FLOOR_WORKERS = 16
STACK = "bench"


@dataclass
class StepTimes:
    """What the engine's events say of one operation: each resource step's start and end."""

    started: dict[str, float] = field(default_factory=dict[str, float])
    ended: dict[str, float] = field(default_factory=dict[str, float])
    types: dict[str, str] = field(default_factory=dict[str, str])

    def on_event(self, event: Any) -> None:
        # The events' own timestamps have one-second resolution: when each arrives is finer.
        stamp = time.monotonic()
        if event.resource_pre_event is not None:
            metadata = event.resource_pre_event.metadata
            self.started.setdefault(metadata.urn, stamp)
            self.types[metadata.urn] = metadata.type
        elif event.res_outputs_event is not None:
            self.ended[event.res_outputs_event.metadata.urn] = stamp

    def summary(self, wall: float) -> str:
        groups: dict[str, list[float]] = {}
        for urn, end in self.ended.items():
            if urn in self.started:
                groups.setdefault(_group(self.types[urn]), []).append(end - self.started[urn])
        parts = []
        for name, durations in sorted(groups.items()):
            parts.append(f"{name}: {len(durations)} steps, {sum(durations):.1f} s summed, median "
                         f"{statistics.median(durations) * 1000:.0f} ms")
        busy = sum(sum(d) for d in groups.values())
        return "; ".join(parts) + f"; {busy / wall:.1f} steps in flight on average" if wall else ""


def _group(type_: str) -> str:
    if type_.startswith("kubernetes:") and not type_.startswith("kubernetes:helm"):
        return "kubernetes objects"
    if type_.startswith("pulumi-python:dynamic/houston"):
        return "houston resources"
    if type_.startswith("pulumi:providers:"):
        return "providers"
    return "components and other"


def timed(label: str, call: Callable[[], object], engine_runs: bool = True) -> float:
    """Wall time, and where the CPU went: this process (the program, inline, and its language runtime)
    against its children (the Pulumi CLI's engine and the provider plugins, counted once they exit).
    A floor starts no process: only the client's CPU is counted."""
    started, cpu = time.monotonic(), os.times()
    call()
    seconds, used = time.monotonic() - started, os.times()
    program = used.user + used.system - cpu.user - cpu.system
    engine = used.children_user + used.children_system - cpu.children_user - cpu.children_system
    where = (f"program {program:.1f} s, engine and providers {engine:.1f} s" if engine_runs
             else f"client {program:.1f} s")
    print(f"{label} seconds={seconds:.2f} cpu: {where}", flush=True)
    return seconds


def _concurrently(calls: list[Callable[[], object]]) -> None:
    with ThreadPoolExecutor(FLOOR_WORKERS) as pool:
        for result in [pool.submit(call) for call in calls]:
            result.result()


def _apply_all(api: Api, manifests: list[dict[str, Any]], dry_run: bool) -> None:
    """Namespaces first (everything else lives in them), then the rest at once."""
    def apply(manifest: dict[str, Any]) -> Callable[[], object]:
        metadata = manifest["metadata"]
        options = {"dry_run": "All"} if dry_run else {}
        return lambda: api.dynamic.server_side_apply(
            api.resource(manifest), body=manifest, name=metadata["name"], namespace=metadata.get("namespace"),
            field_manager="floor", force_conflicts=True, **options)
    namespaces = [m for m in manifests if m["kind"] == "Namespace"]
    _concurrently([apply(m) for m in namespaces])
    _concurrently([apply(m) for m in manifests if m["kind"] != "Namespace"])


def _delete_all(api: Api, manifests: list[dict[str, Any]]) -> None:
    """Everything at once, then wait until each object is gone (namespaces finalized)."""
    def delete(manifest: dict[str, Any]) -> Callable[[], object]:
        metadata = manifest["metadata"]
        return lambda: api.resource(manifest).delete(name=metadata["name"], namespace=metadata.get("namespace"))
    inside = [m for m in manifests if m["metadata"].get("namespace")]
    _concurrently([delete(m) for m in manifests if m not in inside])
    namespaces = {m["metadata"]["name"] for m in manifests if m["kind"] == "Namespace"}
    api.wait_gone(namespaces, timeout=600)
    leftovers = [m for m in manifests if "namespace" not in m["metadata"] and api.get(m) is not None]
    expect(not leftovers, f"{len(leftovers)} cluster-scoped objects still there")


@dataclass(frozen=True)
class BenchRun:
    """What a benchmark on the local control plane works with: the tools, the stack's secrets, the cluster
    and a client of it, the Houston stand-in, the stack config for N synthetic tenants and the
    Kubernetes objects it declares (rendered under the mock engine)."""

    box: go_tools.Toolbox
    secrets: dict[str, str]
    cluster: Cluster
    api: Api
    standin: HoustonStandin
    document: dict[str, Any]
    manifests: list[dict[str, Any]]


@contextlib.contextmanager
def bench_run(tenants: int) -> Iterator[BenchRun]:
    """The control plane (no node: nothing here runs a pod) and the Houston stand-in, for N tenants."""
    box = go_tools.ensure_tools()
    expect(not box.blocked, f"tools that could not be had: {sorted(box.blocked)}")
    secrets = fake_secrets()
    with node_network() as network, control_plane(box.paths, network) as cluster:
        api = Api(cluster.kubeconfig, pool_size=FLOOR_WORKERS)
        wait_for_controllers(api)
        # HEALTHY at the first status read: no waiting is left in the Houston resources' cost.
        standin = houston_standin(secrets, [tenants], settle_reads=0)
        with standin.running() as url:
            HOUSTON["url"] = url
            document = e2e_document(cluster.kubeconfig, synthetic_tenants(tenants), protect=False)
            yield BenchRun(box, secrets, cluster, api, standin, document, declared.manifests(document, secrets))


def run(tenants: int, skip_checkpoints: bool, parallel: int | None) -> str:
    with bench_run(tenants) as bench:
        api, manifests = bench.api, bench.manifests
        engine = Engine(bench.cluster.workdir, bench.box, bench.secrets, name=STACK)
        if skip_checkpoints:
            engine.skip_checkpoints()
        engine.configure(bench.document)
        options: dict[str, Any] = {"color": "never"}
        if parallel:
            options["parallel"] = parallel
        steps = StepTimes()
        up = timed(f"up tenants={tenants}", lambda: engine.stack.up(on_event=steps.on_event, **options))
        print(f"    up breakdown: {steps.summary(up)}", flush=True)
        resources = engine.stack.export_stack().deployment.get("resources") or []
        kubernetes = [r for r in resources if _group(r["type"]) == "kubernetes objects"]
        houston = [r for r in resources if _group(r["type"]) == "houston resources"]
        print(f"    state: {len(resources)} resources, {len(kubernetes)} Kubernetes objects, "
              f"{len(houston)} Houston resources; declared Kubernetes objects: {len(manifests)}", flush=True)
        preview = timed("no-op preview", lambda: engine.stack.preview(expect_no_changes=True, **options))
        destroy = timed("destroy", lambda: (engine.stack.destroy(**options), api.wait_gone(api.namespaces(), 600)))
        floor_apply = timed("floor: server-side apply", lambda: _apply_all(api, manifests, dry_run=False),
                            engine_runs=False)
        floor_dry_run = timed("floor: dry-run apply", lambda: _apply_all(api, manifests, dry_run=True),
                              engine_runs=False)
        floor_delete = timed("floor: delete", lambda: _delete_all(api, manifests), engine_runs=False)
        print(f"    ratios: up {up / floor_apply:.1f} x floor_apply, preview {preview / floor_dry_run:.2f} x "
              f"floor_dry_run, destroy {destroy / floor_delete:.1f} x floor_delete", flush=True)
        return (f"engine-bench tenants={tenants} objects={len(manifests)} up_s={up:.2f} preview_s={preview:.2f} "
                f"destroy_s={destroy:.2f} floor_apply_s={floor_apply:.2f} floor_dry_run_s={floor_dry_run:.2f} "
                f"floor_delete_s={floor_delete:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--skip-checkpoints", action="store_true",
                        help="PULUMI_SKIP_CHECKPOINTS=true: the state is written once, at the end")
    parser.add_argument("--parallel", type=int, help="the engine's --parallel (default: 4 x cores)")
    args = parser.parse_args(argv)
    if args.tenants < 1:
        parser.error("--tenants must be at least 1")
    print(run(args.tenants, args.skip_checkpoints, args.parallel), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
