"""``make mirror``: for each lock entry, copy the upstream image into Artifactory unless it is there already,
after the scan gate passed on exactly the digest that is copied; verify the digest after the copy and
record it in the lock. The lock is written only when every image succeeded, so a failed run leaves it
unchanged (a rerun skips what was copied)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from vetting.gate import Verdict
from vetting.lockfile import Entry, Lock
from vetting.progress import Outcome, Progress
from vetting.reference import parse
from vetting.registry import Regctl, RegistryError
from vetting.scanner import ScanError

Gate = Callable[[Entry, str], Verdict]
"""(entry, source pinned by digest) -> the gate's verdict"""


class MirrorError(Exception):
    pass


def _mirror_one(entry: Entry, regctl: Regctl, gate: Gate, progress: Progress) -> tuple[Outcome, str]:
    source_digest = regctl.digest(entry.source)
    if source_digest is None:
        raise MirrorError(f"source {entry.source} not found upstream")
    if entry.digest is not None and entry.digest != source_digest:
        raise MirrorError(f"source {entry.source} now is {source_digest}, the lock has {entry.digest}: "
                            "the upstream tag moved; vet it and record it with a new lock")
    present = regctl.digest(entry.destination)
    if present == source_digest:
        return Outcome(entry.destination, "present"), source_digest
    if present is not None:
        raise MirrorError(f"{entry.destination} already holds {present}, not the source's {source_digest}; "
                            "a tag in Artifactory is never overwritten")
    pinned = str(parse(entry.source).with_digest(source_digest))
    size = regctl.size(pinned)
    progress.step(entry.destination, f"scanning {pinned}")
    verdict = gate(entry, pinned)
    if not verdict.passed:
        raise MirrorError("scan gate: " + "; ".join(verdict.reasons()))
    progress.step(entry.destination, f"copying {entry.source} ({source_digest}, {size} bytes)")
    regctl.copy(pinned, entry.destination)
    copied = regctl.digest(entry.destination)
    if copied != source_digest:
        raise MirrorError(f"after the copy {entry.destination} is {copied}, the source {source_digest}")
    return Outcome(entry.destination, "copied", size=size), source_digest


def mirror(lock: Lock, regctl: Regctl, gate: Gate, progress: Progress) -> Lock:
    """The lock with every mirrored digest recorded; check ``progress.failed()`` before saving it."""
    digests: dict[str, str] = {}
    for entry in sorted(lock.entries, key=lambda e: e.destination):
        progress.step(entry.destination, f"checking {entry.source}")
        try:
            outcome, digest = _mirror_one(entry, regctl, gate, progress)
        except (MirrorError, RegistryError, ScanError) as error:
            progress.done(Outcome(entry.destination, "failed", str(error)))
            continue
        digests[entry.destination] = digest
        progress.done(outcome)
    return lock.with_digests(digests)


def vet(lock: Lock, regctl: Regctl, gate: Gate, progress: Progress) -> None:
    """The scan gate alone on every source image (``make vet``), whatever is in Artifactory."""
    for entry in sorted(lock.entries, key=lambda e: e.destination):
        progress.step(entry.source, "scanning")
        try:
            digest = regctl.digest(entry.source)
            if digest is None:
                raise MirrorError(f"source {entry.source} not found upstream")
            verdict = gate(entry, str(parse(entry.source).with_digest(digest)))
        except (MirrorError, RegistryError, ScanError) as error:
            progress.done(Outcome(entry.source, "failed", str(error)))
            continue
        progress.done(Outcome(entry.source, "passed" if verdict.passed else "failed",
                              "; ".join(verdict.reasons()) or f"{len(verdict.excepted)} excepted finding(s)"))


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()
