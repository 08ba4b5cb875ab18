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

from domain.dag_deploys import DAG_DEPLOYMENT_TYPES, DagMechanism, GitAuth, git_auths_offered
from domain.environment_keys import env_key_problem

Executor = Literal["CeleryExecutor", "KubernetesExecutor", "LocalExecutor"]
WorkspaceRole = Literal["WORKSPACE_ADMIN", "WORKSPACE_EDITOR", "WORKSPACE_VIEWER"]

# Properties whose change replaces the deployment: Houston has no way to change them (§12).
REPLACE_PROPERTIES = ("workspace_id", "release_name", "namespace")
# Properties Houston holds that an update changes in place.
UPDATE_PROPERTIES = ("label", "description", "executor", "runtime_version", "image", "sizing", "environment",
                     "dag_deployment")
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


# The first Houston version of each line of the provider's documents (houston_documents).
HOUSTON_VERSIONS = {"0.37": "0.37.0", "1.x": "1.0.0", "2.x": "2.1.0"}
IMAGE_DEPLOYS: dict[str, Any] = {"deploy": "image"}
"""the DAG deployment Houston gives a deployment created without one (and state from before the property)"""


@dataclass(frozen=True)
class GitSyncSpec:
    """The repository a deployment's git-sync pulls its DAGs from."""

    repository_url: str
    branch: str
    rev: str | None
    directory: str
    sync_interval_seconds: int
    auth: GitAuth
    known_hosts: str | None = None
    https_username: str | None = None

    def as_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "repository_url": self.repository_url, "branch": self.branch, "directory": self.directory,
            "sync_interval_seconds": self.sync_interval_seconds, "auth": self.auth}
        optional = {"rev": self.rev, "known_hosts": self.known_hosts, "https_username": self.https_username}
        return props | {key: value for key, value in optional.items() if value is not None}

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> GitSyncSpec:
        return cls(str(props["repository_url"]), str(props["branch"]), props.get("rev"), str(props["directory"]),
                   int(props["sync_interval_seconds"]), cast(GitAuth, props["auth"]), props.get("known_hosts"),
                   props.get("https_username"))


@dataclass(frozen=True)
class DagDeploymentSpec:
    """How DAGs reach the deployment: the mechanism, and git-sync's repository."""

    mechanism: DagMechanism = "image"
    git_sync: GitSyncSpec | None = None

    def as_props(self) -> dict[str, Any]:
        return {"deploy": self.mechanism, **({"git_sync": self.git_sync.as_props()} if self.git_sync else {})}

    @classmethod
    def from_props(cls, props: Mapping[str, Any] | None) -> DagDeploymentSpec:
        props = props or IMAGE_DEPLOYS
        git = props.get("git_sync")
        return cls(cast(DagMechanism, props["deploy"]), GitSyncSpec.from_props(git) if git else None)

    def line_problem(self, line: str) -> str | None:
        """Why Houston ``line`` cannot take this git-sync credential (the config refuses it too), or None."""
        git = self.git_sync
        offered = git_auths_offered(HOUSTON_VERSIONS[line])
        if git is not None and git.auth not in offered:
            return f"git-sync auth {git.auth} is not offered on Houston line {line} (offered: {', '.join(offered)})"
        return None

    def variable(self, line: str, credential: str | None) -> dict[str, Any]:
        """The ``dagDeployment`` input of the create and update documents on Houston ``line`` (0.37, 1.x, 2.x).

        Before 2.1 git-sync takes an SSH key and the host's known_hosts line; from 2.1 an ``authType``
        (HTTPS_NONE, HTTPS_PAT with ``httpsToken``). Check ``line_problem`` first."""
        variable: dict[str, Any] = {"type": DAG_DEPLOYMENT_TYPES[self.mechanism]}
        git = self.git_sync
        if git is None:
            return variable
        variable |= {"repositoryUrl": git.repository_url, "branchName": git.branch,
                     "dagDirectoryLocation": git.directory, "syncInterval": git.sync_interval_seconds}
        if git.rev is not None:
            variable["rev"] = git.rev
        if line == "2.x":
            variable["authType"] = "HTTPS_PAT" if git.auth == "httpsToken" else "HTTPS_NONE"
            if git.auth == "httpsToken":
                variable["httpsToken"] = credential
                if git.https_username is not None:
                    variable["httpsUsername"] = git.https_username
        elif git.auth == "ssh":
            variable |= {"sshKey": credential, "knownHosts": git.known_hosts}
        return variable


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
    dags: DagDeploymentSpec = DagDeploymentSpec()
    """how DAGs reach the deployment"""
    dag_credential: str | None = None
    """git-sync's SSH key or HTTPS token (write-only in Houston)"""

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
            dags=DagDeploymentSpec.from_props(props.get("dag_deployment")),
            dag_credential=props.get("dag_credential") or None,
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


def create_variables(spec: DeploymentSpec, cluster_id: str | None, line: str) -> dict[str, Any]:
    """Variables of the line's create document (``houston_documents``)."""
    variables: dict[str, Any] = {
        "workspaceId": spec.workspace_id, "label": spec.label, "description": spec.description,
        "releaseName": spec.release_name, "namespace": spec.namespace, "executor": spec.executor,
        "runtimeVersion": spec.runtime_version, **spec.sizing.variables(),
        "dagDeployment": spec.dags.variable(line, spec.dag_credential),
    }
    if cluster_id is not None:
        variables["clusterId"] = cluster_id
    if line == "2.x":
        variables["mode"] = "helm"  # the chart's default mode, named so an operator default cannot take over
    return variables


def update_variables(spec: DeploymentSpec, deployment_id: str, line: str) -> dict[str, Any]:
    """Variables of the update document: everything Houston can change in place but the image."""
    return {"deploymentId": deployment_id, "label": spec.label, "description": spec.description,
            "executor": spec.executor, **spec.sizing.variables(),
            "dagDeployment": spec.dags.variable(line, spec.dag_credential)}
