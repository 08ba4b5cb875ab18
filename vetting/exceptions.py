"""The reviewed gate file (``vetting-exceptions.yaml``): the severity that fails the gate and the accepted
findings, each for one image and one CVE, with a reason and an expiry date."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from vetting.reference import InvalidReferenceError, parse

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS_FILE = ROOT / "vetting-exceptions.yaml"
SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class CveException:
    image: str
    """upstream repository (every tag) or repository:tag, as in the lock's ``source``"""
    cve: str
    reason: str
    expires: datetime.date
    """the last day it applies"""

    def covers(self, source: str, cve: str) -> bool:
        reference = parse(source)
        untagged = reference.repository_ref
        tagged = f"{untagged}:{reference.tag}" if reference.tag else untagged
        return cve == self.cve and self.image in (untagged, tagged)


@dataclass(frozen=True)
class GatePolicy:
    threshold: str
    """findings at or above this severity fail the gate"""
    exceptions: tuple[CveException, ...] = ()


class PolicyError(ValueError):
    pass


def parse_policy(text: str, where: str = EXCEPTIONS_FILE.name) -> GatePolicy:
    document = cast(dict[str, Any], yaml.safe_load(text) or {})
    threshold = str(document.get("severityThreshold", "")).upper()
    if threshold not in SEVERITIES:
        raise PolicyError(f"{where}: severityThreshold must be one of {', '.join(SEVERITIES)}")
    found: list[CveException] = []
    for index, raw in enumerate(cast(list[dict[str, Any]], document.get("exceptions") or [])):
        key = f"{where}: exceptions[{index}]"
        missing = [k for k in ("image", "cve", "reason", "expires") if not raw.get(k)]
        if missing:
            raise PolicyError(f"{key}: missing {', '.join(missing)}")
        if not isinstance(raw["expires"], datetime.date):
            raise PolicyError(f"{key}.expires: a date (YYYY-MM-DD), got {raw['expires']!r}")
        try:
            parse(str(raw["image"]))
        except InvalidReferenceError as error:
            raise PolicyError(f"{key}.image: {error}") from None
        found.append(CveException(str(raw["image"]), str(raw["cve"]), str(raw["reason"]), raw["expires"]))
    return GatePolicy(threshold, tuple(found))


def load_policy(path: Path = EXCEPTIONS_FILE) -> GatePolicy:
    return parse_policy(path.read_text(), path.name)
