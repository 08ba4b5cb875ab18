"""What a tenant's Houston workspace and Airflow deployment should be, as plain data, and the rules
Houston applies to it. Pure functions, so they read and test without Pulumi or a Houston.

The dynamic provider (``components.houston_provider``) receives these as its resources' properties
(snake_case, as they appear in state and in the offline render); ``DeploymentSpec.from_props``
reads them back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from domain.environment_keys import env_key_problem

Executor = Literal["CeleryExecutor", "KubernetesExecutor", "LocalExecutor"]
WorkspaceRole = Literal["WORKSPACE_ADMIN", "WORKSPACE_EDITOR", "WORKSPACE_VIEWER"]

# Properties whose change replaces the deployment: Houston has no way to change them (§12).
REPLACE_PROPERTIES = ("workspace_id", "release_name", "namespace")
# Properties Houston holds that an update changes in place.
UPDATE_PROPERTIES = ("label", "description", "executor", "runtime_version", "image", "sizing", "environment")
# Where to reach Houston: a change updates the state only (a rotated key, a new URL).
CONNECTION_PROPERTIES = ("houston_url", "api_key")


@dataclass(frozen=True)
class ComponentSize:
    """CPU and memory of one pod of a component, as Houston takes them: millicores and MiB."""

    cpu_millicores: int
    memory_mib: int

    def resources(self) -> dict[str, Any]:
        # Requests equal to limits: the quota ceiling then follows from the limits alone.
        amounts = {"cpu": self.cpu_millicores, "memory": self.memory_mib}
        return {"requests": dict(amounts), "limits": dict(amounts)}

    def as_props(self) -> dict[str, int]:
        return {"cpu": self.cpu_millicores, "memory": self.memory_mib}

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> ComponentSize:
        return cls(int(props["cpu"]), int(props["memory"]))


@dataclass(frozen=True)
class DeploymentSizing:
    scheduler_replicas: int
    scheduler: ComponentSize
    webserver: ComponentSize
    triggerer_replicas: int
    triggerer: ComponentSize
    workers: int
    """Celery workers (the tenant's maxWorkers)"""
    worker: ComponentSize

    def variables(self) -> dict[str, Any]:
        """The sizing variables of the provider's create and update documents."""
        return {
            "scheduler": {"replicas": self.scheduler_replicas, "resources": self.scheduler.resources()},
            "webserver": {"resources": self.webserver.resources()},
            "triggererReplicas": self.triggerer_replicas,
            "triggererResources": self.triggerer.resources(),
            "workers": {"replicas": self.workers, "resources": self.worker.resources()},
        }

    def as_props(self) -> dict[str, Any]:
        return {
            "scheduler_replicas": self.scheduler_replicas, "scheduler": self.scheduler.as_props(),
            "webserver": self.webserver.as_props(), "triggerer_replicas": self.triggerer_replicas,
            "triggerer": self.triggerer.as_props(), "workers": self.workers, "worker": self.worker.as_props(),
        }

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> DeploymentSizing:
        return cls(
            scheduler_replicas=int(props["scheduler_replicas"]), scheduler=ComponentSize.from_props(props["scheduler"]),
            webserver=ComponentSize.from_props(props["webserver"]),
            triggerer_replicas=int(props["triggerer_replicas"]), triggerer=ComponentSize.from_props(props["triggerer"]),
            workers=int(props["workers"]), worker=ComponentSize.from_props(props["worker"]),
        )


@dataclass(frozen=True)
class DeploymentSpec:
    """A tenant's Airflow deployment as the provider reads it from its properties."""

    workspace_id: str
    label: str
    description: str
    release_name: str
    namespace: str
    executor: str
    runtime_version: str
    image: str
    sizing: DeploymentSizing
    environment: tuple[tuple[str, str], ...]
    """plain variables, (key, value)"""
    secret_environment: tuple[tuple[str, str], ...]
    """secret variables, (key, value); Houston reads them back empty"""

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> DeploymentSpec:
        plain = cast(Sequence[Mapping[str, Any]], props.get("environment") or [])
        secret = cast(Mapping[str, Any], props.get("secret_environment") or {})
        return cls(
            workspace_id=str(props["workspace_id"]), label=str(props["label"]),
            description=str(props.get("description") or ""), release_name=str(props["release_name"]),
            namespace=str(props["namespace"]), executor=str(props["executor"]),
            runtime_version=str(props["runtime_version"]), image=str(props["image"]),
            sizing=DeploymentSizing.from_props(cast(Mapping[str, Any], props["sizing"])),
            environment=tuple((str(v["key"]), str(v["value"])) for v in plain),
            secret_environment=tuple(sorted((str(k), str(v)) for k, v in secret.items())),
        )

    def key_problems(self) -> list[str]:
        """Every environment key Houston would refuse, and keys given twice."""
        keys = [key for key, _ in self.environment + self.secret_environment]
        problems = [p for p in (env_key_problem(key) for key in keys) if p]
        problems += [f"{key!r} is given more than once" for key in sorted({k for k in keys if keys.count(k) > 1})]
        return problems


def secret_hashes(salt: str, secret_environment: Sequence[tuple[str, str]]) -> dict[str, str]:
    """A salted sha256 per secret variable: what state keeps to diff values Houston reads back empty."""
    return {key: hashlib.sha256(f"{salt}\0{key}\0{value}".encode()).hexdigest() for key, value in secret_environment}


def workspace_roles(admin: Sequence[str], edit: Sequence[str], view: Sequence[str]) -> dict[str, WorkspaceRole]:
    """IdP team name -> workspace role; a team in two lists gets the stronger role."""
    roles: dict[str, WorkspaceRole] = {}
    for teams, role in ((view, "WORKSPACE_VIEWER"), (edit, "WORKSPACE_EDITOR"), (admin, "WORKSPACE_ADMIN")):
        roles |= {team: cast(WorkspaceRole, role) for team in teams}
    return dict(sorted(roles.items()))


def create_variables(spec: DeploymentSpec, cluster_id: str | None, with_mode: bool) -> dict[str, Any]:
    """Variables of the line's create document (``houston_documents``)."""
    variables: dict[str, Any] = {
        "workspaceId": spec.workspace_id, "label": spec.label, "description": spec.description,
        "releaseName": spec.release_name, "namespace": spec.namespace, "executor": spec.executor,
        "runtimeVersion": spec.runtime_version, **spec.sizing.variables(),
    }
    if cluster_id is not None:
        variables["clusterId"] = cluster_id
    if with_mode:
        variables["mode"] = "helm"  # the chart's default mode, named so an operator default cannot take over
    return variables


def update_variables(spec: DeploymentSpec, deployment_id: str) -> dict[str, Any]:
    """Variables of the update document: everything Houston can change in place but the image."""
    return {"deploymentId": deployment_id, "label": spec.label, "description": spec.description,
            "executor": spec.executor, **spec.sizing.variables()}
