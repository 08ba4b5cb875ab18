"""Write a tenant's local development kit: ``python -m tenant_kit --tenant finance [--stack dev] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.errors import ConfigError, StackFileError
from devtools.owned import OwnershipError
from stackfile.read import validate_file
from tenant_kit.deploy_targets import read_targets, stack_targets
from tenant_kit.errors import KitError
from tenant_kit.manifest import FROM_PLATFORM, write_kit
from tenant_kit.project import find_tenant, kit_files, kit_path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenant", required=True, help="the tenant's name in the stack's tenants list")
    parser.add_argument("--stack", default="dev", help="the stack whose Pulumi.<stack>.yaml to read (default dev)")
    parser.add_argument("--out", type=Path, help="default: build/tenant-kit/<stack>/<tenant>")
    parser.add_argument("--targets", type=Path, help="the deploy targets as make deploy-targets prints them (default: "
                        "every committed stack with the tenant, ids left for deploy-targets to fill)")
    parser.add_argument("--force", action="store_true",
                        help="replace kit files the team changed, instead of writing <file>.from-platform beside them")
    args = parser.parse_args(argv)
    path = ROOT / f"Pulumi.{args.stack}.yaml"
    out: Path = args.out or kit_path(ROOT, args.stack, args.tenant)
    try:
        config = validate_file(path)
        targets = read_targets(args.targets) if args.targets else stack_targets(args.tenant)
        result = write_kit(out, kit_files(config, find_tenant(config, args.tenant), targets), args.force)
    except (StackFileError, KitError, OwnershipError) as error:
        print(f"tenant-kit: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"{path.name}: {error}", file=sys.stderr)
        return 1
    print(f"tenant kit for {args.tenant} ({args.stack}) in {out}: {len(result.written)} written, "
          f"{len(result.unchanged)} unchanged" + (f", {len(result.removed)} removed" if result.removed else ""))
    if result.kept:
        print(f"kept your changes to {', '.join(result.kept)}")
    for offered in result.offered:
        print(f"  the stack changed {offered.removesuffix(FROM_PLATFORM)}: its new version is {out / offered}; merge "
              "it into yours and delete it (or FORCE=1 / --force to take it as it is)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
