"""Run the real program in-process under Pulumi's mock engine and record what it declares.

Used by the tests, the offline render and the benchmark. Nothing here talks to a cluster, a
backend or a registry.

``redact`` writes each secret as ``[secret <fingerprint>]``: 12 hex digits of a sha256 over the
secret's wire value, so a render shows *that* a secret changed. In the offline render a wire value
is built only from the stack file's placeholders (``stackfile.read``: a fingerprint of the
committed ciphertext, or ``[secret]`` for one set per machine), so no plaintext enters the hash. A
stack file holding a secret in plain text (the tests' fixtures) is hashed too, behind a fixed prefix
so the fingerprint matches no plain hash of the value; such a file exposes the secret already, and
``stackfile.check`` reports it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import alias_pb2, resource_pb2

from config.validation import PROJECT
from standins.resource_types import IMAGE_TYPE, RELEASE_TYPE

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
# Domain separation: a fingerprint is never the plain sha256 of a value (see the module docstring).
FINGERPRINT_PREFIX = b"astronomer-platform offline secret\n"

# One alias as the request carried it: the spec fields that were set (name, type, stack, project,
# parentUrn, noParent), or {"urn": ...} for an alias given as a URN.
Alias = Mapping[str, str | bool]


def _alias(alias: alias_pb2.Alias) -> Alias:
    if alias.WhichOneof("alias") == "urn":
        return {"urn": alias.urn}
    spec = alias.spec
    fields: dict[str, str | bool] = {"name": spec.name, "type": spec.type, "stack": spec.stack,
                                     "project": spec.project, "parentUrn": spec.parentUrn, "noParent": spec.noParent}
    return {key: value for key, value in fields.items() if value}  # unset fields are empty


def _aliases(request: resource_pb2.RegisterResourceRequest) -> tuple[Alias, ...]:
    # This SDK sends alias specs to a monitor that supports them (the mock does); one talking to an
    # older engine sends URNs (aliasURNs). The SDK's stubs import the Alias message from a module that
    # does not exist (pulumi.alias_pb2), hence the cast.
    specs = cast(list[alias_pb2.Alias], request.aliases)  # pyright: ignore[reportUnknownMemberType]
    return tuple(_alias(alias) for alias in specs) + tuple({"urn": urn} for urn in request.aliasURNs)


def migrates_api_version(resource_type: str, alias: Alias) -> bool:
    """Whether ``alias`` is one an SDK class adds by itself: the same kind under an older token.

    pulumi_kubernetes gives e.g. NetworkPolicy an alias to ``kubernetes:extensions/v1beta1:NetworkPolicy``,
    pulumi_docker gives Image one to ``docker:image:Image``; both are type-only specs of the same
    package and kind. An alias the program writes for a rename or a move carries a name, a parent
    or another kind. (A program alias that only changes the API version looks the same.)
    """
    if set(alias) != {"type"}:
        return False
    old = str(alias["type"]).split(":")
    new = resource_type.split(":")
    return old != new and (old[0], old[-1]) == (new[0], new[-1])


@dataclass(frozen=True)
class Registration:
    """One resource registration as the engine received it (option names as on the wire)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str  # "<provider urn>::<provider id>", or "" for a component
    dependencies: tuple[str, ...]  # from depends_on and from the inputs' outputs alike
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    inputs: dict[str, Any]  # secrets still wrapped; see redact()
    aliases: tuple[Alias, ...] = ()  # every alias, the SDK's own included; see declared_aliases
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    delete_before_replace: bool | None = None  # None: not set
    replace_on_changes: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    custom_timeouts: dict[str, str] = field(default_factory=dict[str, str])
    import_id: str = ""
    deleted_with: str = ""
    replace_with: tuple[str, ...] = ()
    hide_diffs: tuple[str, ...] = ()

    @property
    def declared_aliases(self) -> list[Alias]:
        """The aliases the program declared, without those the SDK class adds for old API versions."""
        return [alias for alias in self.aliases if not migrates_api_version(self.type, alias)]

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Dependencies no input accounts for: what depends_on declared. (The wire merges the two, so
        a depends_on entry that an input also implies is not told apart.)"""
        implied = {urn for urns in self.property_dependencies.values() for urn in urns}
        return tuple(urn for urn in self.dependencies if urn not in implied)


def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def as_data(value: Any, in_secret: Callable[[Any], Any]) -> Any:
    """The wire value as plain data, with ``in_secret`` applied to what each secret holds."""
    if rpc.is_rpc_secret(value):
        return in_secret(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: as_data(v, in_secret) for k, v in cast(dict[str, Any], value).items()}
    if isinstance(value, list):
        return [as_data(v, in_secret) for v in cast(list[object], value)]
    # The wire format carries every number as a double: 53 arrives as 53.0.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def fingerprint(value: Any) -> str:
    """``[secret <12 hex>]`` for a revealed wire value: sha256 over its canonical JSON."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return f"[secret {hashlib.sha256(FINGERPRINT_PREFIX + canonical).hexdigest()[:12]}]"


