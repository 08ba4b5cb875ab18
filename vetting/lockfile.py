"""The lock file: per stack, every upstream image the platform pulls, where it goes in Artifactory and,
once mirrored, its digest. Committed as ``locks/<stack>.json``; written sorted, so a change reads as a diff."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from devtools.owned import replace_file

ROOT = Path(__file__).resolve().parent.parent
LOCK_DIR = ROOT / "locks"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    destination: str
    """exactly the reference the rendered values or Houston config pull, in Artifactory"""
    source: str
    """the upstream reference the chart names for it"""
    origins: tuple[str, ...]
    """where the image is named: chart objects, Houston config keys, Runtime versions, Dockerfiles"""
    digest: str | None = None
    """the mirrored digest (index digest for a multi-architecture image); None until mirrored"""


@dataclass(frozen=True)
class Lock:
    stack: str
    chart_version: str
    runtime_versions: tuple[str, ...]
    values_fingerprint: str
    """sha256 of the chart values that decide which pods the chart renders (vetting.chart_values)"""
    entries: tuple[Entry, ...] = field(default_factory=tuple[Entry, ...])
    unpinned_repositories: tuple[str, ...] = ()
    """repositories the render names without a tag, of which neither the chart nor a Runtime version
    pulls an image (Astronomer Certified's ``ap-airflow``, retired)"""

    def by_destination(self) -> dict[str, Entry]:
        return {entry.destination: entry for entry in self.entries}

    def with_digests(self, digests: dict[str, str]) -> Lock:
        """A copy with ``digests`` (destination -> digest) recorded."""
        return replace(self, entries=tuple(
            replace(entry, digest=digests.get(entry.destination, entry.digest)) for entry in self.entries))


def path_for(stack: str, directory: Path = LOCK_DIR) -> Path:
    return directory / f"{stack}.json"


def to_json(lock: Lock) -> str:
    document = {
        "format": FORMAT,
        "stack": lock.stack,
        "chartVersion": lock.chart_version,
        "runtimeVersions": sorted(lock.runtime_versions),
        "valuesFingerprint": lock.values_fingerprint,
        "unpinnedRepositories": sorted(lock.unpinned_repositories),
        "images": [
            {"destination": e.destination, "source": e.source, "origins": sorted(e.origins), "digest": e.digest}
            for e in sorted(lock.entries, key=lambda e: e.destination)
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def from_json(text: str) -> Lock:
    document = cast(dict[str, Any], json.loads(text))
    if document.get("format") != FORMAT:
        raise ValueError(f"lock format {document.get('format')!r}, expected {FORMAT}")
    images = cast(list[dict[str, Any]], document["images"])
    return Lock(
        stack=str(document["stack"]),
        chart_version=str(document["chartVersion"]),
        runtime_versions=tuple(str(v) for v in cast(list[Any], document["runtimeVersions"])),
        values_fingerprint=str(document["valuesFingerprint"]),
        entries=tuple(Entry(str(i["destination"]), str(i["source"]), tuple(str(o) for o in i["origins"]),
                            None if i.get("digest") is None else str(i["digest"])) for i in images),
        unpinned_repositories=tuple(str(r) for r in cast(list[Any], document.get("unpinnedRepositories", []))),
    )


def load(path: Path) -> Lock:
    return from_json(path.read_text())


def _is_lock_of(stack: str, text: str) -> bool:
    try:
        return from_json(text).stack == stack
    except (ValueError, KeyError, TypeError):
        return False


def save(lock: Lock, path: Path) -> None:
    """Write atomically (a reader never sees half a lock), and over an existing file only when it is this
    stack's lock (``devtools.owned.OwnershipError`` otherwise)."""
    replace_file(path, to_json(lock), lambda text: _is_lock_of(lock.stack, text), f"lock of stack {lock.stack}")
