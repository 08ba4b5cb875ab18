"""Run the real program in-process under Pulumi's mock engine and record what it declares.

Used by the tests, the offline render and the benchmark. Nothing here talks to a cluster, a
backend or a registry.
"""

from __future__ import annotations

import asyncio
import runpy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from config.loader import PROJECT

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
SECRET = "[secret]"


@dataclass(frozen=True)
class Registration:
    """One resource registration as the engine received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: tuple[str, ...]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    inputs: dict[str, Any]  # secrets still wrapped; see redact()


def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def _plain(value: Any, in_secret: Callable[[Any], Any]) -> Any:
    """The wire value as plain data, with ``in_secret`` applied to what each secret holds."""
    if rpc.is_rpc_secret(value):
        return in_secret(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v, in_secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, in_secret) for v in value]
    # The wire format carries every number as a double: 53 arrives as 53.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _mask(value: Any) -> Any:
    # A secret mapping keeps its keys (a Secret's stringData names its entries; the values stay
    # hidden), so a render is still a valid manifest.
    return {k: _mask(v) for k, v in value.items()} if isinstance(value, dict) else SECRET


def redact(value: Any) -> Any:
    """The value with every secret replaced by ``[secret]`` (and whole numbers as integers)."""
    return _plain(value, lambda secret: _mask(reveal(secret)))


def reveal(value: Any) -> Any:
    """The value with secrets unwrapped (for assertions on what a secret holds)."""
    return _plain(value, reveal)


class _Mocks(pulumi.runtime.Mocks):
    """Echoes inputs as outputs, plus the few computed outputs the program reads."""

    def __init__(self) -> None:
        self.local = threading.local()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.local.inputs = args.inputs
        state = dict(args.inputs)
        if args.typ == "kubernetes:helm.sh/v3:Release":
            state["status"] = {"status": "deployed", "name": args.inputs.get("name"), "version": 1}
        elif args.typ == "docker:index/image:Image":
            state["repoDigest"] = f"{rpc.unwrap_rpc_secret(args.inputs.get('imageName'))}@sha256:{'0' * 64}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[Registration] = []
        self.duplicates: list[str] = []
        self._urns: set[str] = set()
        self._lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = self.mocks.local.inputs
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            dependencies=tuple(request.dependencies),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=tuple(request.ignoreChanges),
            inputs=inputs,
        )
        with self._lock:
            # The real engine rejects a duplicate URN; the mock engine accepts it silently.
            if registration.urn in self._urns:
                self.duplicates.append(registration.urn)
            self._urns.add(registration.urn)
            self.recorded.append(registration)
        return response


class DuplicateUrnError(AssertionError):
    pass


@dataclass
class Recording:
    resources: list[Registration]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.resources}

    def kubernetes_objects(self) -> list[Registration]:
        return [r for r in self.resources if r.custom and r.type.startswith("kubernetes:") and "helm.sh" not in r.type]


def run(
    config: dict[str, str],
    secret_keys: list[str],
    stack: str = "dev",
    program: Callable[[], Any] | None = None,
) -> Recording:
    """Run ``program`` (default: the real ``__main__.py``) under mocks with the given config.

    Each run gets a fresh event loop, its own config (nothing leaks from an earlier run), and
    ``preview=False`` so every output resolves and every ``apply`` runs.
    """
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    mocks = _Mocks()
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    outputs: dict[str, Any] = {}
    real_export = pulumi.export

    def export(name: str, value: Any) -> None:
        outputs[name] = value
        real_export(name, value)

    def body():
        pulumi.export = export
        try:
            (program or (lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))()
        finally:
            pulumi.export = real_export
        return pulumi.Output.from_input(outputs)

    resolved: dict[str, Any] = {}
    try:
        pulumi.runtime.test(lambda: body().apply(resolved.update))()
    except Exception as error:
        # What was registered before the failure (nothing, for a config error).
        error.recording = Recording(resources=list(monitor.recorded))
        raise
    if monitor.duplicates:
        raise DuplicateUrnError(f"duplicate URNs registered: {sorted(set(monitor.duplicates))}")
    return Recording(resources=list(monitor.recorded), outputs=resolved)
