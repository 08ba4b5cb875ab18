"""What a crash in the middle of an ``up`` without checkpoints leaves behind, and how the next ``up`` heals it.

``python -m e2e.crash --tenants N --after S`` starts the bench's control plane and Houston stand-in, runs
``pulumi up`` to N tenants with ``PULUMI_SKIP_CHECKPOINTS=true`` (the state is written once, at the end),
and S seconds in kills the Pulumi CLI and its plugins with SIGKILL, as a lost runner would. It prints
what the state holds against what exists (the declared Kubernetes objects, the Helm release, the Houston
deployments), then recovers as docs/large-stacks.md tells a platform team to, and checks each step:

1. ``pulumi cancel`` if the stack is still locked;
2. ``pulumi up`` again; if objects the lost run created are in a server-side apply conflict with the
   field manager the lost state named (fields the API server defaults inside an atomic field, such as a
   ValidatingAdmissionPolicy's ``matchConstraints``), once more with ``PULUMI_K8S_ENABLE_PATCH_FORCE=true``;
   if Helm's install refuses because the lost run's release record exists, once more after deleting
   that record (the objects stay, and the install adopts them); the Houston provider adopts the
   deployments it finds by release name;
3. a no-op preview, judged by the engine, and a destroy that leaves none of the declared objects.

Not a test: it runs neither in CI nor in ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from e2e.bench import bench_run
from e2e.harness import Api, expect
from e2e.stack import Engine

STACK = "crash"
# The Kubernetes provider's switch that forces server-side apply conflicts (its README, "Server-Side Apply").
FORCE = "PULUMI_K8S_ENABLE_PATCH_FORCE"
# Helm's answer to an install over a release that exists (the provider has no upsert for releases).
RELEASE_IN_USE = "cannot re-use a name that is still in use"


def forget_release(api: Api, error: str) -> str:
    """Delete Helm's record of the release the lost run installed (only the record: the objects stay, and
    the next install adopts them, as Helm does with objects that carry its annotations for that release);
    returns the equivalent kubectl command. ``pulumi import`` of the release is the other remedy, but it
    needs the CLI's Python language host, which the module proxy does not serve here."""
    name = re.search(r"Release \(([^)]+)\):", error)
    expect(name is not None, "the engine's error names no Helm release")
    records = api.core.list_secret_for_all_namespaces(label_selector="owner=helm").items
    expect(len(records) == 1, f"expected one Helm release record, found {len(records)}")
    record = records[0]
    namespace, release = record.metadata.namespace, record.metadata.labels["name"]
    api.core.delete_namespaced_secret(record.metadata.name, namespace)
    return f"kubectl delete secret -n {namespace} -l owner=helm,name={release}"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command name is in parentheses and may hold spaces: the parent follows the last ')'.
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def kill_engine() -> int:
    """SIGKILL this process's ``pulumi`` CLI and everything under it (the provider plugins)."""
    tree = _children()
    roots = [pid for pid in tree.get(os.getpid(), []) if Path(f"/proc/{pid}/comm").read_text().strip() == "pulumi"]
    victims, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        victims.append(pid)
        stack.extend(tree.get(pid, []))
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(victims)


def recover(engine: Engine, api: Api, attempts: int = 3) -> None:
    """``pulumi up`` until it succeeds, each failure answered with its remedy: a server-side apply
    conflict with a lost field manager by forcing conflicts, a Helm release in use by deleting the lost
    run's record of it."""
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        forced = f"{FORCE}=true " if FORCE in engine.stack.workspace.env_vars else ""
        try:
            engine.stack.up(color="never")
        except engine.auto.CommandError as error:
            text = str(error)
            conflicts = text.count("Server-Side Apply field conflict")
            print(f"recovery: {forced}pulumi up: failed after {time.monotonic() - started:.1f} s: {conflicts} objects "
                  f"in a field conflict with their lost field manager, Helm release in use: {RELEASE_IN_USE in text}",
                  flush=True)
            expect(attempt < attempts and (conflicts or RELEASE_IN_USE in text), "no known remedy for this failure")
            if conflicts:
                engine.stack.workspace.env_vars[FORCE] = "true"
            if RELEASE_IN_USE in text:
                print(f"recovery: {forget_release(api, text)}", flush=True)
            continue
        engine.stack.workspace.env_vars.pop(FORCE, None)
        print(f"recovery: {forced}pulumi up: {time.monotonic() - started:.1f} s, done", flush=True)
        return


def run(tenants: int, after: float) -> None:
    with bench_run(tenants) as bench:
        api, manifests, standin = bench.api, bench.manifests, bench.standin
        engine = Engine(bench.cluster.workdir, bench.box, bench.secrets, name=STACK)
        engine.skip_checkpoints()
        engine.configure(bench.document)

        failure: list[BaseException] = []
        def up() -> None:
            try:
                engine.stack.up(color="never")
            except BaseException as error:  # noqa: BLE001 - the crash is the point; it is reported below
                failure.append(error)
        thread = threading.Thread(target=up)
        thread.start()
        time.sleep(after)
        killed = kill_engine()
        thread.join()
        expect(bool(failure), f"the up ended within {after:.0f} s: nothing was interrupted; choose a shorter --after")
        print(f"crash: after {after:.0f} s, {killed} processes killed (the CLI and its plugins)", flush=True)

        in_state = engine.stack.export_stack().deployment.get("resources") or []
        live = [m for m in manifests if api.get(m) is not None]
        releases = api.core.list_secret_for_all_namespaces(label_selector="owner=helm").items
        print(f"    left behind: state {len(in_state)} resources; cluster {len(live)} of {len(manifests)} declared "
              f"Kubernetes objects, {len(releases)} Helm release records; Houston {len(standin.state.live())} "
              f"of {tenants} deployments", flush=True)

        try:
            engine.cli("stack", "export")
            print("    the stack is not locked", flush=True)
        except AssertionError as error:
            print(f"    {str(error).splitlines()[-1][:200]}", flush=True)
        try:
            engine.cli("cancel", "--yes")
            print("recovery: pulumi cancel: done", flush=True)
        except AssertionError as error:
            print(f"recovery: pulumi cancel: {str(error).strip().splitlines()[-1][:200]}", flush=True)

        recover(engine, api)
        engine.stack.preview(color="never", expect_no_changes=True)
        print("recovery: the next preview shows no change (--expect-no-changes)", flush=True)
        in_state = engine.stack.export_stack().deployment.get("resources") or []
        print(f"    state {len(in_state)} resources; Houston {len(standin.state.live())} deployments", flush=True)

        engine.stack.destroy(color="never")
        api.wait_gone(api.namespaces(), 600)
        left = [m for m in manifests if api.get(m) is not None]
        expect(not left, f"after destroy, {len(left)} declared objects are still there")
        expect(not standin.state.live(), f"after destroy, {len(standin.state.live())} Houston deployments remain")
        print("recovery: destroy leaves none of the declared objects and no Houston deployment", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--after", type=float, default=25.0, help="seconds into the up to crash it")
    args = parser.parse_args(argv)
    if args.tenants < 1 or args.after <= 0:
        parser.error("--tenants must be at least 1 and --after above 0")
    run(args.tenants, args.after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
