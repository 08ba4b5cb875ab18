"""Validate stack files offline: ``python -m config.check Pulumi.dev.yaml [...]``.

Exit 0 when every file is valid; otherwise print each file's problems, one line each, and exit 1.
Secrets the files do not hold are assumed to be set per machine (they are never read here).
"""

from __future__ import annotations

import sys
from pathlib import Path

from config.errors import ConfigError, StackFileError
from config.stack_file import validate_file


def main(paths: list[str]) -> int:
    if not paths:
        # Checking nothing must not look like a pass.
        print("usage: python -m config.check Pulumi.<stack>.yaml [...]", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            config = validate_file(Path(path))
        except ConfigError as error:
            print(f"{path}: {error}", file=sys.stderr)
            status = 1
        except StackFileError as error:
            # Already one line naming the file (and the line and column of a YAML error).
            print(error, file=sys.stderr)
            status = 1
        else:
            print(f"{path}: valid ({len(config.tenants)} tenants, chart {config.platform.chart_version})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
