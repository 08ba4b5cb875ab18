"""Render a stack's desired state offline: ``python -m offline.render --stack dev --out rendered/dev``.

Runs the real program under the mock engine (no cluster, backend, credentials or passphrase)
and writes what it declares. Secrets are written as fingerprints, ``[secret 3f2a9c1b7d0e]``
(``standins.mock_engine.redact``: they show that a secret changed, never its value); the same input gives
byte-identical output. On invalid config it prints the problems, writes nothing and exits 1. It replaces
``--out`` only when that folder is new, empty or an earlier render (its ``.render-manifest.json`` lists every
file in it, unchanged); anything else is refused, and nothing in it is touched.

``--stack-file`` renders another file (a variant) as the stack ``--stack``: URNs carry the stack's
name, so a diff against the stack's own render shows only what the variant changes. ``render.json``
records that name for the diff's headings; ``outputs.json`` lists under ``offlinePlaceholders`` the
outputs the mock engine invents (a release's status, image digests), which a real deployment sets.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import logging
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, cast

import yaml

from components.houston_clusters import PLATFORM_CLUSTER_TYPE, REGISTRATION_TYPE
from components.houston_resources import DEPLOYMENT_TYPE, WORKSPACE_TYPE
from components.monitoring_specs import chart_alertmanager_config, rules_file
from components.provider import plane_of_provider
from config.errors import ConfigError, StackFileError
from devtools.owned import Owner, OwnershipError, claim, replace_folder
from offline.diff import field_changes
from stackfile.read import read
from standins import mock_engine as engine
from standins.resource_types import IMAGE_TYPE, RELEASE_TYPE

ROOT = Path(__file__).resolve().parent.parent
# A dynamic provider's serialized class, which the SDK passes as an input: code, not desired state.
_DYNAMIC_PROVIDER_INPUT = "__provider"
# The manifest that shows a folder is a render: only such a folder is replaced (devtools.owned).
RENDER = Owner(".render-manifest.json", "render")


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


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (krb5.conf, JSON documents, scripts) as literal blocks and repeated maps written out
    (no anchors), so files and diffs read as text."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # A literal block only where it helps; the emitter still falls back to a quoted style for text a
    # block cannot hold exactly (trailing spaces on a line, control characters).
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)  # pyright: ignore[reportUnknownMemberType] (stub: untyped style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, sort_keys: bool = True, width: int = 100) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False, width=width)


def dump_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def offline_placeholders(recording: engine.Recording, probe: engine.Recording) -> list[str]:
    """Paths of the stack outputs that come from values the mock engine invents: those that differ in
    ``probe``, a run that varied every invented value (``engine.run(..., probe=True)``)."""
    return [change.path for change in field_changes(recording.outputs, probe.outputs)]


def _inputs(registration: engine.Registration) -> dict[str, Any]:
    """The redacted inputs, without the dynamic provider's serialized class and the outputs a dynamic
    resource declares as empty inputs."""
    inputs = cast(dict[str, Any], engine.redact(registration.inputs))
    if registration.type.startswith("pulumi-python:dynamic"):
        return {k: v for k, v in inputs.items() if k != _DYNAMIC_PROVIDER_INPUT and v is not None}
    return inputs


def data_plane(registration: engine.Registration) -> str | None:
    """The data plane a resource is declared on (by its provider), or None for the platform's cluster."""
    provider_urn = registration.provider.rsplit("::", 1)[0]
    return plane_of_provider(provider_urn.rsplit("::", 1)[-1]) if provider_urn else None


def cluster_folder(registration: engine.Registration) -> str:
    """Where a cluster's files go: the platform's at the top, each data plane's under dataplanes/<name>/."""
    plane = data_plane(registration)
    return f"dataplanes/{plane}/" if plane else ""


