"""Render a stack's desired state offline: ``python -m offline.render --stack dev --out rendered/dev``.

Runs the real program under the mock engine (no cluster, backend, credentials or passphrase)
and writes what it declares. Secrets are written as ``[secret]``; the same input gives
byte-identical output. On invalid config it prints the problems, writes nothing and exits 1.
"""

from __future__ import annotations

import argparse
import heapq
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from config.errors import ConfigError, StackFileError
from config.stack_file import read
from offline import engine

ROOT = Path(__file__).resolve().parent.parent
RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
IMAGE_TYPE = "docker:index/image:Image"


def api_version(type_token: str) -> tuple[str, str]:
    """``kubernetes:apps/v1:Deployment`` -> (``apps/v1``, ``Deployment``); core has no group."""
    _, group_version, kind = type_token.split(":")
    return group_version.removeprefix("core/"), kind


def deploy_order(resources: list[engine.Registration]) -> list[engine.Registration]:
    """Parents and dependencies first, ties by URN: stable however the engine interleaved them."""
    by_urn = {r.urn: r for r in resources}
    needs = {r.urn: {d for d in (r.parent, *r.dependencies) if d in by_urn} for r in resources}
    waiting_on: dict[str, set[str]] = {urn: set() for urn in by_urn}
    for urn, deps in needs.items():
        for dep in deps:
            waiting_on[dep].add(urn)
    ready = [urn for urn, deps in needs.items() if not deps]
    heapq.heapify(ready)
    order: list[engine.Registration] = []
    while ready:
        urn = heapq.heappop(ready)
        order.append(by_urn[urn])
        for dependent in sorted(waiting_on[urn]):
            needs[dependent].discard(urn)
            if not needs[dependent]:
                heapq.heappush(ready, dependent)
    return order


def manifest(
    registration: engine.Registration, plain: Callable[[Any], Any] = engine.redact
) -> dict[str, Any]:
    """The object as a manifest; ``plain`` turns the wire inputs into data (secrets redacted)."""
    version, kind = api_version(registration.type)
    body = {k: v for k, v in plain(registration.inputs).items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": version, "kind": kind, **body}


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=100)


def dump_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def render_files(recording: engine.Recording) -> dict[str, str]:
    """Relative path -> file content for everything a render writes."""
    files: dict[str, str] = {}
    ordered = deploy_order(recording.resources)
    # Only the aliases the program declared: the SDK's own API-version aliases would be noise.
    files["plan.json"] = dump_json([
        {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "protect": r.protect,
         "ignoreChanges": list(r.ignore_changes), "aliases": r.declared_aliases, "inputs": engine.redact(r.inputs)}
        for r in ordered
    ])
    files["outputs.json"] = dump_json(recording.outputs)
    for registration in recording.kubernetes_objects():
        document = manifest(registration)
        metadata = document.get("metadata", {})
        folder = metadata.get("namespace") or "_cluster"
        files[f"manifests/{folder}/{document['kind'].lower()}-{metadata['name']}.yaml"] = dump_yaml(document)
    for release in recording.of_type(RELEASE_TYPE):
        inputs = engine.redact(release.inputs)
        name = inputs["name"]
        files[f"helm/{name}/values.yaml"] = dump_yaml(inputs.pop("values", {}))
        files[f"helm/{name}/release.yaml"] = dump_yaml(inputs)
    for image in recording.of_type(IMAGE_TYPE):
        files[f"images/{image.name}.yaml"] = dump_yaml(engine.redact(image.inputs))
    return files


def render(stack: str, out: Path, stack_file: Path | None = None) -> int:
    path = stack_file or ROOT / f"Pulumi.{stack}.yaml"
    try:
        config, secret_keys = read(path, fill_missing_secrets=True)
    except StackFileError as error:
        print(error, file=sys.stderr)
        return 1
    try:
        recording = engine.run(config, secret_keys, stack=stack)
    except ConfigError as error:
        print(f"{path.name}: {error}", file=sys.stderr)
        return 1
    files = render_files(recording)
    # Write a complete render next to the target, then swap it in: no half-written output.
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    for relative, content in files.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    kinds = len(recording.kubernetes_objects())
    print(f"rendered stack {stack} to {out}: {len(recording.resources)} resources, {kinds} manifests, "
          f"{len(recording.of_type(RELEASE_TYPE))} Helm release, {len(recording.of_type(IMAGE_TYPE))} image builds")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--stack-file", type=Path, help="default: Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    return render(args.stack, args.out or ROOT / "rendered" / args.stack, args.stack_file)


if __name__ == "__main__":
    sys.exit(main())
