"""What the lock needs from the program's offline render (offline.render.render_files): the chart values,
every image reference the render names, the private-registry prefix, the Runtime repository Houston
deploys from and the base images of the images the program builds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from config.errors import ConfigError
from config.stack import StackConfig
from offline.render import render_files
from stackfile.read import read, validate_file
from standins import mock_engine as engine
from vetting.reference import Reference, maybe_parse

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_REPOSITORY_KEY = "defaultRuntimeRepository"
_DOCKER_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass(frozen=True)
class StackRender:
    stack: str
    config: StackConfig
    files: dict[str, str]
    """relative path -> content, as offline.render writes them"""

    @property
    def values(self) -> dict[str, Any]:
        """The platform chart's values (the stack has one Helm release)."""
        paths = [p for p in self.files if p.startswith("helm/") and p.endswith("/values.yaml")]
        if len(paths) != 1:
            raise ValueError(f"expected one Helm release in the render of {self.stack}, found {paths}")
        return cast(dict[str, Any], yaml.safe_load(self.files[paths[0]]))

    @property
    def houston_config(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.values.get("astronomer", {}).get("houston", {}).get("config", {}))

    @property
    def mirror_prefix(self) -> str:
        """``host/repository`` that holds Astronomer's images in Artifactory (the private registry)."""
        return cast(str, self.values["global"]["privateRegistry"]["repository"])

    @property
    def runtime_repository(self) -> str:
        """The repository Houston deploys Runtime versions from (``<repository>:<version>``)."""
        helm = self.houston_config.get("deployments", {}).get("helm", {})
        return cast(str, helm["airflow"][RUNTIME_REPOSITORY_KEY])

    def runtime_versions(self) -> dict[str, set[str]]:
        """Runtime version -> the config keys naming it: ``images.runtimeVersion`` and, where tenants
        carry a ``deployment.runtimeVersion``, theirs."""
        versions: dict[str, set[str]] = {self.config.images.runtime_version: {"images.runtimeVersion"}}
        for index, tenant in enumerate(self.config.tenants):
            deployment: Any = getattr(tenant, "deployment", None)
            version: Any = getattr(deployment, "runtime_version", None)
            if isinstance(version, str):
                versions.setdefault(version, set()).add(f"tenants[{index}].deployment.runtimeVersion")
        return versions

    def references(self) -> dict[str, set[str]]:
        """Every string in the render that is a whole image reference (tagged or a bare repository)
        on the stack's Artifactory host -> the files naming it."""
        host = self.config.artifactory.host
        found: dict[str, set[str]] = {}
        for path, text in self.files.items():
            document: Any = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
            for value in _strings(document):
                reference = maybe_parse(value)
                if reference is not None and reference.registry == host:
                    found.setdefault(value, set()).add(path)
        return found

    def build_bases(self) -> dict[str, set[str]]:
        """Base image -> the Dockerfiles naming it, for each image the program builds (``images/*.yaml``)."""
        bases: dict[str, set[str]] = {}
        for path, text in sorted(self.files.items()):
            if not path.startswith("images/"):
                continue
            build = cast(dict[str, Any], yaml.safe_load(text)["build"])
            dockerfile = str(build.get("dockerfile") or f"{build['context']}/Dockerfile")
            args = {str(k): str(v) for k, v in cast(dict[str, Any], build.get("args") or {}).items()}
            for base in dockerfile_bases((ROOT / dockerfile).read_text(), args):
                bases.setdefault(base, set()).add(dockerfile)
        return bases


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in cast(Mapping[str, Any], node).values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in cast(list[Any], node):
            yield from _strings(item)


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return _DOCKER_VARIABLE.sub(lambda m: values.get(m[1] or m[2], ""), text)


def dockerfile_bases(dockerfile: str, build_args: Mapping[str, str]) -> list[str]:
    """The images the ``FROM`` lines name, with ``ARG`` defaults and ``build_args`` substituted; a
    ``FROM`` of an earlier stage is not an image."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[str] = []
    for line in dockerfile.splitlines():
        words = line.strip().split()
        if len(words) < 2:
            continue
        instruction = words[0].upper()
        if instruction == "ARG" and not bases:
            name, _, default = words[1].partition("=")
            defaults[name] = default
        elif instruction == "FROM":
            image_words = [w for w in words[1:] if not w.startswith("--")]
            image = _substitute(image_words[0], {**defaults, **build_args})
            if len(image_words) >= 3 and image_words[1].upper() == "AS":
                stages.add(image_words[2])
            if image not in stages:
                bases.append(image)
    return bases


def render_stack(stack: str, stack_file: Path | None = None) -> StackRender:
    """Validate the stack file and render it offline, as ``make render`` does."""
    path = stack_file or ROOT / f"Pulumi.{stack}.yaml"
    config = validate_file(path)
    runtime, secret_keys = read(path, fill_missing_secrets=True)
    try:
        recording = engine.run(runtime, secret_keys, stack=stack)
    except ConfigError as error:
        raise ValueError(f"{path.name}: {error}") from error
    return StackRender(stack, config, render_files(recording, stack))


def in_repository(reference: Reference, prefix: str) -> bool:
    return reference.repository_ref.startswith(prefix + "/")
