"""Validate stack files offline: ``python -m stackfile.check [--ci] Pulumi.dev.yaml [...]``.

Exit 0 when every file is valid; otherwise print each file's problems, one line each, and exit 1.
Secrets the files do not hold are assumed to be set per machine (they are never read here).

A secret stored in plain text in a stack file is reported. Locally that is a warning (a developer
may be mid-way through re-setting it); in CI (``--ci``, or the ``CI`` variable that CI services
set) it fails the check, because the file is about to be merged and is readable by everyone.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from config.errors import ConfigError, StackFileError
from config.secrets import SECRET_KEYS
from domain.registry_policy import is_mapping
from stackfile.read import document, validate_file


def plain_text_secrets(path: Path) -> list[str]:
    """The secret keys whose value in the stack file is not encrypted (not a ``secure:`` value)."""
    keys = document(path)
    return [key for key in SECRET_KEYS if key in keys and not (is_mapping(keys[key]) and set(keys[key]) == {"secure"})]


def _ci_from_environment() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def check(path: Path, ci: bool) -> int:
    try:
        config = validate_file(path)
        exposed = plain_text_secrets(path)
    except ConfigError as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    except StackFileError as error:
        # Already one line naming the file (and the line and column of a YAML error).
        print(error, file=sys.stderr)
        return 1
    for key in exposed:
        level = "error" if ci else "warning"
        print(f"{path}: {level}: {key} is stored in plain text; encrypt it with "
              f"`pulumi config set --secret {key}` and rotate it (it is in the file's history)", file=sys.stderr)
    if exposed and ci:
        return 1
    print(f"{path}: valid ({len(config.tenants)} tenants, chart {config.platform.chart_version})")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackfile.check", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="fail on plain-text secrets (default: when $CI is set)")
    parser.add_argument("paths", nargs="*", metavar="Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    if not args.paths:
        # Checking nothing must not look like a pass.
        parser.print_usage(sys.stderr)
        return 2
    ci = args.ci or _ci_from_environment()
    return max(check(Path(path), ci) for path in args.paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
