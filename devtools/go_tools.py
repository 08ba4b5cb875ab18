"""Build, once, the Go tools the project runs, from Go modules at pinned versions.

``python -m devtools.go_tools`` builds what the end-to-end test needs and is missing, and prints where
each binary is. Binaries are cached by version under
``${XDG_CACHE_HOME:-~/.cache}/astronomer-platform/tools/<tool>-<version>/``, so a second run builds
nothing. The wrapper modules in ``devtools/go/*/`` pin every dependency (go.mod and go.sum) and carry
the ``replace`` lines the upstream modules need.

The Kubernetes provider plugin is had the normal way first, ``pulumi plugin install resource
kubernetes <version>`` with the CLI built here, and built from its Go module only when that fails.

A tool that cannot be had here is reported as blocked (with each attempt's own error), not as a
failure: ``e2e.run`` then names every step that needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from devtools import system_packages
from devtools.cache import PROJECT_CACHE

WRAPPERS = Path(__file__).resolve().parent / "go"
CACHE = PROJECT_CACHE / "tools"

KUBERNETES_VERSION = "v1.35.4"
# The newest CLI the Go module proxy serves that is not older than the pinned Python SDK (3.272.0).
PULUMI_VERSION = "v3.277.0"
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
# The pinned Python SDK (4.34.2) asks the engine for plugin 4.34.2, which `pulumi plugin install`
# fetches on a user's machine. Where that download is refused, the provider is built from the one
# module version the Go module proxy serves here: a commit of 2026-01-15 just after SDK v4.24.0. It is
# stamped with its own pseudo-version, not relabelled, and reaches the engine as an ambient plugin on
# PATH (the engine prefers those and warns that it does: pulumi/pulumi#13607).
PROVIDER_RELEASE = "v4.34.2"
PROVIDER_VERSION = "v4.0.0-20260115033456-f47bc2d6f199"
PROVIDER_SDK_MODULE = "github.com/pulumi/pulumi-kubernetes/sdk/v4"
# The published SDK the pseudo-version's go.mod requires; upstream replaces it with the in-tree copy.
PROVIDER_SDK_VERSION = "v4.24.0"
# A refused download fails at once; this only bounds a network that does not answer.
PLUGIN_INSTALL_TIMEOUT = 120



@dataclass(frozen=True)
class Tool:
    name: str
    version: str
    package: str
    wrapper: str  # its wrapper module: a directory under devtools/go
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

# The NetworkPolicy enforcer of the end-to-end test's node (no wrapper module: see _build_network_policies).
NETWORK_POLICIES = Tool("kube-network-policies", "v0.8.0", "sigs.k8s.io/kube-network-policies/cmd", "")
TOOLS = (
    Tool("kube-apiserver", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-apiserver", "kubernetes", _KUBE_LDFLAGS),
    Tool("kube-controller-manager", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-controller-manager", "kubernetes",
         _KUBE_LDFLAGS),
    Tool("kube-scheduler", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-scheduler", "kubernetes", _KUBE_LDFLAGS),
    Tool("kubelet", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kubelet", "kubernetes", _KUBE_LDFLAGS),
    Tool("kube-proxy", KUBERNETES_VERSION, "k8s.io/kubernetes/cmd/kube-proxy", "kubernetes", _KUBE_LDFLAGS),
    NETWORK_POLICIES,
    # Without the version stamped in, `pulumi version` prints nothing and the Automation API
    # cannot check it.
    Tool("pulumi", PULUMI_VERSION, "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", "pulumi",
         ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI_VERSION}"),
)
# Image vetting's copy tool and the Helm that lists the chart's images (vetting/tools.py builds them on
# demand, not the end-to-end test).
VETTING_TOOLS = (
    Tool("regctl", "v0.11.7", "github.com/regclient/regclient/cmd/regctl", "regctl"),
    Tool("helm", "v3.17.3", "helm.sh/helm/v3/cmd/helm", "helm",
         ldflags="-X helm.sh/helm/v3/internal/version.version=v3.17.3"),
)
# The release `pulumi plugin install` brings, and the build from the served module (no wrapper module:
# see _build_provider). Either one, cached, serves the engine.
PROVIDER_RELEASED = Tool("pulumi-resource-kubernetes", PROVIDER_RELEASE,
                         f"{PROVIDER_MODULE}/cmd/pulumi-resource-kubernetes", "")
PROVIDER_BUILT = Tool("pulumi-resource-kubernetes", PROVIDER_VERSION, PROVIDER_RELEASED.package, "",
                      ldflags=f"-X {PROVIDER_MODULE}/pkg/version.Version={PROVIDER_VERSION.removeprefix('v')}")
PROVIDERS = (PROVIDER_RELEASED, PROVIDER_BUILT)


class BlockedError(Exception):
    """A tool that cannot be had on this machine; the message says why."""


def _go(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(["go", *args], cwd=cwd, env={**os.environ, **(env or {})},
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BlockedError(f"`go {' '.join(args[:2])} ...` failed: {result.stderr.strip()[-1500:]}")


def _build(tool: Tool, module_dir: Path, *flags: str) -> float:
    """``go build`` one tool into its cache directory (atomically); returns the seconds it took."""
    started = time.monotonic()
    tool.path.parent.mkdir(parents=True, exist_ok=True)
    partial = tool.path.with_suffix(".partial")
    args = ["build", "-trimpath", *flags, "-o", str(partial)]
    if tool.ldflags:
        args.append(f"-ldflags={tool.ldflags}")
    _go([*args, tool.package], cwd=module_dir)
    partial.replace(tool.path)
    return time.monotonic() - started


def _build_wrapped(tool: Tool) -> float:
    module_dir = WRAPPERS / tool.wrapper
    # The cache is keyed by the version named here: it must be the one the wrapper module pins.
    if not re.search(rf" {re.escape(tool.version)}( |$)", (module_dir / "go.mod").read_text(), re.M):
        raise SystemExit(f"{module_dir / 'go.mod'} does not pin {tool.name} at {tool.version}")
    return _build(tool, module_dir)


@contextlib.contextmanager
def _module_copy(module: str, version: str) -> Generator[Path]:
    """A writable copy of ``module@version`` as the Go module proxy serves it, for a build that must
    change or generate files in the module itself; removed afterwards."""
    download = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True)
    info = json.loads(download.stdout or "{}")
    if download.returncode != 0 or "Dir" not in info:
        raise BlockedError(f"the Go module proxy does not serve {module}@{version}: "
                           f"{info.get('Error') or download.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="go-module-") as tmp:
        copy = Path(tmp) / "module"
        shutil.copytree(info["Dir"], copy)
        copy.chmod(0o755)
        for path in copy.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield copy


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` exactly ``count`` times: a module that changed under a pinned version fails here."""
    text = path.read_text()
    if text.count(old) != count:
        raise BlockedError(f"{path.name}: expected {count} of {old[:60]!r}, found {text.count(old)}")
    path.write_text(text.replace(old, new))


