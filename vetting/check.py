"""Offline: does a committed lock still match the program's render? Every image reference into the mirror
has a lock entry, every entry is used, and the inputs the lock was derived from (chart version, the
values that decide the chart's pods, Runtime versions) are unchanged. Runs without the chart or a network."""

from __future__ import annotations

from vetting.chart_values import fingerprint
from vetting.derive import bare_repositories
from vetting.lockfile import Lock
from vetting.reference import parse
from vetting.render_view import StackRender, in_repository

RELOCK = "run `make images-lock` where the chart is reachable (docs/image-vetting.md)"


def problems(lock: Lock, render: StackRender) -> list[str]:
    """What does not match, one line each; empty when the lock is current."""
    found: list[str] = []
    prefix = render.mirror_prefix
    destinations = lock.by_destination()
    repositories = {parse(d).repository_ref for d in destinations}

    if lock.stack != render.stack:
        found.append(f"the lock is for stack {lock.stack}, not {render.stack}")
    if lock.chart_version != render.config.platform.chart_version:
        pinned = render.config.platform.chart_version
        found.append(f"the lock lists chart {lock.chart_version}, the stack pins {pinned}")
    if lock.values_fingerprint != fingerprint(render.values):
        found.append("the chart values that decide which pods the chart renders changed since the lock")
    runtime = render.runtime_versions()
    if sorted(lock.runtime_versions) != sorted(runtime):
        found.append(f"Runtime versions: the lock has {sorted(lock.runtime_versions)}, "
                     f"the stack uses {sorted(runtime)}")

    # Every reference into the mirror: a tagged one is an entry, a bare repository holds entries or is
    # recorded as one nothing pulls a tag from.
    expected: set[str] = set()
    for text, files in sorted(render.references().items()):
        reference = parse(text)
        if text == prefix or not in_repository(reference, prefix):
            continue
        if reference.tag or reference.digest:
            expected.add(text)
            if text not in destinations:
                found.append(f"{text} (in {', '.join(sorted(files))}) has no lock entry")
        elif text not in repositories and text not in lock.unpinned_repositories:
            found.append(f"{text} (in {', '.join(sorted(files))}) has no lock entry and is not an unpinned repository")
    bare = bare_repositories(render)
    for repository in lock.unpinned_repositories:
        if repository not in bare:
            found.append(f"unpinned repository {repository} is no longer named by the render")
        elif repository in repositories:
            found.append(f"unpinned repository {repository} has lock entries")
    for version in runtime:
        expected.add(f"{render.runtime_repository}:{version}")
    expected |= {base for base in render.build_bases() if in_repository(parse(base), prefix)}
    for image in sorted(expected - set(destinations)):
        if image not in render.references():
            found.append(f"{image} (a Runtime version or a build base) has no lock entry")

    for destination, entry in sorted(destinations.items()):
        if not in_repository(parse(destination), prefix):
            found.append(f"{destination} is outside the mirror {prefix}")
        # Chart entries are used through the private registry: current as long as chart and values are.
        from_chart = any(not origin.startswith(("runtime:", "build:")) for origin in entry.origins)
        if destination not in expected and not from_chart:
            found.append(f"{destination} is in the lock but nothing pulls it")
    if found:
        found.append(RELOCK)
    return found
