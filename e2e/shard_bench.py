"""One stack against shard stacks in parallel, for the same tenants, on the same API server in one run.

``python -m e2e.shard_bench --tenants N --shards K`` starts the bench's control plane and Houston
stand-in and times, under the real engine:

1. **one stack**: ``pulumi up`` of the platform stack with N synthetic tenants, a no-op preview, and the
   destroy (every namespace finalized);
2. **sharded**: the same N tenants spread over K shards (``tenancy.shards``, ``shard`` round-robin):
   the platform stack's ``up`` first (namespaces, Houston, the ticket manager, the export), then the K
   shard stacks' ``up`` at once, each in a process of its own as K pipeline jobs would run; a no-op
   preview of all K + 1 stacks at once; the destroy, shards at once and then the platform stack.

Between the two it checks that the sharded stacks made every Kubernetes object the one stack declares.
The last line, for tools, is one line (wrapped here)::

    shard-bench tenants=N shards=K one_up_s=S one_preview_s=S one_destroy_s=S
        sharded_up_s=S sharded_preview_s=S sharded_destroy_s=S

where each sharded figure is the wall time of the whole sharded operation (the platform's part plus the
shards'). ``--skip-checkpoints`` runs every stack with ``PULUMI_SKIP_CHECKPOINTS``. Not a test: it
runs neither in CI nor in ``make test``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import runpy
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from devtools import go_tools
from e2e.bench import bench_run
from e2e.harness import Api, expect
from e2e.stack import ROOT, Engine, Project, e2e_document
from standins.tenants import synthetic_tenants

SHARD_DIR = ROOT / "tenant-shard"
PLATFORM_STACK = "platform"


def shard_program() -> None:
    runpy.run_path(str(SHARD_DIR / "__main__.py"), run_name="__main__")


SHARD = Project(SHARD_DIR / "Pulumi.yaml", shard_program)


def _shard_step(workdir: Path, box: go_tools.Toolbox, env: dict[str, str], shard: str, kubeconfig: str,
                action: str) -> float:
    """One shard stack's ``action`` in this (spawned) process; its wall time."""
    engine = Engine(workdir, box, {}, name=f"shard-{shard}", project=SHARD, env=env, select=action != "up")
    engine.configure({"platformStack": f"organization/astronomer-platform/{PLATFORM_STACK}", "shard": shard,
                      "kubernetes": {"kubeconfig": kubeconfig}})
    started = time.monotonic()
    if action == "up":
        engine.stack.up(color="never")
    elif action == "preview":
        engine.stack.preview(expect_no_changes=True, color="never")
    else:
        engine.stack.destroy(color="never")
    return time.monotonic() - started


def _all_shards(pool: ProcessPoolExecutor, engine: Engine, box: go_tools.Toolbox, shards: list[str],
                kubeconfig: str, action: str) -> list[float]:
    futures = [pool.submit(_shard_step, engine.project.parent, box, engine.env, shard, kubeconfig, action)
               for shard in shards]
    return [future.result() for future in futures]


def run(tenants: int, shards: int, skip_checkpoints: bool) -> str:
    names = [f"s{index}" for index in range(shards)]
    with bench_run(tenants) as bench:
        box, cluster, api, manifests = bench.box, bench.cluster, bench.api, bench.manifests
        kubeconfig = str(cluster.kubeconfig)
        one = Engine(cluster.workdir, box, bench.secrets, name="one")
        sharded = Engine(cluster.workdir, box, bench.secrets, name=PLATFORM_STACK, env=one.env)
        if skip_checkpoints:
            # The shards' engines take the platform stack's env, this setting with it.
            for engine in (one, sharded):
                engine.skip_checkpoints()
        one.configure(bench.document)
        one_up = timed(f"one stack: up tenants={tenants}", lambda: one.stack.up(color="never"))
        one_preview = timed("one stack: no-op preview",
                            lambda: one.stack.preview(expect_no_changes=True, color="never"))
        one_destroy = timed("one stack: destroy", lambda: (one.stack.destroy(color="never"), _wait_gone(api)))

        spread = e2e_document(cluster.kubeconfig, synthetic_tenants(tenants), protect=False)
        spread["tenancy"]["shards"] = names
        for index, tenant in enumerate(spread["tenants"]):
            tenant["shard"] = names[index % shards]
        sharded.configure(spread)
        # Spawned, not forked: each shard's program runs in a fresh interpreter, as in its own pipeline job.
        with ProcessPoolExecutor(max_workers=shards, mp_context=multiprocessing.get_context("spawn")) as pool:
            def up() -> None:
                platform = timed("sharded: platform stack up", lambda: sharded.stack.up(color="never"))
                each = _all_shards(pool, sharded, box, names, kubeconfig, "up")
                print(f"    platform {platform:.1f} s, then shards at once: {_listed(each)}", flush=True)

            def preview() -> None:
                futures = [pool.submit(_shard_step, cluster.workdir, box, sharded.env, shard, kubeconfig, "preview")
                           for shard in names]
                platform = timed("sharded: platform stack preview",
                                 lambda: sharded.stack.preview(expect_no_changes=True, color="never"))
                print(f"    platform {platform:.1f} s, with the shards at once: "
                      f"{_listed([f.result() for f in futures])}", flush=True)

            def destroy() -> None:
                each = _all_shards(pool, sharded, box, names, kubeconfig, "destroy")
                platform = timed("sharded: platform stack destroy", lambda: sharded.stack.destroy(color="never"))
                _wait_gone(api)
                print(f"    shards at once: {_listed(each)}, then platform {platform:.1f} s", flush=True)

            sharded_up = timed(f"sharded: up tenants={tenants} shards={shards}", up)
            missing = [m for m in manifests if api.get(m) is None]
            expect(not missing, f"the sharded stacks lack {len(missing)} of the one stack's objects")
            print(f"    the sharded stacks made all {len(manifests)} objects the one stack declares", flush=True)
            sharded_preview = timed("sharded: no-op preview of every stack at once", preview)
            sharded_destroy = timed("sharded: destroy", destroy)
    return (f"shard-bench tenants={tenants} shards={shards} one_up_s={one_up:.2f} one_preview_s={one_preview:.2f} "
            f"one_destroy_s={one_destroy:.2f} sharded_up_s={sharded_up:.2f} sharded_preview_s={sharded_preview:.2f} "
            f"sharded_destroy_s={sharded_destroy:.2f}")


def timed(label: str, call: Callable[[], object]) -> float:
    """Wall time only: the shards' engines run in other processes, whose CPU this one cannot count."""
    started = time.monotonic()
    call()
    seconds = time.monotonic() - started
    print(f"{label} seconds={seconds:.2f}", flush=True)
    return seconds


def _wait_gone(api: Api) -> None:
    api.wait_gone(api.namespaces(), 600)


def _listed(seconds: list[float]) -> str:
    return ", ".join(f"{value:.1f} s" for value in seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--skip-checkpoints", action="store_true",
                        help="PULUMI_SKIP_CHECKPOINTS=true for every stack: each state is written once, at the end")
    args = parser.parse_args(argv)
    if args.tenants < 1 or not 1 <= args.shards <= args.tenants:
        parser.error("--tenants must be at least 1 and --shards between 1 and --tenants")
    print(run(args.tenants, args.shards, args.skip_checkpoints), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
