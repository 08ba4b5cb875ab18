"""How a tenant's DAGs reach its Airflow deployment: the mechanisms and git-sync's credential kinds, as the
config, the platform values and Houston name them (docs/dags.md)."""

from __future__ import annotations

from typing import Literal

DagMechanism = Literal["image", "dagOnly", "gitSync"]
GitAuth = Literal["ssh", "httpsToken", "none"]
# Houston's dagDeployment.type per mechanism (the Astro CLI's constants, houston/constants.go).
DAG_DEPLOYMENT_TYPES: dict[str, str] = {"image": "image", "dagOnly": "dag_deploy", "gitSync": "git_sync"}
MECHANISMS_BY_TYPE: dict[str, str] = {kind: mechanism for mechanism, kind in DAG_DEPLOYMENT_TYPES.items()}
GIT_AUTH_TYPES_SINCE = (2, 1)
"""Houston takes git-sync's credential by authType (HTTPS_NONE, HTTPS_PAT) from chart 2.1 on; before it, an SSH
key or nothing"""


def git_auths_offered(chart_version: str) -> tuple[GitAuth, ...]:
    """The git-sync credential kinds chart ``chart_version`` (e.g. 2.1.0) takes."""
    typed = tuple(int(part) for part in chart_version.split(".")[:2]) >= GIT_AUTH_TYPES_SINCE
    return ("none", "httpsToken") if typed else ("none", "ssh")
