"""Tenant fan-out benchmark: ``python -m benchmarks.program --tenants N [--data-planes K]``.

Evaluates the whole program under the mock engine with N synthetic tenants, then two floors; each
phase runs in a fresh process that has imported the same modules:

- same kinds: the very custom resources the program registered (types, names, inputs, provider,
  dependencies and options), replayed flat at the top level through their SDK classes, without
  components, validation or outputs. ``overhead`` = program / same kinds is the program's own cost.
- ConfigMaps: as many bare ConfigMaps as the program registered resources. ``ratio`` = program /
  ConfigMaps also counts what the SDK classes of the program's kinds cost (their aliases, say).

One line per phase, then a last line, ``fanout tenants=N data_planes=K resources=R seconds=S
floor_seconds=F ratio=X same_kinds_seconds=G overhead=Y peak_rss_mb=M``, where M is the peak RSS of the
process that ran the program (each floor's is on its own line). ``--data-planes K`` spreads the tenants
round-robin over the platform's cluster and K data planes.

``--probe COUNT`` instead times COUNT bare objects of a few kinds, one line each: it shows what
the Kubernetes SDK's aliases (NetworkPolicy, Role, RoleBinding carry them) cost per object.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import inspect
import multiprocessing
import re
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi.runtime import rpc

from stackfile.read import document, runtime_values
from standins import mock_engine as engine
from standins.mock_engine import PROGRAM
from standins.tenants import synthetic_tenants

SECRETS = {"artifactoryPassword": "x", "databaseConnection": "postgres://u:p@db:5432", "delineaPassword": "y",
           "houstonApiKey": "z", "artifactoryPullPassword": "w"}
Program = Callable[[], None]
Make = Callable[[str, pulumi.ResourceOptions], pulumi.Resource]


def bench_config(tenants: int, data_planes: int = 0) -> tuple[dict[str, str], list[str]]:
    """The dev stack with ``tenants`` synthetic tenants, spread round-robin over the platform's cluster and
    ``data_planes`` data planes."""
    dev = document(PROGRAM.parent / "Pulumi.dev.yaml")
    dev["tenants"] = synthetic_tenants(tenants)
    if data_planes:
        dev["dataPlanes"] = [{"name": f"dp{i}", "domainPrefix": f"dp{i}", "kubernetes": {"context": f"dp{i}"},
                              "apiServerCidrs": [f"10.{60 + i}.0.1/32"]} for i in range(1, data_planes + 1)]
        for index, tenant in enumerate(dev["tenants"]):
            if index % (data_planes + 1):
                tenant["dataPlane"] = f"dp{index % (data_planes + 1)}"
    return runtime_values(dev, SECRETS)


def bare_objects(count: int, make: Make) -> Program:
    def program() -> None:
        opts = pulumi.ResourceOptions(provider=k8s.Provider("kubernetes", context="bench"))
        for index in range(count):
            make(f"r-{index}", opts)

    return program


PROBES: dict[str, Make] = {
    "ConfigMap": lambda name, opts: k8s.core.v1.ConfigMap(name, opts=opts),
    "ConfigMap+alias": lambda name, opts: k8s.core.v1.ConfigMap(
        name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="x:y:Z")]))
    ),
    "NetworkPolicy": lambda name, opts: k8s.networking.v1.NetworkPolicy(name, opts=opts),
}


def floor_program(count: int) -> Program:
    """``count`` resources: the provider and bare ConfigMaps."""
    return bare_objects(count - 1, PROBES["ConfigMap"])


@functools.cache
def sdk_class(type_token: str) -> type[pulumi.CustomResource]:
    """The SDK class of a type token, looked up where the SDKs register their classes on import
    (the table Pulumi uses to rebuild resource references): ``kubernetes:helm.sh/v3:Release`` ->
    ``pulumi_kubernetes.helm.v3.Release``, ``pulumi:providers:docker`` -> ``pulumi_docker.Provider``."""
    package, module, kind = type_token.split(":")
    provider = (package, module) == ("pulumi", "providers")
    sdk = kind if provider else package
    importlib.import_module(f"pulumi_{sdk.replace('-', '_')}")  # registers its classes
    # The entries the SDKs' generated code registers (_utilities.Package and Module) name the class.
    if provider:
        info = getattr(rpc.get_resource_package(sdk, ""), "pkg_info", {})
        fqn, class_name = info.get("fqn"), info.get("class")
    else:
        info = getattr(rpc.get_resource_module(package, module, ""), "mod_info", {})
        fqn, class_name = info.get("fqn"), info.get("classes", {}).get(type_token)
    if not fqn or not class_name:
        raise LookupError(f"no SDK class registers {type_token}")
    found: type[pulumi.CustomResource] = getattr(importlib.import_module(fqn), class_name)
    return found


@functools.cache
def _keywords(type_token: str) -> frozenset[str]:
    """The input keywords of the type's SDK class (the generated classes take them in _internal_init;
    __init__ is overloaded)."""
    cls = sdk_class(type_token)
    return frozenset(inspect.signature(getattr(cls, "_internal_init", cls.__init__)).parameters)


def _snake_case(wire_name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", wire_name).lower()


def _as_input(value: Any) -> Any:
    """A recorded wire value as an input again: secrets become secret outputs."""
    return engine.as_data(value, lambda inner: pulumi.Output.secret(_as_input(inner)))


# Alias spec fields (engine.Alias) -> pulumi.Alias keywords.
_ALIAS_KEYWORDS = {"name": "name", "type": "type_", "stack": "stack", "project": "project", "parentUrn": "parent"}


def _alias(alias: engine.Alias) -> str | pulumi.Alias:
    if "urn" in alias:
        return str(alias["urn"])
    keywords: dict[str, Any] = {_ALIAS_KEYWORDS[key]: value for key, value in alias.items() if key in _ALIAS_KEYWORDS}
    if alias.get("noParent"):
        keywords["parent"] = None  # it had none (leaving parent out means: the resource's own parent)
    return pulumi.Alias(**keywords)


def replay_program(registrations: list[engine.Registration]) -> Program:
    """The custom resources among ``registrations`` registered again, flat, through their SDK classes.

    Same type, name, inputs, provider, dependencies and options; only the parent (and with it the
    URN) differs, and components are left out. Registrations must come in engine order (a
    resource after its provider and dependencies), which is the order a Recording keeps. Inputs
    the SDK class sets itself (no keyword for them, e.g. a Release's ``compat``) are left to it,
    and so are the aliases it adds for old API versions.
    """

    def program() -> None:
        replayed: dict[str, pulumi.Resource] = {}  # recorded URN -> the replayed resource
        providers: dict[str, pulumi.ProviderResource] = {}

        def resources(urns: tuple[str, ...]) -> list[pulumi.Resource]:
            # A dependency on a resource that is not replayed (a remote component) is dropped.
            return [replayed[urn] for urn in urns if urn in replayed]

        for r in registrations:
            if not r.custom:
                continue
            provider = r.type.startswith("pulumi:providers:")
            inputs = {_snake_case(key): _as_input(engine.provider_input(value) if provider else value)
                      for key, value in r.inputs.items()}
            opts = pulumi.ResourceOptions(
                provider=providers.get(r.provider.rpartition("::")[0]),  # a reference is "<urn>::<id>"
                depends_on=resources(r.dependencies),
                protect=r.protect,
                retain_on_delete=r.retain_on_delete,
                ignore_changes=list(r.ignore_changes),
                aliases=[_alias(alias) for alias in r.declared_aliases],
                delete_before_replace=r.delete_before_replace,
                replace_on_changes=list(r.replace_on_changes),
                # The SDK class adds its own (a Secret's data) again: a duplicate, not a difference.
                additional_secret_outputs=list(r.additional_secret_outputs),
                custom_timeouts=pulumi.CustomTimeouts(**r.custom_timeouts) if r.custom_timeouts else None,
                import_=r.import_id or None,
                deleted_with=replayed.get(r.deleted_with),
                replace_with=resources(r.replace_with),
                hide_diffs=list(r.hide_diffs),
            )
            if r.type.startswith("pulumi-python:dynamic"):
                # A dynamic provider's resource (the Houston ones) has no SDK class: its wire inputs as they were.
                replayed[r.urn] = pulumi.CustomResource(r.type, r.name, {k: _as_input(v) for k, v in r.inputs.items()},
                                                        opts)
                continue
            keywords = _keywords(r.type)
            kwargs = {key: value for key, value in inputs.items() if key in keywords}
            made = replayed[r.urn] = sdk_class(r.type)(r.name, opts=opts, **kwargs)
            if isinstance(made, pulumi.ProviderResource):
                providers[r.urn] = made

    return program


def timed(program: Program | None, config: dict[str, str], secret_keys: list[str]) -> tuple[float, engine.Recording]:
    """Seconds and recording of one run of ``program`` (default: the real program).

    What exists before the run (modules, config, a replay's input) is frozen out of the garbage
    collector's way, so each phase pays for collecting its own objects only: a replay holding the
    program's registrations would otherwise walk them in every full collection.
    """
    gc.collect()
    gc.freeze()
    try:
        start = time.perf_counter()
        recording = engine.run(config, secret_keys, program=program)
        return time.perf_counter() - start, recording
    finally:
        gc.unfreeze()


@dataclass(frozen=True)
class Phase:
    seconds: float
    resources: int
    peak_rss_mb: float
    custom: list[engine.Registration]  # the program phase's custom resources, for the replay


def measure(make_program: Callable[[], Program] | None, tenants: int = 0, data_planes: int = 0) -> Phase:
    """Time the program ``make_program`` builds, or (None) the real one with ``tenants`` tenants."""
    if make_program is None:
        seconds, recording = timed(None, *bench_config(tenants, data_planes))
    else:
        seconds, recording = timed(make_program(), {}, [])
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    custom = [r for r in recording.resources if r.custom] if make_program is None else []
    return Phase(seconds, len(recording.resources), peak_rss_mb, custom)


def in_fresh_process(make_program: Callable[[], Program] | None, tenants: int = 0, data_planes: int = 0) -> Phase:
    """``measure`` in a fresh process: one that imported what this module imports, and nothing more.

    Every phase runs so: a floor run after the program would find the SDK modules it needs already
    imported and share the program's peak RSS, and the same call path keeps the stack the same
    depth above each phase (the SDK captures the stack at every registration).
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, make_program, tenants, data_planes).result()


def probe(count: int) -> None:
    for kind, make in PROBES.items():
        seconds, _ = timed(bare_objects(count, make), {}, [])
        print(f"probe kind={kind} objects={count} seconds={seconds:.2f} ms_per_object={1000 * seconds / count:.2f}")


def count(text: str) -> int:
    """A command-line count: a whole number, at least 1 (a benchmark of nothing measures nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.program", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tenants", type=count, default=100, help="synthetic tenants (at least 1)")
    parser.add_argument("--probe", type=count, metavar="COUNT", help="time COUNT bare objects per kind instead")
    parser.add_argument("--data-planes", type=int, default=0, metavar="K",
                        help="data planes the tenants are spread over, round-robin with the platform's cluster")
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return 0

    def report(name: str, phase: Phase) -> Phase:
        print(f"phase {name} resources={phase.resources} seconds={phase.seconds:.2f} "
              f"peak_rss_mb={phase.peak_rss_mb:.0f}", flush=True)
        return phase

    program = report("program", in_fresh_process(None, args.tenants, args.data_planes))
    phases = {"program": program}
    floors = {"same-kinds": (functools.partial(replay_program, program.custom), len(program.custom)),
              "configmaps": (functools.partial(floor_program, program.resources), program.resources)}
    for name, (make_program, expected) in floors.items():
        phases[name] = report(name, in_fresh_process(make_program))
        if phases[name].resources != expected:
            raise RuntimeError(f"the {name} floor registered {phases[name].resources} resources, not {expected}")

    seconds, same_kinds, configmaps = (phases[name].seconds for name in ("program", "same-kinds", "configmaps"))
    print(f"fanout tenants={args.tenants} data_planes={args.data_planes} resources={program.resources} "
          f"seconds={seconds:.2f} "
          f"floor_seconds={configmaps:.2f} ratio={seconds / configmaps:.2f} "
          f"same_kinds_seconds={same_kinds:.2f} overhead={seconds / same_kinds:.2f} "
          f"peak_rss_mb={program.peak_rss_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
