"""Tenant fan-out benchmark: ``python -m offline.bench --tenants N``.

Evaluates the whole program under the mock engine with N synthetic tenants, then a floor program
that registers the same number of bare ConfigMaps, in the same process. The last line is:
``fanout tenants=N resources=R seconds=S floor_seconds=F ratio=X peak_rss_mb=M``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import pulumi
import pulumi_kubernetes as k8s
import yaml

from config.loader import PROJECT
from config.stack_file import runtime_values
from offline import engine
from offline.engine import PROGRAM
from offline.synthetic import synthetic_tenants

SECRETS = {"artifactoryPassword": "x", "databaseConnection": "postgres://u:p@db:5432", "delineaPassword": "y"}


def bench_config(tenants: int) -> tuple[dict[str, str], list[str]]:
    config = yaml.safe_load((PROGRAM.parent / "Pulumi.dev.yaml").read_text())["config"]
    document = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    document["tenants"] = synthetic_tenants(tenants)
    return runtime_values(document, SECRETS)


def floor_program(count: int):
    def program() -> None:
        provider = k8s.Provider("kubernetes", context="bench")
        opts = pulumi.ResourceOptions(provider=provider)
        for index in range(count - 1):
            k8s.core.v1.ConfigMap(f"cm-{index}", opts=opts)

    return program


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=100)
    args = parser.parse_args(argv)
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
