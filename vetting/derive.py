"""Derive a stack's lock: ``helm template`` of the pinned chart twice (with the program's values, which
name each image's Artifactory destination, and with the Artifactory rewrites taken out, which names
its upstream source), the Runtime versions the stack deploys and the base images of what it builds."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from vetting import chart_images
from vetting.chart_values import fingerprint, upstream_values
from vetting.lockfile import Entry, Lock
from vetting.reference import Reference, parse
from vetting.render_view import StackRender, in_repository

# Runtime images are not in the chart: Houston composes `<defaultRuntimeRepository>:<version>`. Their
# upstream, and that of the Python base the ticket manager builds on, as the Astro CLI and Docker
# name them (see docs/image-vetting.md).
RUNTIME_UPSTREAM = "quay.io/astronomer/astro-runtime"
# Airflow 3 Runtime versions (`3.1-12`) live in another registry, under another name.
RUNTIME_V3_UPSTREAM = "astrocrpublic.azurecr.io/runtime"
_RUNTIME_V3 = re.compile(r"^\d+\.\d+-\d+")
BUILD_BASE_UPSTREAMS = {"astro-runtime": RUNTIME_UPSTREAM, "python": "docker.io/library/python"}

Template = Callable[[Mapping[str, Any]], str]
"""values -> the chart's manifests (``helm template`` of the pinned chart)"""


class LockError(ValueError):
    """The images cannot be locked as they stand; the message names each one."""


def chart_images_of(manifests: str) -> dict[str, set[str]]:
    """image -> origins: pod specs, Houston's {repository, tag} pairs and references inside its text."""
    docs = chart_images.documents(manifests)
    found = chart_images.pod_images(docs)
    houston = chart_images.houston_config(docs)
    for image, origins in (chart_images.houston_images(houston) | chart_images.embedded_images(houston)).items():
        found.setdefault(image, set()).update(origins)
    return found


def runtime_upstream(version: str) -> str:
    return f"{RUNTIME_V3_UPSTREAM if _RUNTIME_V3.match(version) else RUNTIME_UPSTREAM}:{version}"


def derive(render: StackRender, template: Template) -> Lock:
    values, prefix = render.values, render.mirror_prefix
    destinations = chart_images_of(template(values))
    sources: dict[tuple[str, str | None], set[str]] = {}
    for image in chart_images_of(template(upstream_values(values, prefix))):
        reference = parse(image)
        sources.setdefault((reference.basename, reference.tag), set()).add(image)

    problems: list[str] = []
    entries: dict[str, Entry] = {}

    def add(destination: str, source: str, origins: set[str]) -> None:
        known = entries.get(destination)
        if known is not None and known.source != source:
            problems.append(f"{destination}: two sources, {known.source} and {source}")
            return
        merged = set(known.origins if known else ()) | origins
        entries[destination] = Entry(destination, source, tuple(sorted(merged)))

    for image, origins in sorted(destinations.items()):
        reference = parse(image)
        if not in_repository(reference, prefix):
            problems.append(f"{image} ({', '.join(sorted(origins))}) is pulled from outside {prefix}")
            continue
        candidates = sources.get((reference.basename, reference.tag), set())
        if len(candidates) != 1:
            problems.append(f"{image}: the chart without the Artifactory values names "
                            f"{sorted(candidates) or 'no'} upstream image for {reference.basename}:{reference.tag}")
            continue
        add(image, candidates.pop(), origins)

    runtime_versions = render.runtime_versions()
    for version, keys in sorted(runtime_versions.items()):
        add(f"{render.runtime_repository}:{version}", runtime_upstream(version), {f"runtime:{k}" for k in keys})

    for base, dockerfiles in sorted(render.build_bases().items()):
        reference = parse(base)
        if not in_repository(reference, prefix):
            continue  # the program's own images (the Kerberos Runtime under the datakits)
        upstream = BUILD_BASE_UPSTREAMS.get(reference.basename)
        if upstream is None:
            problems.append(f"{base} ({', '.join(sorted(dockerfiles))}): no upstream known for "
                            f"{reference.basename} in vetting.derive.BUILD_BASE_UPSTREAMS")
            continue
        add(base, f"{upstream}:{reference.tag}", {f"build:{d}" for d in dockerfiles})

    if problems:
        raise LockError(f"stack {render.stack}:\n  " + "\n  ".join(problems))
    unpinned = tuple(sorted(
        repository for repository in bare_repositories(render)
        if not any(parse(d).repository_ref == repository for d in entries)))
    return Lock(stack=render.stack, chart_version=render.config.platform.chart_version,
                runtime_versions=tuple(sorted(runtime_versions)), values_fingerprint=fingerprint(values),
                entries=tuple(entries.values()), unpinned_repositories=unpinned)


def bare_repositories(render: StackRender) -> set[str]:
    """Repositories inside the mirror that the render names without a tag (chart and Houston values)."""
    prefix = render.mirror_prefix
    bare: set[str] = set()
    for text in render.references():
        reference: Reference = parse(text)
        if text != prefix and reference.tag is None and reference.digest is None and in_repository(reference, prefix):
            bare.add(text)
    return bare
