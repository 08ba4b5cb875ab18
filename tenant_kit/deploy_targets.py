"""Where a tenant's pipeline deploys, per stack: Houston, the base domain the Astro CLI logs in to, the
deployment's release name, and the workspace and deployment ids Houston gave it.

The ids exist only once ``pulumi up`` made the deployment: they are read from the stack's outputs
(``airflowDeployments``, ``houstonUrl``). ``python -m tenant_kit.deploy_targets --tenant finance`` prints them
for every stack as JSON (``make deploy-targets``); the kit writes them into the pipeline.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

from pydantic import TypeAdapter

from config.errors import ConfigError, StackFileError
from config.stack import StackConfig
from stackfile.read import validate_file
from tenant_kit.errors import KitError
from tenant_kit.pipeline import UNKNOWN_ID, DeployTarget
from tenant_kit.project import find_tenant

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")
_TARGETS: TypeAdapter[dict[str, DeployTarget]] = TypeAdapter(dict[str, DeployTarget])


@functools.cache
def _stack_config(path: Path) -> StackConfig:
    # Validated once per run: the kit commands ask for every tenant of every stack.
    return validate_file(path)


def target(stack: str, tenant: str, outputs: Mapping[str, Any] | None, root: Path = ROOT) -> DeployTarget:
    """The stack's target for ``tenant``: names from the stack file, ids from ``outputs`` (None: not deployed)."""
    config = _stack_config(root / f"Pulumi.{stack}.yaml")
    found = find_tenant(config, tenant)
    deployments = cast(Mapping[str, Mapping[str, Any]], (outputs or {}).get("airflowDeployments") or {})
    deployed: Mapping[str, Any] = deployments.get(tenant) or {}
    if outputs is not None and not deployed:
        raise KitError(f"stack {stack} has no deployment of {tenant} in its outputs: run pulumi up first")
    return DeployTarget(stack, config.houston_url, config.platform.base_domain, found.release_name,
                        found.dags.deploy, str(deployed.get("workspaceId") or UNKNOWN_ID),
                        str(deployed.get("deploymentId") or UNKNOWN_ID))


def stack_targets(tenant: str, root: Path = ROOT) -> dict[str, DeployTarget]:
    """Every committed stack that has ``tenant``, with names only (ids unknown until deployed)."""
    targets: dict[str, DeployTarget] = {}
    for stack in STACKS:
        try:
            targets[stack] = target(stack, tenant, None, root)
        except KitError:
            continue  # the tenant is not in this stack
    return targets


def read_targets(path: Path) -> dict[str, DeployTarget]:
    """Targets as ``main`` printed them."""
    try:
        return _TARGETS.validate_json(path.read_text())
    except (OSError, ValueError) as error:  # pydantic's ValidationError is a ValueError
        raise KitError(f"{path}: not the JSON make deploy-targets prints ({str(error).splitlines()[0]})") from error


def stack_outputs(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """``pulumi stack output --json`` of ``stack`` (the backend the CLI is logged in to)."""
    try:
        result = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack], cwd=root,
                                capture_output=True, text=True)
    except FileNotFoundError as error:
        raise KitError("the pulumi CLI is not on PATH (the stacks' outputs are read with it, logged in to their "
                       "backend)") from error
    if result.returncode != 0:
        raise KitError(f"pulumi stack output --stack {stack} failed: {result.stderr.strip()[-500:]}")
    return cast(dict[str, Any], json.loads(result.stdout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a tenant's deploy targets, per stack, as JSON.")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--stack", action="append", help=f"a stack (default: {', '.join(STACKS)})")
    parser.add_argument("--outputs", type=Path, action="append", default=[],
                        help="<stack>=<file>: that stack's outputs as `pulumi stack output --json` printed them")
    args = parser.parse_args(argv)
    saved = {name: Path(file) for name, _, file in (str(item).partition("=") for item in args.outputs)}
    try:
        targets: dict[str, Any] = {}
        for stack in args.stack or STACKS:
            target(stack, args.tenant, None)  # the tenant is in the stack file, before asking the backend
            outputs = json.loads(saved[stack].read_text()) if stack in saved else stack_outputs(stack)
            targets[stack] = asdict(target(stack, args.tenant, outputs))
    except (KitError, StackFileError, OSError, ValueError) as error:
        print(f"deploy-targets: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"deploy-targets: {error}", file=sys.stderr)
        return 1
    print(json.dumps(targets, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
