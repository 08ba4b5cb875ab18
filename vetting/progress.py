"""Progress lines for long runs (which image, its size, how many are left) and the closing summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Print = Callable[[str], None]


def _stdout(line: str) -> None:
    print(line, flush=True)


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@dataclass
class Outcome:
    image: str
    status: str
    """copied, present (nothing to copy), passed (scanned only) or failed"""
    why: str = ""
    size: int = 0


@dataclass
class Progress:
    total: int
    out: Print = _stdout
    outcomes: list[Outcome] = field(default_factory=list[Outcome])
    started: float = field(default_factory=time.monotonic)

    def step(self, image: str, message: str) -> None:
        left = self.total - len(self.outcomes)
        self.out(f"[{len(self.outcomes) + 1}/{self.total}, {left - 1} left after this] {image}: {message}")

    def done(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        detail = f" ({human(outcome.size)})" if outcome.size else ""
        self.out(f"    {outcome.status}{detail}{': ' + outcome.why if outcome.why else ''}")

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> int:
        """Print the summary; the exit code (1 when any image failed)."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        moved = sum(o.size for o in self.outcomes if o.status == "copied")
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.out(f"summary: {len(self.outcomes)} images: {parts or 'none'}; {human(moved)} copied "
                 f"in {time.monotonic() - self.started:.1f} s")
        for outcome in self.failed():
            print(f"FAILED {outcome.image}: {outcome.why}", file=sys.stderr, flush=True)
        return 1 if self.failed() else 0
