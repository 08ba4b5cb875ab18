"""Build, once, the binaries the end-to-end test runs, from Go modules at pinned versions.

``python -m e2e.build_tools`` builds what is missing and prints where each binary is. Binaries are
cached by version under ``${XDG_CACHE_HOME:-~/.cache}/astronomer-platform/e2e/<tool>-<version>/``,
so a second run builds nothing. The wrapper modules in ``e2e/tools/*/`` pin every dependency
(go.mod and go.sum) and carry the ``replace`` lines the upstream modules need.

A tool that cannot be built here is reported as blocked (with go's own error), not as a failure:
``e2e.run`` then runs every step that does not need it and names the ones that do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent / "tools"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "astronomer-platform" / "e2e"

KUBERNETES_VERSION = "v1.35.4"
# The Python SDK is pinned at 3.272.0, but the Go module proxy serves pkg/v3 source only up to
# v3.259.0 (v3.260.0 and later answer 403): the CLI is the newest one that can be built here.
PULUMI_VERSION = "v3.259.0"
# The same version as the pinned pulumi-kubernetes Python SDK: the SDK asks the engine for it.
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
PROVIDER_VERSION = "v4.34.2"
PROVIDER_SDK_MODULE = "github.com/pulumi/pulumi-kubernetes/sdk/v4"


@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    package: str
    wrapper: str  # directory under e2e/tools
    ldflags: str = ""

    @property
    def path(self) -> Path:
        return CACHE / f"{self.name}-{self.version}" / self.name


# Kubernetes stamps its version at link time (hack/lib/version.sh); unstamped, /version says
# v0.0.0-master, and clients that check the server version (Helm, the provider) would see that.
_MAJOR, _MINOR = KUBERNETES_VERSION.removeprefix("v").split(".")[:2]
_KUBE_LDFLAGS = " ".join(
    f"-X {package}.{name}={value}"
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
    for name, value in (("gitVersion", KUBERNETES_VERSION), ("gitMajor", _MAJOR), ("gitMinor", _MINOR),
                        ("gitTreeState", "clean"))
)

TOOLS = (
    Tool("kube-apiserver", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-apiserver", "kubernetes", _KUBE_LDFLAGS),
    Tool("kube-controller-manager", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-controller-manager", "kubernetes",
         _KUBE_LDFLAGS),
    # Without the version stamped in, `pulumi version` prints nothing and the Automation API
    # cannot check it.
    Tool("pulumi", PULUMI_VERSION, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", "pulumi",
         ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}"),
)
# No wrapper module: see _build_provider.
PROVIDER = Tool("pulumi-resource-kubernetes", PROVIDER_VERSION, f"{PROVIDER_MODULE}/cmd/pulumi-resource-kubernetes",
                "", ldflags=f"-X {PROVIDER_MODULE}/pkg/version.Version={PROVIDER_VERSION.removeprefix('v')}")


class BlockedError(Exception):
    """A tool that cannot be had on this machine; the message says why."""


def _go(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(["go", *args], cwd=cwd, env={**os.environ, **(env or {})},
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BlockedError(f"`go {' '.join(args[:2])} ...` failed: {result.stderr.strip()[-1500:]}")


def _build(tool: Tool, module_dir: Path) -> float:
    """``go build`` one tool into its cache directory (atomically); returns the seconds it took."""
    started = time.monotonic()
    tool.path.parent.mkdir(parents=True, exist_ok=True)
    partial = tool.path.with_suffix(".partial")
    args = ["build", "-trimpath", "-o", str(partial)]
    if tool.ldflags:
        args.append(f"-ldflags={tool.ldflags}")
    _go([*args, tool.package], cwd=module_dir)
    partial.replace(tool.path)
    return time.monotonic() - started


def _build_wrapped(tool: Tool) -> float:
    module_dir = TOOLS_DIR / tool.wrapper
    # The cache is keyed by the version named here: it must be the one the wrapper module pins.
    if not re.search(rf" {re.escape(tool.version)}( |$)", (module_dir / "go.mod").read_text(), re.M):
        raise SystemExit(f"{module_dir / 'go.mod'} does not pin {tool.name} at {tool.version}")
    return _build(tool, module_dir)


def _build_provider() -> float:
    """The Kubernetes provider, from a copy of its own module.

    Its main package embeds files its build generates (the versioned schema, not in the module
    zip), so it cannot be built as a dependency of a wrapper module: download the module, generate
    those files in a copy with the module's own generator, and build the copy with upstream's
    go.mod, whose one replace (the in-repository SDK) becomes the published SDK at the same version.
    """
    started = time.monotonic()
    download = subprocess.run(["go", "mod", "download", "-json", f"{PROVIDER_MODULE}@{PROVIDER_VERSION}"],
                              capture_output=True, text=True)
    info = json.loads(download.stdout or "{}")
    if download.returncode != 0 or "Dir" not in info:
        raise BlockedError(f"the Go module proxy does not serve {PROVIDER_MODULE}@{PROVIDER_VERSION}: "
                           f"{info.get('Error') or download.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="e2e-provider-") as tmp:
        copy = Path(tmp) / "provider"
        shutil.copytree(info["Dir"], copy)
        copy.chmod(0o755)
        for path in copy.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        _go(["mod", "edit", f"-replace={PROVIDER_SDK_MODULE}={PROVIDER_SDK_MODULE}@{PROVIDER_VERSION}"], cwd=copy)
        _go(["mod", "download"], cwd=copy)
        version = PROVIDER_VERSION.removeprefix("v")
        _go(["generate", "./cmd/pulumi-resource-kubernetes"], cwd=copy, env={"VERSION": version})
        _build(PROVIDER, copy)
    return time.monotonic() - started


@dataclass
class Toolbox:
    paths: dict[str, Path]  # tool name -> binary
    blocked: dict[str, str]  # tool name -> why it cannot be built here


def ensure_etcd() -> Path:
    """etcd from Debian's etcd-server, installed if missing (the machines run as root)."""
    found = shutil.which("etcd")
    if found:
        return Path(found)
    if os.geteuid() != 0:
        raise SystemExit("etcd is missing: install Debian's etcd-server (apt-get install etcd-server)")
    quiet = {"stdout": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "etcd-server"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, **quiet)
    return Path(shutil.which("etcd") or "/usr/bin/etcd")


def ensure_tools() -> Toolbox:
    box = Toolbox(paths={"etcd": ensure_etcd()}, blocked={})
    for tool in (*TOOLS, PROVIDER):
        if not tool.path.is_file():
            print(f"building {tool.name} {tool.version} (cached afterwards in {tool.path.parent})", flush=True)
            try:
                seconds = _build_provider() if tool is PROVIDER else _build_wrapped(tool)
            except BlockedError as error:
                box.blocked[tool.name] = str(error)
                continue
            print(f"built {tool.name} {tool.version} in {seconds:.0f} s", flush=True)
        box.paths[tool.name] = tool.path
    return box


def main() -> int:
    box = ensure_tools()
    for name, path in box.paths.items():
        print(f"{name}: {path}")
    for name, reason in box.blocked.items():
        print(f"{name}: BLOCKED: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
