"""A stack made by another commit, then previewed and destroyed by this tree, under the real engine:
the proof that a change keeps every live resource (no replacement, no deletion, no re-creation).

``make e2e E2E_ARGS="--upgrade-from <git ref>"`` checks the ref out into a git worktree in the run's
temporary directory and runs that tree's own e2e program and e2e config (``e2e.program.program`` and
``e2e.run.e2e_document`` of that commit, in a child process with the tree first on ``PYTHONPATH``) for
``pulumi up`` of a stack of its own on the same control plane and backend. This tree then previews the
stack with its own program and config, and destroys it. The worktree is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from devtools import go_tools
from e2e.cluster import Cluster
from e2e.harness import Api, CheckFailedError, Report, expect
from e2e.stack import HOUSTON, REGISTRY, ROOT, TEST_CHART, Engine, e2e_document

STACK = "upgrade"
# Operations that would lose or rebuild a live object.
LOSSY = frozenset({"create", "delete", "replace", "create-replacement", "delete-replaced", "discard",
                   "discard-replaced", "import-replacement"})

# Run in the base tree (its e2e package; the harness's API of that commit): its stack config ...
_DOCUMENT = """
import json, sys
from pathlib import Path
from e2e import run
request = json.load(sys.stdin)
run.HOUSTON["url"] = request["houston"]
# The registry standing in for Artifactory, where the base has it: image references then differ only by the change.
if hasattr(run, "REGISTRY"):
    run.REGISTRY["host"] = request["registry"]
json.dump(run.e2e_document(Path(request["kubeconfig"])), sys.stdout)
"""
# ... and its `pulumi up`, inline, of the stack this tree created.
_UP = """
import json, sys
from pulumi import automation as auto
from e2e.program import program
request = json.load(sys.stdin)
stack = auto.select_stack(request["stack"], project_name=request["project"], program=program,
                          opts=auto.LocalWorkspaceOptions(work_dir=request["work_dir"], env_vars=request["env"]))
result = stack.up(color="never", on_output=lambda line: print("    base:", line.rstrip(), flush=True))
print("RESULT", json.dumps({k: v for k, v in (result.summary.resource_changes or {}).items()}), flush=True)
"""


def _in_tree(tree: Path, code: str, request: dict[str, Any]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, input=json.dumps(request),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckFailedError(f"the base tree failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def steps(report: Report, box: go_tools.Toolbox, api: Api, cluster: Cluster, secrets: dict[str, str],
          ref: str) -> None:
    tree = cluster.workdir / "base-tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), ref], cwd=ROOT, check=True)
    try:
        with report.step(f"upgrade: pulumi up with {ref}"):
            engine = Engine(cluster.workdir, box, secrets, name=STACK)
            base = json.loads(_in_tree(tree, _DOCUMENT, {"houston": HOUSTON["url"], "registry": REGISTRY["host"],
                                                         "kubeconfig": str(cluster.kubeconfig)}))
            # The stand-in chart is the harness's, not the program's: both trees install this one.
            base["platform"]["chartPath"] = str(TEST_CHART)
            engine.configure(base)
            # The base's dynamic provider must load the base's classes: its tree first on PYTHONPATH.
            env = {**engine.env, "PYTHONPATH": os.pathsep.join([str(tree), engine.env["PYTHONPATH"]])}
            output = _in_tree(tree, _UP, {"stack": STACK, "project": engine.stack.workspace.project_settings().name,
                                          "work_dir": str(engine.project), "env": env})
            print(output, end="")
            changes = json.loads(next(x for x in reversed(output.splitlines()) if x.startswith("RESULT "))[7:])
            expect(set(changes) == {"create"}, f"the base's first up only creates: {changes}")
        with report.step("upgrade: this tree's preview keeps every resource"):
            engine.configure(e2e_document(cluster.kubeconfig))
            summary, ops = engine.preview_ops()
            lossy = [(op, urn) for op, urn in ops if op in LOSSY]
            print(f"    change summary: {summary}")
            for op, urn in ops:
                print(f"    {op}: {urn}")
            expect(not lossy, f"the preview would lose or rebuild {len(lossy)} resources: {lossy[:10]}")
        with report.step("upgrade: this tree destroys the base's stack"):
            engine.cli("state", "unprotect", "--all", "--yes")
            engine.stack.destroy(color="never")
            resources = engine.stack.export_stack().deployment.get("resources") or []
            expect(not resources, f"{len(resources)} resources left in the state")
            api.wait_gone(api.namespaces())
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
