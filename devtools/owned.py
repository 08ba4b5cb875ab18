"""Writing only what a command wrote itself: a folder it owns, and files it replaces.

A command that writes a folder keeps a manifest in it: the sha256 of every file it wrote. That manifest is
the proof that the folder, and each file listed with unchanged bytes, is the command's to replace or
delete. A folder without one is the command's only while it is empty or absent; a file the manifest does
not list, or whose bytes changed since, belongs to someone else and is never deleted or overwritten: the
command refuses, naming it. A single file is replaced only when its content shows the command wrote it
(a lock file parses as a lock of its stack).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# How many foreign paths a refusal names before it counts the rest.
_NAMED = 5


class OwnershipError(Exception):
    """A folder or file the command did not write; the message is one line naming it and what to do."""


@dataclass(frozen=True)
class Owner:
    """A command that writes folders: the name of its manifest file, and how messages name it."""

    manifest: str
    what: str


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded(folder: Path, owner: Owner) -> dict[str, str] | None:
    """The files the manifest lists (relative path -> sha256), or None when the folder holds no manifest."""
    path = folder / owner.manifest
    if not path.is_file():
        return None
    try:
        document: Any = json.loads(path.read_text())
        return {str(k): str(v) for k, v in dict[Any, Any](document["files"]).items()}
    except (ValueError, KeyError, TypeError, OSError):
        raise OwnershipError(f"{path}: not a manifest of the {owner.what}; the folder is not the {owner.what}'s to "
                             "write: choose an empty or new folder") from None


def save_manifest(folder: Path, owner: Owner, hashes: Mapping[str, str]) -> None:
    document = {"writtenBy": owner.what, "files": dict(sorted(hashes.items()))}
    (folder / owner.manifest).write_text(json.dumps(document, indent=2) + "\n")


def _entries(folder: Path) -> list[str]:
    """Every file, link and empty folder under ``folder``, relative, without descending into linked folders."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        found += [str(base / name) for name in files]
        found += [str(base / name) for name in dirs if (Path(root) / name).is_symlink()]
        if not dirs and not files and Path(root) != folder:
            found.append(str(base))
    return sorted(found)


def _listing(paths: list[str]) -> str:
    named = ", ".join(paths[:_NAMED])
    return named + (f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else "")


def claim(folder: Path, owner: Owner, others_allowed: bool = False) -> dict[str, str]:
    """The files the owner wrote in ``folder`` (empty for a new or empty folder), after checking the folder is its.

    Refused: a path that is a file or a link, and a folder that is not empty yet holds no manifest. Unless
    ``others_allowed``, also a folder holding anything the manifest does not list, or a listed file whose bytes
    changed: replacing the folder would delete it.
    """
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OwnershipError(f"{folder}: not a folder (a file or a link); the {owner.what} writes only into a folder "
                             "of its own: choose another")
    if not folder.exists():
        return {}
    files = recorded(folder, owner)
    if files is None:
        held = sorted(entry.name for entry in folder.iterdir())
        if held:
            raise OwnershipError(f"{folder}: not empty and not written by the {owner.what} (no {owner.manifest}), "
                                 f"so not replaced: it holds {_listing(held)}; choose an empty or new folder, or "
                                 "move what it holds yourself")
        return {}
    if not others_allowed:
        entries = [e for e in _entries(folder) if e != owner.manifest]
        foreign = [e for e in entries if e not in files or not (folder / e).is_file() or (folder / e).is_symlink()
                   or digest((folder / e).read_bytes()) != files[e]]
        if foreign:
            raise OwnershipError(f"{folder}: holds files the {owner.what} did not write or that changed since, so "
                                 f"not replaced: {_listing(foreign)}; move them, or choose another folder")
    return files


def replace_folder(folder: Path, owner: Owner, files: Mapping[str, str]) -> None:
    """Make ``files`` (relative path -> text) the folder's whole content, with a manifest of them.

    The new content is written beside the folder, then swapped in, so a reader never sees half of it; the
    old content goes only when ``claim`` shows the owner wrote all of it.
    """
    old = claim(folder, owner)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        save_manifest(staging, owner, {relative: digest(content.encode()) for relative, content in files.items()})
        if folder.exists():
            _remove_owned(folder, owner, old)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_owned(folder: Path, owner: Owner, files: Mapping[str, str]) -> None:
    """Delete what the owner wrote, then the folders that leaves empty; anything else stays, and stops it."""
    for relative in files:
        (folder / relative).unlink(missing_ok=True)
    (folder / owner.manifest).unlink(missing_ok=True)
    for root, _, _ in sorted(os.walk(folder), key=lambda entry: len(entry[0]), reverse=True):
        try:
            Path(root).rmdir()
        except OSError:
            raise OwnershipError(f"{folder}: something was added while the {owner.what} was written; it is kept, "
                                 f"and the new {owner.what} is not swapped in") from None


def remove_folder(folder: Path, owner: Owner) -> None:
    """Delete a folder the owner wrote, whole; refused, deleting nothing, when it holds anything else."""
    files = claim(folder, owner)
    if folder.exists():
        _remove_owned(folder, owner, files)


def replace_file(path: Path, content: str, ours: Callable[[str], bool], what: str) -> None:
    """Write ``content`` to ``path`` atomically; an existing file only when ``ours(its text)`` shows the command
    wrote it."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise OwnershipError(f"{path}: not a regular file; the {what} is written only to a file of its own")
    if path.exists():
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            text = None
        if text is None or not ours(text):
            raise OwnershipError(f"{path}: not a {what}, so not overwritten; move it, or choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w") as out:
        out.write(content)
    os.chmod(partial, 0o644)  # mkstemp makes it private; these are files to read and commit
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.owned remove --manifest NAME --what WHAT FOLDER...``: what ``make clean`` runs
    (standard library only, so it works without the virtualenv)."""
    parser = argparse.ArgumentParser(prog="python -m devtools.owned", description="delete folders a command wrote")
    parser.add_argument("action", choices=["remove"])
    parser.add_argument("--manifest", required=True, help="the manifest that shows the command wrote a folder")
    parser.add_argument("--what", required=True, help="the command, as messages name it")
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_intermixed_args(argv)
    kept = 0
    for folder in args.folders:
        try:
            remove_folder(folder, Owner(args.manifest, args.what))
        except OwnershipError as error:
            print(f"kept {error}", file=sys.stderr)
            kept += 1
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main())
