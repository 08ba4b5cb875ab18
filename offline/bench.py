"""Tenant fan-out benchmark: ``python -m offline.bench --tenants N``.

Evaluates the whole program under the mock engine with N synthetic tenants, then a floor program
that registers the same number of bare ConfigMaps, in the same process. The last line is:
``fanout tenants=N resources=R seconds=S floor_seconds=F ratio=X peak_rss_mb=M``.

``--probe COUNT`` instead times COUNT bare objects of a few kinds, one line each: it shows what
the Kubernetes SDK's aliases (NetworkPolicy, Role, RoleBinding carry them) cost per object.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from config.stack_file import document, runtime_values
from offline import engine
from offline.engine import PROGRAM
from offline.synthetic import synthetic_tenants

SECRETS = {"artifactoryPassword": "x", "databaseConnection": "postgres://u:p@db:5432", "delineaPassword": "y"}


def bench_config(tenants: int) -> tuple[dict[str, str], list[str]]:
    dev = document(PROGRAM.parent / "Pulumi.dev.yaml")
    dev["tenants"] = synthetic_tenants(tenants)
    return runtime_values(dev, SECRETS)


def bare_objects(count: int, make: Callable[[str, pulumi.ResourceOptions], Any]):
    def program() -> None:
        opts = pulumi.ResourceOptions(provider=k8s.Provider("kubernetes", context="bench"))
        for index in range(count):
            make(f"r-{index}", opts)

    return program


PROBES: dict[str, Callable[[str, pulumi.ResourceOptions], Any]] = {
    "ConfigMap": lambda name, opts: k8s.core.v1.ConfigMap(name, opts=opts),
    "ConfigMap+alias": lambda name, opts: k8s.core.v1.ConfigMap(
        name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="x:y:Z")]))
    ),
    "NetworkPolicy": lambda name, opts: k8s.networking.v1.NetworkPolicy(name, opts=opts),
}


def floor_program(count: int):
    """``count`` resources: the provider and bare ConfigMaps."""
    return bare_objects(count - 1, PROBES["ConfigMap"])


def probe(count: int) -> None:
    for kind, make in PROBES.items():
        start = time.perf_counter()
        engine.run({}, [], program=bare_objects(count, make))
        seconds = time.perf_counter() - start
        print(f"probe kind={kind} objects={count} seconds={seconds:.2f} ms_per_object={1000 * seconds / count:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--probe", type=int, metavar="COUNT", help="time COUNT bare objects per kind instead")
    args = parser.parse_args(argv)
    if args.probe:
        probe(args.probe)
        return 0
    config, secret_keys = bench_config(args.tenants)

    start = time.perf_counter()
    recording = engine.run(config, secret_keys)
    seconds = time.perf_counter() - start
    count = len(recording.resources)
    del recording

    start = time.perf_counter()
    floor = engine.run({}, [], program=floor_program(count))
    floor_seconds = time.perf_counter() - start
    assert len(floor.resources) == count

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fanout tenants={args.tenants} resources={count} seconds={seconds:.2f} floor_seconds={floor_seconds:.2f} "
          f"ratio={seconds / floor_seconds:.2f} peak_rss_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
