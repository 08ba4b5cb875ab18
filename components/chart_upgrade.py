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

import pulumi

from domain.chart_lines import line_change

CHART_VERSION_OUTPUT = "chartVersion"
"""the stack output holding the chart version the stack last deployed"""


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