def _mask(value: Any) -> Any:
    # A secret mapping keeps its keys (a Secret's stringData names its entries; the values stay
    # hidden), so a render is still a valid manifest.
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in cast(dict[str, Any], value).items()}
    return fingerprint(value)


def redact(value: Any) -> Any:
    """The value with every secret leaf replaced by its fingerprint (and whole numbers as integers)."""
    return as_data(value, lambda secret: _mask(reveal(secret)))


def reveal(value: Any) -> Any:
    """The value with secrets unwrapped (for assertions on what a secret holds)."""
    return as_data(value, reveal)


def provider_input(value: Any) -> Any:
    """A provider's recorded input as its class takes it: the generated Provider classes send
    their boolean and object inputs as JSON text (``enableSecretMutable: "true"``) and would
    encode the text again."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        # Not numbers: a string input such as a version "1.30" must stay a string.
        return cast(Any, decoded) if isinstance(decoded, bool | dict | list) else value
    return value


class _Mocks(pulumi.runtime.Mocks):
    """Echoes inputs as outputs, plus the few computed outputs the program reads."""

    def __init__(self, stack_outputs: Mapping[str, Mapping[str, Any]]) -> None:
        self.local = threading.local()
        self.stack_outputs = stack_outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = cast(dict[str, Any], args.inputs)  # pyright: ignore[reportUnknownMemberType] (typed bare dict)
        self.local.inputs = inputs
        state = dict(inputs)
        if args.typ == RELEASE_TYPE:
            state["status"] = {"status": "deployed", "name": inputs.get("name"), "version": 1}
        elif args.typ == IMAGE_TYPE:
            state["repoDigest"] = f"{rpc.unwrap_rpc_secret(inputs.get('imageName'))}@sha256:{'0' * 64}"
        elif args.typ == "pulumi:pulumi:StackReference":
            # A stack reference reads that stack's outputs; a test names them per stack.
            state["outputs"] = dict(self.stack_outputs.get(inputs["name"], {}))  # unknown: a stack with no outputs yet
        elif args.typ.startswith("kubernetes:"):
            # Offline placeholder for the API server's resourceVersion: like a real one, it changes
            # when the object does. Offline, secrets are stack-file placeholders, not plaintext.
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
            metadata = cast(dict[str, Any], inputs.get("metadata") or {})
            state["metadata"] = {**metadata, "resourceVersion": f"offline-{digest[:8]}"}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []  # no outputs, no failures


def _varied(value: Any) -> Any:
    """Another value of the same shape (strings, numbers and secrets' contents; booleans stay)."""
    if rpc.is_rpc_secret(value):
        return rpc.wrap_rpc_secret(_varied(rpc.unwrap_rpc_secret(value)))
    if isinstance(value, dict):
        return {k: _varied(v) for k, v in cast(dict[str, Any], value).items()}
    if isinstance(value, list):
        return [_varied(v) for v in cast(list[object], value)]
    if isinstance(value, str):
        return f"{value}~probe"
    return value + 1 if isinstance(value, int | float) and not isinstance(value, bool) else value


def _vary_invented(state: Any, inputs: Any) -> Any:
    """``state`` with what the mock invented varied and what it echoed from ``inputs`` kept."""
    if isinstance(state, dict) and isinstance(inputs, dict) and not rpc.is_rpc_secret(state):
        echoed = cast(dict[str, Any], inputs)
        return {k: _vary_invented(v, echoed[k]) if k in echoed else _varied(v)
                for k, v in cast(dict[str, Any], state).items()}
    return cast(Any, state) if state == inputs else _varied(state)


class _ProbeMocks(_Mocks):
    """The same mock with every value it invents (IDs, a release's status, digests, ...) changed: an
    output that differs from a normal run's is a placeholder of the offline engine, not a value the
    program declares. A stack reference's outputs are another stack's, given by the caller: kept."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "pulumi:pulumi:StackReference":
            return resource_id, state
        return f"{resource_id}~probe", _vary_invented(state, self.local.inputs)


# How the wire marks a secret: {SIG_KEY: SECRET_SIG, "value": ...} (pulumi.runtime.rpc's constants).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _with_leaf_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = cast(dict[str, Any], value)
        if mapping.get(_SIG_KEY) == _SECRET_SIG:
            return rpc.wrap_rpc_secret(_with_leaf_secrets(mapping.get("value")))
        return {k: _with_leaf_secrets(v) for k, v in mapping.items()}
    if isinstance(value, list):
        return [_with_leaf_secrets(v) for v in cast(list[Any], value)]
    return value


def wire_inputs(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A registration's inputs with each secret where the program put it.

    The SDK's own decoding (what the mocks receive) marks a whole map or list secret as soon as
    one of its entries is, so ``repositoryOpts`` would read as one secret although only its
    password is; the render must show the plain fields.
    """
    return cast(dict[str, Any], _with_leaf_secrets(json_format.MessageToDict(struct)))


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self._mocks = mocks
        self.recorded: list[Registration] = []
        self.duplicates: list[str] = []
        self._urns: set[str] = set()
        self._lock = threading.Lock()

    def RegisterResource(  # noqa: N802 (gRPC method name)
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        response: resource_pb2.RegisterResourceResponse = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = wire_inputs(request.object)
        timeouts = request.customTimeouts
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
            aliases=_aliases(request),
            property_dependencies={key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()},
            delete_before_replace=request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
            replace_on_changes=tuple(request.replaceOnChanges),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            custom_timeouts={
                key: getattr(timeouts, key) for key in ("create", "update", "delete") if getattr(timeouts, key)
            },
            import_id=request.importId,
            deleted_with=request.deletedWith,
            replace_with=tuple(request.replace_with),
            hide_diffs=tuple(request.hideDiffs),
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
    outputs: dict[str, Any] = field(default_factory=dict[str, Any])

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
    project: str = PROJECT,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    probe: bool = False,
) -> Recording:
    """Run ``program`` (default: the real ``__main__.py``) under mocks with the given config.

    ``stack_outputs`` answers the program's stack references: stack name -> that stack's outputs.
    ``probe`` varies every value the mock invents (see ``_ProbeMocks``).

    Each run gets a fresh event loop, its own config (nothing leaks from an earlier run), and
    ``preview=False`` so every output resolves and every ``apply`` runs.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    mocks = (_ProbeMocks if probe else _Mocks)(stack_outputs or {})
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    outputs: dict[str, Any] = {}
    real_export = pulumi.export

    def export(name: str, value: Any) -> None:
        outputs[name] = value
        real_export(name, value)

    def body() -> pulumi.Output[dict[str, Any]]:
        pulumi.export = export
        try:
            (program or (lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))()
        finally:
            pulumi.export = real_export
        return pulumi.Output.from_input(outputs)

    resolved: dict[str, Any] = {}
    try:
        pulumi.runtime.test(lambda: body().apply(resolved.update))()  # type: ignore[no-untyped-call]
    except Exception as error:
        # What was registered before the failure (nothing, for a config error).
        error.recording = Recording(resources=list(monitor.recorded))  # type: ignore[attr-defined]
        # The failed output's other futures would each report the same error again when collected.
        loop.set_exception_handler(lambda _loop, _context: None)
        raise
    if monitor.duplicates:
        raise DuplicateUrnError(f"duplicate URNs registered: {sorted(set(monitor.duplicates))}")
    return Recording(resources=list(monitor.recorded), outputs=resolved)
