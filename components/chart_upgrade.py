"""Moving a stack from one platform chart line to another: what is refused, what must be done first.

Astronomer supports upgrades between chart lines (0.37 -> 1.x -> 2.x, or 0.37 -> 2.x directly),
each with a guide of steps outside Helm (a database backup, a maintenance window, renamed Services),
and no downgrades: the platform database has been migrated forward by then. The program compares
the chart version it is about to install with the one the stack last deployed (its own
``chartVersion`` output, read through a stack reference) and refuses a downgrade unless
``platform.allowDowngradeFrom`` names the exact version being left; an upgrade prints its guide.
The offline diff applies the same rule between a pull request's base and head renders.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.platform_values import chart_line

CHART_VERSION_OUTPUT = "chartVersion"
"""the stack output holding the chart version the stack last deployed"""
LINE_ORDER = ("0.37", "1", "2")


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
    if old not in LINE_ORDER or new not in LINE_ORDER or old == new:
        return LineChange()
    if LINE_ORDER.index(new) < LINE_ORDER.index(old):
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


def deployed_version_gate(desired: str, allow_downgrade_from: str | None) -> pulumi.Output[pulumi.Resource]:
    """A dependency for the Helm release that fails the run on a refused line change and prints the
    upgrade guide on a change of line (in `pulumi preview` too), read from this stack's own last
    ``chartVersion`` output."""
    own_stack = f"{pulumi.get_organization() or 'organization'}/{pulumi.get_project()}/{pulumi.get_stack()}"
    deployed = pulumi.StackReference("deployed-platform", stack_name=own_stack)

    def judge(version: object) -> pulumi.Resource:
        change = line_change(version if isinstance(version, str) else None, desired, allow_downgrade_from)
        if change.refusal:
            # Reported without a traceback; the release never starts.
            raise pulumi.RunError(change.refusal)
        if change.notes:
            pulumi.log.warn(change.notes)
        return deployed

    return deployed.get_output(CHART_VERSION_OUTPUT).apply(judge)
