"""Write every tenant's pipeline of every committed stack into one directory, for actionlint (``make lint``):
``python -m tenant_kit.workflows <directory>`` writes ``<stack>-<tenant>.yml``."""

from __future__ import annotations

import sys
from pathlib import Path

from stackfile.read import validate_file
from tenant_kit.deploy_targets import ROOT, STACKS, stack_targets
from tenant_kit.pipeline import WORKFLOW_PATH
from tenant_kit.project import kit_files


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tenant_kit.workflows <directory>", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for stack in STACKS:
        config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
        for tenant in config.tenants:
            files = kit_files(config, tenant, stack_targets(tenant.name))
            (out / f"{stack}-{tenant.name}.yml").write_text(files[WORKFLOW_PATH])
    return 0


if __name__ == "__main__":
    sys.exit(main())
