"""Writing a kit over an earlier one without losing a team's edits.

The kit keeps a manifest of the sha256 of every file as it was generated. A file whose bytes still
match the manifest (or the new content) is the kit's to replace; any other existing file was edited
or added by the team, and the write stops naming them unless forced. Nothing is written then.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenant_kit.errors import KitError

MANIFEST = ".tenant-kit-manifest.json"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class WriteResult:
    written: list[str]
    unchanged: list[str]
    removed: list[str]


def _manifest(out: Path) -> dict[str, str]:
    path = out / MANIFEST
    if not path.exists():
        return {}
    try:
        document: Any = json.loads(path.read_text())
        files: dict[str, str] = {str(k): str(v) for k, v in dict[Any, Any](document["files"]).items()}
    except (ValueError, KeyError, TypeError):
        raise KitError(f"{path}: not a kit manifest; remove it or write the kit elsewhere") from None
    return files


def edited(out: Path, files: dict[str, str]) -> list[str]:
    """The files at ``out`` the write would replace or remove although the kit did not write them so."""
    recorded = _manifest(out)
    changed: list[str] = []
    for relative in sorted(set(files) | set(recorded)):
        target = out / relative
        if not target.is_file():
            continue
        current = digest(target.read_bytes())
        new = digest(files[relative].encode()) if relative in files else None
        if current not in (new, recorded.get(relative)):
            changed.append(relative)
    return changed


def write_kit(out: Path, files: dict[str, str], force: bool) -> WriteResult:
    """Write ``files`` under ``out``; refuse, naming them, to replace files the team changed unless ``force``."""
    changed = edited(out, files)
    if changed and not force:
        raise KitError(f"{out}: changed since the kit wrote them, not overwritten: {', '.join(changed)} "
                       "(keep your copy, or FORCE=1 / --force to replace them)")
    recorded = _manifest(out)
    written: list[str] = []
    unchanged: list[str] = []
    for relative, content in sorted(files.items()):
        target = out / relative
        data = content.encode()
        if target.is_file() and target.read_bytes() == data:
            unchanged.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(relative)
    # A file an earlier kit wrote and this one no longer does (another example DAG) goes, unless edited.
    removed = [r for r in sorted(set(recorded) - set(files)) if (out / r).is_file() and (force or r not in changed)]
    for relative in removed:
        (out / relative).unlink()
    manifest = {"files": {relative: digest(content.encode()) for relative, content in sorted(files.items())}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return WriteResult(written, unchanged, removed)