def _build_provider() -> float:
    """The Kubernetes provider, from a copy of its own module.

    Its main package embeds files its build generates (the versioned schema, not in the module
    zip), so it cannot be built as a dependency of a wrapper module: generate those files in a copy
    with the module's own generator, and build the copy with upstream's go.mod, whose one replace (the
    in-repository SDK) becomes the published SDK that go.mod requires. ``-mod=mod``: the replaced SDK
    has no go.sum lines in the copy until the build adds them.
    """
    started = time.monotonic()
    with _module_copy(PROVIDER_MODULE, PROVIDER_VERSION) as copy:
        _go(["mod", "edit", f"-replace={PROVIDER_SDK_MODULE}={PROVIDER_SDK_MODULE}@{PROVIDER_SDK_VERSION}"],
            cwd=copy)
        _go(["mod", "download"], cwd=copy)
        version = PROVIDER_VERSION.removeprefix("v")
        _go(["generate", "./cmd/pulumi-resource-kubernetes"], cwd=copy, env={"VERSION": version})
        _build(PROVIDER_BUILT, copy, "-mod=mod")
    return time.monotonic() - started


# The NFQUEUE target of xtables, through nft's compatibility layer: rule for rule what nft's `queue`
# expression does, for kernels built without nft_queue (these machines'), where the expression fails to
# load and the enforcer silently lets everything through. Info is struct xt_NFQ_info_v3 (queue number,
# number of queues, flags; NFQ_FLAG_BYPASS is 1), padded to 8 bytes as xtables aligns it.
_XT_QUEUE = """package networkpolicy

import (
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

func xtQueue(num uint16, bypass bool) *expr.Target {
	flags := uint16(0)
	if bypass {
		flags = 1
	}
	info := xt.Unknown(append(append(append(binaryutil.NativeEndian.PutUint16(num),
		binaryutil.NativeEndian.PutUint16(1)...), binaryutil.NativeEndian.PutUint16(flags)...), 0, 0))
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}
"""


def _build_network_policies() -> float:
    """kube-network-policies, the NetworkPolicy enforcer kind ships, with two changes to a copy of its
    module: packets reach user space through the xtables NFQUEUE target (``_XT_QUEUE``), and a
    ``--kubeconfig`` flag lets it run as a process on the node rather than only as a pod."""
    started = time.monotonic()
    with _module_copy(NETWORK_POLICIES.package.removesuffix("/cmd"), NETWORK_POLICIES.version) as copy:
        package = copy / "pkg" / "networkpolicy"
        (package / "xt_queue.go").write_text(_XT_QUEUE)
        fail_open = ("\tqueue := &expr.Queue{Num: uint16(c.config.QueueID)}\n\tif c.config.FailOpen {\n"
                     "\t\tqueue.Flag = expr.QueueFlagBypass\n\t}")
        _edit(package / "controller.go", fail_open,
              "\tqueue := xtQueue(uint16(c.config.QueueID), c.config.FailOpen)", 2)
        _edit(package / "dnsagent.go", "&expr.Queue{Num: uint16(n.nfQueueID), Flag: expr.QueueFlagBypass}",
              "xtQueue(uint16(n.nfQueueID), true)")
        main = copy / "cmd" / "main.go"
        _edit(main, "\tdisableNRI                 bool\n", "\tdisableNRI                 bool\n\tkubeconfig string\n")
        _edit(main, "\tflag.BoolVar(&disableNRI,",
              '\tflag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster)")\n'
              "\tflag.BoolVar(&disableNRI,")
        _edit(main, "config, err := rest.InClusterConfig()",
              "config, err := clientcmd.BuildConfigFromFlags(\"\", kubeconfig)")
        _edit(main, '\t"k8s.io/client-go/rest"\n', '\t"k8s.io/client-go/tools/clientcmd"\n')
        _build(NETWORK_POLICIES, copy, "-mod=mod")
    return time.monotonic() - started