def render_files(recording: engine.Recording, stack: str, placeholders: list[str] | None = None) -> dict[str, str]:
    """Relative path -> file content for everything a render writes."""
    files: dict[str, str] = {"render.json": dump_json({"stack": stack})}
    ordered = deploy_order(recording.resources)
    # Only the aliases the program declared: the SDK's own API-version aliases would be noise.
    files["plan.json"] = dump_json([
        {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "protect": r.protect,
         "ignoreChanges": list(r.ignore_changes), "aliases": r.declared_aliases,
         **({"deletedWith": r.deleted_with} if r.deleted_with else {}),
         **({"dataPlane": plane} if (plane := data_plane(r)) else {}), "inputs": _inputs(r)}
        for r in ordered
    ])
    # The placeholder list sorts first: a reader meets it before the values it qualifies.
    files["outputs.json"] = dump_json({"offlinePlaceholders": placeholders or [], "outputs": recording.outputs})
    for registration in recording.kubernetes_objects():
        document = manifest(registration)
        metadata = document.get("metadata", {})
        folder = metadata.get("namespace") or "_cluster"
        path = f"manifests/{folder}/{document['kind'].lower()}-{metadata['name']}.yaml"
        files[cluster_folder(registration) + path] = dump_yaml(document)
    for release in recording.of_type(RELEASE_TYPE):
        inputs = engine.redact(release.inputs)
        name = inputs["name"]
        values = inputs.pop("values", {})
        files[f"{cluster_folder(release)}helm/{name}/values.yaml"] = dump_yaml(values)
        files[f"{cluster_folder(release)}helm/{name}/release.yaml"] = dump_yaml(inputs)
        # With monitoring, the rules and the routing tree as Prometheus and Alertmanager will read them.
        if "additionalAlerts" in values.get("prometheus", {}):
            files["monitoring/rules.yaml"] = dump_yaml(rules_file(values))
            files["monitoring/alertmanager.yaml"] = dump_yaml(chart_alertmanager_config(values["alertmanager"], name))
    for image in recording.of_type(IMAGE_TYPE):
        files[f"images/{image.name}.yaml"] = dump_yaml(engine.redact(image.inputs))
    # Each tenant's Houston workspace and deployment as the provider receives them.
    for resource in (recording.of_type(WORKSPACE_TYPE) + recording.of_type(DEPLOYMENT_TYPE)
                     + recording.of_type(REGISTRATION_TYPE) + recording.of_type(PLATFORM_CLUSTER_TYPE)):
        files[f"houston/{resource.name}.yaml"] = dump_yaml(_inputs(resource))
    return files


@contextlib.contextmanager
def _quiet() -> Generator[None]:
    """Nothing the program logs or prints to stderr is shown (the engine logs through ``logging``)."""
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def render(stack: str, out: Path, stack_file: Path | None = None) -> int:
    # Errors name the file as it was given (STACK_FILE=<path>), or the stack's own file.
    path = stack_file or ROOT / f"Pulumi.{stack}.yaml"
    shown = stack_file or Path(path.name)
    try:
        claim(out, RENDER)
        config, secret_keys = read(path, fill_missing_secrets=True)
        recording = engine.run(config, secret_keys, stack=stack)
    except (StackFileError, OwnershipError) as error:
        print(error, file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"{shown}: {error}", file=sys.stderr)
        return 1
    # The probe repeats the program: its warnings were printed once already.
    with _quiet():
        probe = engine.run(config, secret_keys, stack=stack, probe=True)
    files = render_files(recording, stack, offline_placeholders(recording, probe))
    try:
        replace_folder(out, RENDER, files)
    except OwnershipError as error:
        print(error, file=sys.stderr)
        return 1
    kinds = len(recording.kubernetes_objects())
    print(f"rendered stack {stack} to {out}: {len(recording.resources)} resources, {kinds} manifests, "
          f"{len(recording.of_type(RELEASE_TYPE))} Helm release, {len(recording.of_type(IMAGE_TYPE))} image builds, "
          f"{len(recording.of_type(DEPLOYMENT_TYPE))} Airflow deployments")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", default="dev", help="the stack's name, in URNs and the diff's headings")
    parser.add_argument("--out", type=Path, help="default: rendered/<stack>")
    parser.add_argument("--stack-file", type=Path, help="the config to render as --stack; default: Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    return render(args.stack, args.out or ROOT / "rendered" / args.stack, args.stack_file)


if __name__ == "__main__":
    sys.exit(main())
