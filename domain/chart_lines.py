"""The platform chart's lines (0.37, 1.x, 2.x) and what moving a stack between them means.

Astronomer supports upgrades between chart lines (0.37 -> 1.x -> 2.x, or 0.37 -> 2.x directly),
each with a guide of steps outside Helm (a database backup, a maintenance window, renamed Services),
and no downgrades: the platform database has been migrated forward by then. The program and the
offline diff judge a change of chart version with the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

CHART_LINES = ("0.37", "1", "2")
"""the supported lines, oldest first"""


def chart_line(version: str) -> str:
    """``0.37.7`` -> ``0.37``, ``1.2.0`` -> ``1``, ``2.1.0`` -> ``2``."""
    major, minor = version.split(".")[:2]
    return f"0.{minor}" if major == "0" else major


@dataclass(frozen=True)
class UpgradeGuide:
    url: str
    steps: tuple[str, ...]


_BACKUP = ("back up the platform database (snapshot or pg_dump) and check that every platform and Airflow pod "
           "is healthy")
_DOWNTIME = ("plan a maintenance window: NATS, STAN and Houston are recreated, so deployments cannot be created or "
             "updated meanwhile")
_VALUES = "platform.valuesOverrides must use the new line's key paths (this program writes its own values for the line)"
# Astronomer's upgrade guides (docs.astronomer.io, Astro Private Cloud), summarised.
GUIDES: dict[tuple[str, str], UpgradeGuide] = {
    ("0.37", "1"): UpgradeGuide(
        "https://www.astronomer.io/docs/astro-private-cloud/v-1-x/upgrade-037-to-1",
        ("be on 0.37.6 first", _BACKUP, _DOWNTIME,
         "convert Astronomer Units (AU) sizing to CPU and memory",
         "the control-plane ingress Service is renamed (astronomer-nginx -> astronomer-cp-nginx) and gets a new "
         "load-balancer address: update DNS, firewall allow-lists and certificates",
         "per-cluster deployments.* settings move from the values into the platform database", _VALUES),
    ),
    ("0.37", "2"): UpgradeGuide(
        "https://www.astronomer.io/docs/astro-private-cloud/v-2-x/upgrade-037-to-2",
        ("be on 0.37.4 first", _BACKUP, _DOWNTIME, "the 1.0 breaking changes apply as well (AU sizing, ingress rename)",
         _VALUES),
    ),
    ("1", "2"): UpgradeGuide(
        "https://www.astronomer.io/docs/astro-private-cloud/v-2-x/upgrade-1x-to-2",
        (_BACKUP, "global.* flags become nested .enabled keys: " + _VALUES),
    ),
}


@dataclass(frozen=True)
class LineChange:
    """The verdict on going from the deployed chart version to the desired one."""

    refusal: str | None = None
    """why the change is refused, or None"""
    notes: str | None = None
    """what the upgrade guide requires, for a change of line"""


def line_change(deployed: str | None, desired: str, allow_downgrade_from: str | None = None) -> LineChange:
    """``deployed`` is None for a stack that has not deployed the platform yet."""
    if not deployed or deployed == desired:
        return LineChange()
    old, new = chart_line(deployed), chart_line(desired)
    if old not in CHART_LINES or new not in CHART_LINES or old == new:
        return LineChange()
    if CHART_LINES.index(new) < CHART_LINES.index(old):
        if allow_downgrade_from == deployed:
            return LineChange(notes=(
                f"chart {deployed} -> {desired}: a downgrade of the chart line, allowed by "
                "platform.allowDowngradeFrom; restore the platform database from before the upgrade"))
        return LineChange(refusal=(
            f"platform.chartVersion: {desired} is on line {new}, below the deployed {deployed} (line {old}); "
            "Astronomer supports no downgrade of the chart line (the platform database has been migrated). "
            f"To do it anyway, set platform.allowDowngradeFrom: \"{deployed}\""))
    guide = GUIDES.get((old, new))
    steps = "; ".join(guide.steps) if guide else "read Astronomer's upgrade guide for these lines"
    where = f" ({guide.url})" if guide else ""
    return LineChange(notes=f"chart {deployed} -> {desired} upgrades line {old} to {new}{where}: "
                            f"before `pulumi up`, {steps}")
