"""Chart templates that render a pod spec without the registry pull secret, and the values that gate them.

Against an Artifactory that requires authentication such a pod cannot pull its image; when it is
a hook, the atomic install rolls back. The program's values keep every gate off (a test checks
each line); config validation refuses ``platform.valuesOverrides`` that would turn one on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast


@dataclass(frozen=True)
class UnsecretedPodTemplate:
    """A chart template that renders a pod spec without imagePullSecrets, and the value that gates it."""

    template: str
    """path of the template in astronomer/astronomer"""
    gate: str
    """dotted value path; the template renders when it is truthy (Go template ``if``)"""
    default: Any
    """the chart's own default for ``gate``, used when the values leave it unset"""


_PGBOUNCER = UnsecretedPodTemplate(
    "charts/pgbouncer/templates/pgbouncer-deployment.yaml", "global.pgbouncer.enabled", False
)
# Read in astronomer/astronomer at each line's tag: every template rendering a Deployment,
# StatefulSet, DaemonSet, Job, CronJob or Pod. All the others include a <chart>.imagePullSecrets
# helper, which renders the pull secret when global.privateRegistry.enabled and .secretName are set.
UNSECRETED_POD_TEMPLATES: dict[str, tuple[UnsecretedPodTemplate, ...]] = {
    # v0.37.7: the namespace-labeller hook Job `<release>-platform-labeller` (`{{- if
    # .Values.global.networkNSLabels }}`, values.yaml default false); pgbouncer (`{{- if
    # .Values.global.pgbouncer.enabled }}`, also its Chart.yaml condition, default false).
    "0.37": (UnsecretedPodTemplate("charts/astronomer/templates/add-labels-to-namespace.yaml",
                                   "global.networkNSLabels", False), _PGBOUNCER),
    # v1.2.0 and v2.1.0: the labeller Job includes astronomer.imagePullSecrets; pgbouncer as above.
    "1": (_PGBOUNCER,),
    "2": (_PGBOUNCER,),
}

UNSET = object()


def value_at(values: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of chart values, or ``UNSET``."""
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return UNSET
        node = cast(Mapping[str, Any], node)[part]
    return node


def unsecreted_templates(values: Mapping[str, Any], line: str, defaults: bool = True) -> list[UnsecretedPodTemplate]:
    """The templates of chart ``line`` that ``values`` would render without the pull secret.

    With ``defaults`` False only gates that ``values`` sets count (for overrides checked alone).
    """
    found: list[UnsecretedPodTemplate] = []
    for template in UNSECRETED_POD_TEMPLATES.get(line, ()):
        value = value_at(values, template.gate)
        if value is UNSET:
            value = template.default if defaults else False
        # Go templates treat false, 0, nil and empty strings, maps and lists as false, as Python does.
        if value:
            found.append(template)
    return found