def _install_provider(pulumi: Path | None) -> float:
    """The released provider the normal way: ``pulumi plugin install``, into a throw-away
    PULUMI_HOME, then copied to its cache path."""
    version = PROVIDER_RELEASE.removeprefix("v")
    command = ["plugin", "install", "resource", "kubernetes", version]
    if pulumi is None:
        raise BlockedError(f"no pulumi CLI to run `pulumi {' '.join(command)}`")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="e2e-pulumi-home-") as home:
        env = {**os.environ, "PULUMI_HOME": home, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        try:
            result = subprocess.run([str(pulumi), *command], env=env, capture_output=True, text=True,
                                    timeout=PLUGIN_INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BlockedError(f"`pulumi {' '.join(command)}` did not finish in {PLUGIN_INSTALL_TIMEOUT} s") from None
        if result.returncode != 0:
            # The CLI retries a failed download itself (5 times, in about 3 s): say each cause once.
            causes = dict.fromkeys(x for x in result.stderr.splitlines() if x.startswith(("warning:", "error:")))
            raise BlockedError(f"`pulumi {' '.join(command)}` failed: "
                               f"{' / '.join(causes) or result.stderr.strip()[-1500:]}")
        installed = Path(home) / "plugins" / f"resource-kubernetes-v{version}" / PROVIDER_RELEASED.name
        PROVIDER_RELEASED.path.parent.mkdir(parents=True, exist_ok=True)
        partial = PROVIDER_RELEASED.path.with_suffix(".partial")
        shutil.copy2(installed, partial)
        partial.replace(PROVIDER_RELEASED.path)
    return time.monotonic() - started


@dataclass
class Toolbox:
    paths: dict[str, Path]  # tool name -> binary
    blocked: dict[str, str]  # tool name -> why it cannot be had here (each attempt)



def _ways(tool: Tool, box: Toolbox) -> list[tuple[str, Callable[[], float]]]:
    """How to get ``tool``, in the order to try them."""
    if tool is NETWORK_POLICIES:
        return [("build from a changed copy", _build_network_policies)]
    if tool in PROVIDERS:
        return [(f"pulumi plugin install {PROVIDER_RELEASE}", lambda: _install_provider(box.paths.get("pulumi"))),
                (f"build {PROVIDER_VERSION} from source", _build_provider)]
    return [("build", lambda: _build_wrapped(tool))]


def obtain(tool: Tool, box: Toolbox) -> str | None:
    """Try each way to get ``tool`` until one works, printing progress and timing: None, or why none did."""
    failures: list[str] = []
    for way, obtain in _ways(tool, box):
        print(f"{tool.name}: {way} (cached afterwards under {CACHE})", flush=True)
        try:
            seconds = obtain()
        except BlockedError as error:
            print(f"{tool.name}: {way} failed", flush=True)
            failures.append(f"{way}: {error}")
            continue
        print(f"{tool.name}: {way} done in {seconds:.0f} s", flush=True)
        return None
    return " | ".join(failures)


def ensure_tools() -> Toolbox:
    system_packages.ensure()
    box = Toolbox(paths={"etcd": Path(shutil.which("etcd") or "etcd")}, blocked={})
    for tool in TOOLS:  # the CLI first: it may install the provider
        reason = None if tool.path.is_file() else obtain(tool, box)
        if reason is None:
            box.paths[tool.name] = tool.path
        else:
            box.blocked[tool.name] = reason
    if not any(provider.path.is_file() for provider in PROVIDERS):
        reason = obtain(PROVIDER_RELEASED, box)
        if reason is not None:
            box.blocked[PROVIDER_RELEASED.name] = reason
            return box
    # The release where it could be installed, otherwise the build.
    box.paths[PROVIDER_RELEASED.name] = next(p.path for p in PROVIDERS if p.path.is_file())
    return box


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description="Build, once, the binaries the end-to-end test runs.").parse_args(argv)
    box = ensure_tools()
    for name, path in box.paths.items():
        print(f"{name}: {path}")
    for name, reason in box.blocked.items():
        print(f"{name}: BLOCKED: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
