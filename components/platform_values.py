"""Helm values for the Astronomer platform chart: a pure function of the validated stack config.

Key paths follow the pinned chart's line (docs: astronomer-chart.md). The chart has no values
schema, so a misspelled key would be silently ignored by Helm: every path here was read from the
chart's own values and templates.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from config.models import StackConfig

PULL_SECRET_NAME = "artifactory-pull-secret"
BOOTSTRAP_SECRET_NAME = "astronomer-bootstrap"

# Namespace for the control-plane id: one fixed UUID per project and stack.
_CP_ID_NAMESPACE = uuid.UUID("6f1f4bb2-4f43-5a43-9a3b-1c1d7c2e0a11")

# Repositories (basenames) of the images Airflow deployments run, which global.privateRegistry
# does not rewrite: they are written into Houston's config verbatim.
_AIRFLOW_IMAGES = {
    "statsd": "ap-statsd-exporter",
    "redis": "ap-redis",
    "pgbouncer": "ap-pgbouncer",
    "pgbouncerExporter": "ap-pgbouncer-exporter",
    "gitSync": "ap-git-sync",
}
_GIT_SYNC_RELAY_IMAGES = {"gitDaemon": "ap-git-daemon", "gitSync": "ap-git-sync-relay"}
# The xcom sidecar image: ap-alpine on 0.37, ap-init from 1.x on.
_XCOM_IMAGE = {"0.37": "ap-alpine"}
_XCOM_IMAGE_DEFAULT = "ap-init"


def _line_keys(line: str) -> dict[str, Any]:
    """Values whose key paths differ between the 0.37/1.x layout and the 2.x layout."""
    nested = line == "2"

    def flag(legacy_key: str, nested_key: str, value: bool) -> dict[str, Any]:
        return {nested_key: {"enabled": value}} if nested else {legacy_key: value}

    return {
        "global": {
            **flag("postgresqlEnabled", "postgresql", False),
            **flag("rbacEnabled", "rbac", True),
            # The platform namespace carries the 'platform' label (set by this program), so
            # deployment network policies can select it by label.
            "networkNSLabels": {"enabled": True} if nested else True,
        },
        "houston": {
            "publicSignups": {"enabled": False} if nested else False,
            "emailConfirmation": {"enabled": False} if nested else False,
        },
    }


def _namespace_management(line: str, namespaces: list[str]) -> dict[str, Any]:
    pools = {
        "enabled": True,
        "createRbac": True,
        "namespaces": {"create": False, "names": namespaces},
    }
    if line == "2":
        return {
            "namespaceManagement": {
                "namespacePools": pools,
                "namespaceFreeFormEntry": {"enabled": False},
                "manualNamespaceNames": {"enabled": False},
            }
        }
    return {
        "features": {"namespacePools": pools},
        "namespaceFreeFormEntry": False,
        "manualNamespaceNames": False,
    }


def control_plane_id(project: str, stack: str) -> str:
    return str(uuid.uuid5(_CP_ID_NAMESPACE, f"{project}/{stack}"))


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` merged into a copy of ``base``: maps merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def platform_values(config: StackConfig, project: str, stack: str) -> dict[str, Any]:
    platform = config.platform
    line = platform.chart_line
    prefix = config.artifactory.repository("certified")
    layout = _line_keys(line)
    namespaces = [tenant.namespace for tenant in config.tenants]

    def repo(basename: str) -> dict[str, str]:
        return {"repository": f"{prefix}/{basename}"}

    global_values: dict[str, Any] = {
        "baseDomain": platform.base_domain,
        "tlsSecret": platform.tls_secret_name,
        "privateRegistry": {"enabled": True, "repository": prefix, "secretName": PULL_SECRET_NAME},
        # Commander renders deployments from the chart in its image; helmRepo is the internal
        # mirror for anything that still looks a chart up.
        "helmRepo": config.artifactory.helm_repo_url,
        "networkPolicy": {"enabled": True},
        "defaultDenyNetworkPolicy": True,
        "airflow": {
            "images": {
                **{key: repo(name) for key, name in _AIRFLOW_IMAGES.items()},
                "xcom": repo(_XCOM_IMAGE.get(line, _XCOM_IMAGE_DEFAULT)),
            }
        },
        "gitSyncRelay": {"images": {k: repo(n) for k, n in _GIT_SYNC_RELAY_IMAGES.items()}},
        # 0.37 copies this one into Houston's config without the private-registry rewrite.
        "certgenerator": {"images": repo("ap-certgenerator")},
        **_namespace_management(line, namespaces),
        **layout["global"],
    }
    if line == "2":
        # Several 2.x templates generate random ids; a fixed one keeps renders reproducible.
        global_values["controlPlaneHA"] = {"cpId": control_plane_id(project, stack)}

    houston_config = {
        **layout["houston"],
        "deployments": {
            "helm": {
                "airflow": {
                    "defaultAirflowRepository": f"{prefix}/ap-airflow",
                    "defaultRuntimeRepository": f"{prefix}/astro-runtime",
                    "images": {"airflow": repo("ap-airflow")},
                },
                "runtimeImages": {"airflow": repo("astro-runtime"), "flower": repo("astro-runtime")},
            }
        },
    }
    values = {
        "global": global_values,
        "astronomer": {
            "commander": {"airGapped": {"enabled": True}},
            "houston": {
                "updateCheck": {"enabled": False},
                "updateRuntimeCheck": {"enabled": False},
                "config": houston_config,
            },
        },
    }
    return deep_merge(values, platform.values_overrides)
