"""Two views of the program's chart values that the lock needs.

``upstream_values``: the values with every Artifactory rewrite taken out, so that ``helm template`` names
each image where the chart takes it from (the lock's sources).

``fingerprint``: a digest of the values that decide which pods the chart renders, and so which images it
pulls. Left out: names and ids that only fill fields (the base domain, the TLS Secret, the pool
namespaces, the control-plane id), Houston's config, which the chart writes verbatim into a
config map (its image references are checked one by one instead), Houston's secret environment and pod
annotations (the sign-in client secrets' references and version), and the monitoring content (alert
rules, routes, receivers, retention). A tenant added to a stack therefore does not stale the lock; a
switched-on feature does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, cast

# Key paths whose values cannot change the set of images (see the module docstring).
_NOT_IMAGE_DECIDING = (
    ("global", "baseDomain"),
    ("global", "tlsSecret"),
    ("global", "controlPlaneHA", "cpId"),
    ("global", "namespaceManagement", "namespacePools", "namespaces", "names"),
    ("global", "features", "namespacePools", "namespaces", "names"),
    ("astronomer", "houston", "config"),
    ("astronomer", "houston", "secret"),
    ("astronomer", "houston", "podAnnotations"),
    # Monitoring content: rules, scrape jobs, routes, receivers and their credential mount. Alert
    # routing follows the tenants, and must not stale the lock either.
    ("prometheus", "additionalAlerts"),
    ("prometheus", "additionalScrapeJobs"),
    ("prometheus", "retention"),
    ("prometheus", "persistence"),
    ("alertmanager", "receivers"),
    ("alertmanager", "customRoutes"),
    ("alertmanager", "customReceiver"),
    ("alertmanager", "extraVolumes"),
    ("alertmanager", "extraVolumeMounts"),
)


def _without(values: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy = dict(values)
    head, rest = path[0], path[1:]
    if head in copy:
        if not rest:
            del copy[head]
        elif isinstance(copy[head], Mapping):
            copy[head] = _without(cast(Mapping[str, Any], copy[head]), rest)
    return copy


def fingerprint(values: Mapping[str, Any]) -> str:
    reduced = dict(values)
    for path in _NOT_IMAGE_DECIDING:
        reduced = _without(reduced, path)
    canonical = json.dumps(reduced, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _strip(node: Any, prefix: str) -> Any:
    if isinstance(node, Mapping):
        kept = {k: _strip(v, prefix) for k, v in cast(Mapping[str, Any], node).items()
                if not (isinstance(v, str) and (v == prefix or v.startswith(prefix + "/")))}
        return {k: v for k, v in kept.items() if v != {}}
    return node


def upstream_values(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """``values`` without the private registry and without any value inside ``prefix`` (Artifactory)."""
    stripped = cast(dict[str, Any], _strip(values, prefix))
    global_values = cast(dict[str, Any], stripped.setdefault("global", {}))
    global_values["privateRegistry"] = {"enabled": False}
    return stripped
