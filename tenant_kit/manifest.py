"""Writing a kit over an earlier one without losing a team's edits, or anything else in the folder.

The kit keeps a manifest (``devtools.owned``): for each of its files, the sha256 of the version the platform
last gave the team there. The kit writes only into a new or empty folder or one holding that manifest; in it
the team's own files (their DAGs, ``.env``) are never touched. A kit file whose bytes still match the
manifest follows the stack. A kit file the team edited is kept as the team left it, and when the stack's
version of it changed, the new version is written beside it as ``<file>.from-platform`` for the team to
merge; ``force`` replaces the edited file instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from devtools.owned import Owner, OwnershipError, claim, digest, save_manifest

MANIFEST = ".tenant-kit-manifest.json"
KIT = Owner(MANIFEST, "tenant kit")
FROM_PLATFORM = ".from-platform"


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list[str])
    unchanged: list[str] = field(default_factory=list[str])
    removed: list[str] = field(default_factory=list[str])
    kept: list[str] = field(default_factory=list[str])
    """kit files the team edited, left as they are"""
    offered: list[str] = field(default_factory=list[str])
    """``<file>.from-platform`` written beside an edited file: the stack's new version of it"""


class _Writer:
    def __init__(self, out: Path, recorded: dict[str, str]) -> None:
        self.out = out
        self.recorded = recorded
        self.manifest: dict[str, str] = {}
        self.result = WriteResult()

    def ours(self, relative: str) -> bool:
        """Whether the file at ``relative`` holds what the kit last wrote there."""
        target = self.out / relative
        return (relative in self.recorded and target.is_file() and not target.is_symlink()
                and digest(target.read_bytes()) == self.recorded[relative])

    def write(self, relative: str, data: bytes) -> None:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def file(self, relative: str, content: str, force: bool) -> None:
        target, data = self.out / relative, content.encode()
        new = digest(data)
        self.manifest[relative] = new
        absent = not target.exists() and not target.is_symlink()
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            self.result.unchanged.append(relative)
        elif absent or self.ours(relative) or (force and relative in self.recorded and target.is_file()):
            self.write(relative, data)
            self.result.written.append(relative)
        else:
            self.keep(relative, data, new)

    def keep(self, relative: str, data: bytes, new: str) -> None:
        """The team's version stays; the stack's new one goes beside it when it changed since last given."""
        self.result.kept.append(relative)
        beside = relative + FROM_PLATFORM
        if new == self.recorded.get(relative):
            if beside in self.recorded:  # still there for the team to merge
                self.manifest[beside] = self.recorded[beside]
            return
        target = self.out / beside
        if target.exists() and not self.ours(beside):
            raise OwnershipError(f"{target}: not written by the tenant kit, so not overwritten with the stack's new "
                                 f"version of {relative}; move it and run again")
        self.write(beside, data)
        self.manifest[beside] = new
        self.result.offered.append(beside)

    def retire(self, relative: str, force: bool) -> None:
        """A file the kit wrote earlier and no longer does (another example DAG, a merged .from-platform)."""
        target = self.out / relative
        if not target.is_file() or relative in self.manifest:
            return
        if self.ours(relative) or (force and not relative.endswith(FROM_PLATFORM)):
            target.unlink()
            self.result.removed.append(relative)


def write_kit(out: Path, files: dict[str, str], force: bool) -> WriteResult:
    """Write ``files`` under ``out``, keeping what the team changed (see the module's text)."""
    writer = _Writer(out, claim(out, KIT, others_allowed=True))
    for relative, content in sorted(files.items()):
        writer.file(relative, content, force)
    for relative in sorted(writer.recorded):
        writer.retire(relative, force)
    out.mkdir(parents=True, exist_ok=True)
    save_manifest(out, KIT, writer.manifest)
    return writer.result
