"""Tickets with MIT Kerberos: ``kinit`` from a keytab into a private cache file, ``klist`` to read it.

Keytab and cache live in a fresh 0700 directory under the work dir (an in-memory volume); the keytab
is deleted as soon as kinit returns and the directory once the cache has been read.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kerberos_manager.failures import CycleError, Reason

_PREFIX = "cycle-"
_TIMEOUT_SECONDS = 60
# klist under LC_ALL=C prints "%x %X" times (MM/DD/YY HH:MM:SS); TZ=UTC makes them UTC.
_TIME = r"(\d\d/\d\d/\d\d \d\d:\d\d:\d\d)"
_TGT_LINE = re.compile(rf"^{_TIME}\s+{_TIME}\s+krbtgt/", re.M)
_PRINCIPAL_LINE = re.compile(r"^Default principal: (\S+)$", re.M)
_UNREACHABLE = ("Cannot contact any KDC", "Cannot find KDC", "Cannot resolve network address")


@dataclass(frozen=True)
class Ticket:
    principal: str
    starts: float
    """epoch seconds"""
    expires: float
    """epoch seconds"""
    cache: bytes = field(repr=False)
    """the credential cache file, as kinit wrote it"""


def remove_leftovers(work_dir: Path) -> None:
    """Delete keytabs and caches a killed process left in the work dir (it outlives the container)."""
    for leftover in work_dir.glob(f"{_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def obtain_ticket(keytab: bytes, principal: str, lifetime_seconds: int, work_dir: Path) -> Ticket:
    """An addressless TGT for ``principal`` from ``keytab`` (``kinit -k -t ... -A -l ...``)."""
    directory = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=work_dir))
    try:
        cache = directory / "ccache"
        keytab_path = directory / "keytab"
        descriptor = os.open(keytab_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(keytab)
            _run(["kinit", "-k", "-t", str(keytab_path), "-A", "-l", f"{lifetime_seconds}s", "-c", f"FILE:{cache}",
                  principal], Reason.KINIT)
        finally:
            keytab_path.unlink(missing_ok=True)
        return read_cache(cache.read_bytes(), cache)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def read_cache(data: bytes, path: Path) -> Ticket:
    """The principal and TGT times of the cache at ``path`` (whose bytes are ``data``)."""
    listing = _run(["klist", "-c", f"FILE:{path}"], Reason.KINIT)
    principal = _PRINCIPAL_LINE.search(listing)
    times = _TGT_LINE.search(listing)
    if principal is None or times is None:
        raise CycleError(Reason.KINIT, "klist shows no ticket-granting ticket in the new cache")
    return Ticket(principal.group(1), _epoch(times.group(1)), _epoch(times.group(2)), data)


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%m/%d/%y %H:%M:%S").replace(tzinfo=UTC).timestamp()


def _run(args: list[str], reason: Reason) -> str:
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    try:
        result = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise CycleError(Reason.KDC_UNREACHABLE, f"{args[0]} did not finish within {_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise CycleError(reason, f"{args[0]} could not run: {error.strerror}") from None
    if result.returncode != 0:
        # kinit's and klist's messages name the principal and the error, never key material.
        message = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        if any(marker in message for marker in _UNREACHABLE):
            raise CycleError(Reason.KDC_UNREACHABLE, message)
        raise CycleError(reason, message)
    return result.stdout
