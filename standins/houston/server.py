"""A Houston stand-in: a real GraphQL server on 127.0.0.1 that behaves as the public sources describe.

Not Houston (whose source is private): written from public sources (docs/houston.md), for tests and
the end-to-end run. Behaviour it reproduces:

- auth: the ``authorization`` header carries the key raw or after ``Bearer ``; anything else is
  refused with HTTP 401 and Houston's permission message;
- the schema of the requested line (``standins.houston.schema``): unknown fields, unknown or missing
  arguments and wrongly typed variables are GraphQL validation errors;
- a label is unique per workspace among live deployments, a release name unique for good;
- namespaces come from the pool and return to it only on a hard delete;
- writes are asynchronous: a created or changed deployment is ``DEPLOYING`` for a few status reads
  before ``HEALTHY``;
- ``updateDeploymentVariables`` replaces the whole list, a secret sent empty keeps its value, and
  secret values read back empty; keys follow Houston's naming rule and reserved list;
- 1.x and 2.x need ``clusterId`` on create; 0.37's upsert needs ``upsertDeploymentEnabled``;
- data planes (1.x on): ``registerCluster`` refuses a name or metadata URL already registered and a base domain
  already held (Astronomer docs, "Register a data plane cluster"; the unique baseDomain column named in
  Astronomer's data-plane tooling, branch kk-plx-263), and a metadata URL no data plane answers at: it reads
  what a Commander's ``/metadata`` would report from ``data_planes`` (the data planes the test installed) instead
  of over the network. ``deregisterCluster`` refuses while a deployment is on the cluster: Astronomer documents
  that as the prerequisite of a deregistration, and the stand-in is stricter than the documented behaviour;
- a DAG deployment other than image needs its mechanism switched on in the platform (the CLI offers one only
  under its feature flag); git_sync needs a repository, on 2.x an ``authType`` (HTTPS_PAT with its token),
  before 2.x an SSH key only with the host's known_hosts line; the credential is write-only.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from graphql import GraphQLError
from graphql import graphql_sync as _graphql_sync  # pyright: ignore[reportUnknownVariableType] (untyped middleware)

from components.houston_documents import Line
from domain.environment_keys import ENV_KEY_RULE, RESERVED_ENV_KEYS
from standins.houston.schema import schema

VERSIONS: dict[Line, str] = {"0.37": "0.37.7", "1.x": "1.2.0", "2.x": "2.1.0"}
PERMISSION_MESSAGE = "You do not have the appropriate permissions for that"
_RELEASE_NAME = re.compile(r"^(?![0-9]+$)(?!.*-$)(?!-)[a-zA-Z0-9-]{1,63}$")


def new_id() -> str:
    """A cuid-shaped id, as Houston's are."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "c" + "".join(secrets.choice(alphabet) for _ in range(24))


@dataclass
class Deployment:
    id: str
    workspace_id: str
    label: str
    description: str
    release_name: str
    namespace: str
    executor: str
    runtime_version: str
    cluster_id: str | None
    sizing: dict[str, Any] = field(default_factory=dict[str, Any])
    image: str = ""
    status: str = "DEPLOYING"
    reads_until_healthy: int = 0
    deleted: bool = False
    env: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    dag_deployment: dict[str, Any] = field(default_factory=lambda: {"type": "image"})
    """as last written, credentials included (they never read back)"""

    def data(self) -> dict[str, Any]:
        return {
            "id": self.id, "type": "airflow", "label": self.label, "description": self.description,
            "releaseName": self.release_name, "namespace": self.namespace, "executor": self.executor,
            "version": "1.0.0", "runtimeVersion": self.runtime_version, "desiredRuntimeVersion": self.runtime_version,
            "runtimeAirflowVersion": "2.9.3", "airflowVersion": None, "desiredAirflowVersion": None,
            "status": self.status, "deploymentStatus": {"status": self.status},
            "workspace": {"id": self.workspace_id}, "deployInfo": {"nextCli": None, "current": self.image or None},
            "urls": [{"type": "airflow", "url": f"https://deployments.example.invalid/{self.release_name}/airflow"}],
            "dagDeployment": {"type": self.dag_deployment["type"]}, "clusterId": self.cluster_id,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
        }


@dataclass(frozen=True)
class DataPlaneMetadata:
    """What a data plane's Commander reports at <metadata URL>/metadata, as far as the stand-in uses it."""

    base_domain: str
    pool: tuple[str, ...]
    """the data plane's pool namespaces"""


@dataclass
class Cluster:
    id: str
    name: str
    metadata_url: str
    base_domain: str
    pool: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "baseDomain": self.base_domain, "status": "ACTIVE"}


@dataclass
class HoustonState:
    """Everything the stand-in holds; tests may read and change it (out-of-band changes)."""

    line: Line
    api_key: str
    pool: list[str]
    teams: dict[str, str]
    """team id -> name (teams come from the IdP; none is created through the API)"""
    upsert_enabled: bool = True
    dag_mechanisms: set[str] = field(default_factory=set[str])
    """DAG deployment types switched on besides image: dag_deploy, git_sync (the platform values' switches)"""
    settle_reads: int = 2
    """status reads a write stays DEPLOYING for"""
    stuck: set[str] = field(default_factory=set[str])
    """release names that never become healthy"""
    cluster_id: str = field(default_factory=new_id)
    """the cluster Houston makes for itself in unified mode, which holds ``pool``"""
    data_planes: dict[str, DataPlaneMetadata] = field(default_factory=dict[str, DataPlaneMetadata])
    """metadata URL -> what the data plane there reports"""
    registered: dict[str, Cluster] = field(default_factory=dict[str, Cluster])
    """registered data planes by id"""
    workspaces: dict[str, dict[str, str]] = field(default_factory=dict[str, dict[str, str]])
    bindings: dict[tuple[str, str], str] = field(default_factory=dict[tuple[str, str], str])
    """(workspace id, team id) -> role"""
    deployments: dict[str, Deployment] = field(default_factory=dict[str, Deployment])
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list[tuple[str, dict[str, Any]]])
    """every accepted request: (query text, variables)"""

    def live(self) -> list[Deployment]:
        return [d for d in self.deployments.values() if not d.deleted]

    def by_release(self, release: str) -> Deployment | None:
        return next((d for d in self.live() if d.release_name == release), None)


class StandinError(GraphQLError):
    pass


def _fail(message: str) -> Any:
    raise StandinError(message)


class Resolvers:
    """Root values: each field of Query and Mutation, by its GraphQL name."""

    def __init__(self, state: HoustonState) -> None:
        self.state = state

    def root(self) -> dict[str, Callable[..., Any]]:
        s = self
        fields: dict[str, Callable[..., Any]] = {
            "appConfig": s.app_config, "availableNamespaces": s.available_namespaces,
            "paginatedClusters": s.clusters, "workspaces": s.workspaces, "workspaceTeams": s.workspace_teams,
            "paginatedTeams": s.paginated_teams, "workspaceDeployments": s.workspace_deployments,
            "deployment": s.deployment, "deploymentVariables": s.deployment_variables,
            "createWorkspace": s.create_workspace, "updateWorkspace": s.update_workspace,
            "deleteWorkspace": s.delete_workspace, "workspaceAddTeam": s.add_team,
            "workspaceUpdateTeamRole": s.update_team_role, "workspaceRemoveTeam": s.remove_team,
            "createDeployment": s.create_deployment, "upsertDeployment": s.upsert_deployment,
            "updateDeployment": s.update_deployment, "updateDeploymentImage": s.update_image,
            "deleteDeployment": s.delete_deployment, "updateDeploymentVariables": s.update_variables,
            "registerCluster": s.register_cluster, "deregisterCluster": s.deregister_cluster,
        }
        return fields

    # --- queries --------------------------------------------------------------------------------

    def app_config(self, _info: Any, **_args: Any) -> dict[str, Any]:
        mechanisms = self.state.dag_mechanisms
        flags = {"manualNamespaceNames": True, "triggererEnabled": True,
                 "dagOnlyDeployment": "dag_deploy" in mechanisms, "gitSyncDagDeployment": "git_sync" in mechanisms}
        return {"version": VERSIONS[self.state.line], "manualReleaseNames": True, "manualNamespaceNames": True,
                "hardDeleteDeployment": True, "triggererEnabled": True, "configureDagDeployment": bool(mechanisms),
                "featureFlags": flags}

    def _pool(self, cluster_id: str | None) -> tuple[str, ...]:
        if cluster_id is None or cluster_id == self.state.cluster_id:
            return tuple(self.state.pool)
        cluster = self.state.registered.get(cluster_id)
        return cluster.pool if cluster else _fail(f"Cluster {cluster_id} not found")

    def available_namespaces(self, _info: Any, clusterId: str | None = None) -> list[dict[str, str]]:  # noqa: N803
        pool = self._pool(clusterId)
        cluster = clusterId or self.state.cluster_id
        # Soft-deleted deployments keep their namespace until the 14-day cron: only a hard delete frees it.
        used = {d.namespace for d in self.state.deployments.values() if (d.cluster_id or self.state.cluster_id)
                == cluster}
        return [{"name": name} for name in pool if name not in used]

    def clusters(self, _info: Any) -> dict[str, Any]:
        own = {"id": self.state.cluster_id, "name": "default", "baseDomain": "", "status": "ACTIVE"}
        return {"clusters": [own, *(c.data() for c in self.state.registered.values())]}

    def register_cluster(self, _info: Any, name: str, metadataUrl: str,  # noqa: N803
                         deploymentsConfigOverride: Any = None) -> dict[str, Any]:  # noqa: N803
        name, url = name.strip(), metadataUrl.rstrip("/")
        if not name:
            _fail("name is required")
        registered = self.state.registered.values()
        if any(c.name == name for c in registered):
            _fail(f"A cluster named {name} already exists")
        if any(c.metadata_url == url for c in registered):
            _fail(f"A cluster with metadataUrl {url} already exists")
        metadata = self.state.data_planes.get(url) or _fail(f"Failed to fetch cluster metadata from {url}/metadata")
        if any(c.base_domain == metadata.base_domain for c in registered):
            _fail("A cluster with this base domain already exists")
        cluster = Cluster(new_id(), name, url, metadata.base_domain, metadata.pool)
        self.state.registered[cluster.id] = cluster
        return cluster.data()

    def deregister_cluster(self, _info: Any, id: str) -> dict[str, Any]:  # noqa: A002 (the mutation's argument)
        cluster = self.state.registered.get(id) or _fail(f"Cluster {id} not found")
        on_it = sorted(d.label for d in self.state.deployments.values() if d.cluster_id == id)
        if on_it:
            _fail(f"Cluster {cluster.name} still has deployments: {', '.join(on_it)}")
        del self.state.registered[id]
        return {"id": cluster.id, "name": cluster.name}

    def workspaces(self, _info: Any) -> list[dict[str, Any]]:
        return [self._workspace(w) for w in self.state.workspaces]

    def _workspace(self, workspace_id: str) -> dict[str, Any]:
        workspace = self.state.workspaces.get(workspace_id) or _fail(f"Workspace {workspace_id} not found")
        return {"id": workspace_id, **workspace, "createdAt": None, "updatedAt": None, "roleBindings": []}

    def _team(self, team_id: str) -> dict[str, Any]:
        bindings = [{"role": role, "workspace": {"id": ws, "label": self.state.workspaces[ws]["label"]}}
                    for (ws, team), role in sorted(self.state.bindings.items()) if team == team_id]
        return {"id": team_id, "name": self.state.teams[team_id], "roleBindings": bindings}

    def workspace_teams(self, _info: Any, workspaceUuid: str) -> list[dict[str, Any]]:  # noqa: N803
        self._workspace(workspaceUuid)
        return [self._team(team) for (ws, team) in sorted(self.state.bindings) if ws == workspaceUuid]

    def paginated_teams(self, _info: Any, take: int | None = None, cursor: str | None = None,
                        workspaceUuid: str | None = None) -> dict[str, Any]:  # noqa: N803
        ids = sorted(self.state.teams)
        if workspaceUuid is not None:
            ids = [t for t in ids if (workspaceUuid, t) in self.state.bindings]
        start = ids.index(cursor) + 1 if cursor in ids else 0
        page = ids[start:start + take] if take is not None and take >= 0 else ids[start:]
        return {"count": len(ids), "teams": [self._team(t) for t in page]}

    def workspace_deployments(self, _info: Any, workspaceUuid: str,  # noqa: N803
                              releaseName: str | None = None) -> list[dict[str, Any]]:  # noqa: N803
        self._workspace(workspaceUuid)
        return [d.data() for d in self.state.live()
                if d.workspace_id == workspaceUuid and releaseName in (None, d.release_name)]

    def _live(self, deployment_id: str) -> Deployment:
        found = self.state.deployments.get(deployment_id)
        if found is None or found.deleted:
            _fail(f"Deployment {deployment_id} not found")
        return cast(Deployment, found)

    def deployment(self, _info: Any, where: Mapping[str, Any]) -> dict[str, Any]:
        found = self._live(where["id"]) if where.get("id") else self.state.by_release(str(where.get("releaseName")))
        if found is None:
            _fail("Deployment not found")
        deployment = cast(Deployment, found)
        # Status reads stand for the time the worker, Commander and Helm take.
        if deployment.status == "DEPLOYING" and deployment.release_name not in self.state.stuck:
            deployment.reads_until_healthy -= 1
            if deployment.reads_until_healthy <= 0:
                deployment.status = "HEALTHY"
        return deployment.data()

    def deployment_variables(self, _info: Any, deploymentUuid: str,  # noqa: N803
                             releaseName: str) -> list[dict[str, Any]]:  # noqa: N803
        deployment = self._live(deploymentUuid)
        if deployment.release_name != releaseName:
            _fail(f"Deployment {deploymentUuid} is not release {releaseName}")
        return [{**v, "value": "" if v["isSecret"] else v["value"]} for v in deployment.env]

    # --- workspaces and teams -------------------------------------------------------------------

    def create_workspace(self, _info: Any, label: str, description: str | None = None) -> dict[str, Any]:
        workspace_id = new_id()
        self.state.workspaces[workspace_id] = {"label": label, "description": description or ""}
        return self._workspace(workspace_id)

    def update_workspace(self, _info: Any, workspaceUuid: str, payload: Any) -> dict[str, Any]:  # noqa: N803
        self._workspace(workspaceUuid)
        changes = cast(dict[str, Any], payload) if isinstance(payload, dict) else {}
        unknown = sorted(set(changes) - {"label", "description"})
        if unknown:
            _fail(f"Invalid workspace fields: {unknown}")
        self.state.workspaces[workspaceUuid] |= {k: str(v) for k, v in changes.items()}
        return self._workspace(workspaceUuid)

    def delete_workspace(self, _info: Any, workspaceUuid: str) -> dict[str, Any]:  # noqa: N803
        workspace = self._workspace(workspaceUuid)
        if any(d.workspace_id == workspaceUuid for d in self.state.live()):
            _fail("Workspace cannot be deleted while it has deployments")
        del self.state.workspaces[workspaceUuid]
        self.state.bindings = {k: v for k, v in self.state.bindings.items() if k[0] != workspaceUuid}
        return workspace

    def _team_binding(self, workspace_id: str, team_id: str) -> tuple[str, str]:
        self._workspace(workspace_id)
        if team_id not in self.state.teams:
            _fail(f"Team {team_id} not found")
        return workspace_id, team_id

    def add_team(self, _info: Any, workspaceUuid: str, teamUuid: str, role: str,  # noqa: N803
                 deploymentRoles: Any = None) -> dict[str, Any]:  # noqa: N803
        key = self._team_binding(workspaceUuid, teamUuid)
        if key in self.state.bindings:
            _fail("Team is already in the workspace")
        self.state.bindings[key] = role
        return self._workspace(workspaceUuid)

    def update_team_role(self, _info: Any, workspaceUuid: str, teamUuid: str, role: str) -> str:  # noqa: N803
        key = self._team_binding(workspaceUuid, teamUuid)
        if key not in self.state.bindings:
            _fail("Team is not in the workspace")
        self.state.bindings[key] = role
        return role

    def remove_team(self, _info: Any, workspaceUuid: str, teamUuid: str) -> dict[str, Any]:  # noqa: N803
        self.state.bindings.pop(self._team_binding(workspaceUuid, teamUuid), None)
        return self._workspace(workspaceUuid)

    # --- deployments ----------------------------------------------------------------------------

    def create_deployment(self, _info: Any, **args: Any) -> dict[str, Any]:
        return self._create(args)

    def upsert_deployment(self, _info: Any, **args: Any) -> dict[str, Any]:
        if self.state.line == "0.37" and not self.state.upsert_enabled:
            _fail("upsertDeployment is disabled (deployments.upsertDeploymentEnabled)")
        if args.get("deploymentUuid"):
            return self._update(self._live(args["deploymentUuid"]), args)
        if args.get("image") and args.get("releaseName") and not args.get("workspaceUuid"):
            return self._image(args["releaseName"], args["image"], args.get("runtimeVersion"))
        return self._create(args)

    def update_deployment(self, _info: Any, deploymentUuid: str, payload: Any = None,  # noqa: N803
                          **args: Any) -> dict[str, Any]:
        changes = cast(dict[str, Any], payload) if isinstance(payload, dict) else {}
        return self._update(self._live(deploymentUuid), {**args, **{k: changes[k] for k in ("label", "description")
                                                                      if k in changes}})

    def update_image(self, _info: Any, releaseName: str, image: str, runtimeVersion: str | None = None,  # noqa: N803
                     airflowVersion: str | None = None) -> dict[str, Any]:  # noqa: N803
        return self._image(releaseName, image, runtimeVersion)

    def _image(self, release: str, image: str, runtime_version: str | None) -> dict[str, Any]:
        deployment = self.state.by_release(release) or _fail(f"Deployment with release {release} not found")
        deployment.image = image
        if runtime_version:
            deployment.runtime_version = runtime_version
        self._deploying(deployment)
        return deployment.data()

    def _deploying(self, deployment: Deployment) -> None:
        deployment.status = "DEPLOYING"
        deployment.reads_until_healthy = self.state.settle_reads

    def _dag_deployment(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        dag = dict(given or {"type": "image"})
        kind = dag.get("type")
        if kind not in ("image", "volume", "git_sync", "dag_deploy"):
            _fail(f"Invalid dagDeployment type {kind!r}")
        if kind != "image" and kind not in self.state.dag_mechanisms:
            _fail(f"dagDeployment type {kind} is not enabled on this platform")
        if kind != "git_sync":
            return {"type": kind}
        if not dag.get("repositoryUrl"):
            _fail("repositoryUrl is required for git_sync")
        if self.state.line == "2.x":
            if dag.get("authType") not in ("HTTPS_NONE", "HTTPS_PAT"):
                _fail("authType is required for git_sync: HTTPS_NONE or HTTPS_PAT")
            if dag["authType"] == "HTTPS_PAT" and not dag.get("httpsToken"):
                _fail("httpsToken is required with authType HTTPS_PAT")
        elif dag.get("sshKey") and not dag.get("knownHosts"):
            _fail("knownHosts is required with an sshKey")
        return dag

    def _label_free(self, workspace_id: str, label: str, other_than: str | None = None) -> None:
        if any(d.workspace_id == workspace_id and d.label == label and d.id != other_than for d in self.state.live()):
            _fail(f"Workspace already has a deployment named {label}")

    def _create(self, args: Mapping[str, Any]) -> dict[str, Any]:
        state = self.state
        workspace_id = args.get("workspaceUuid") or _fail("All queries to create a Deployment require a workspaceUuid")
        self._workspace(workspace_id)
        label = args.get("label") or _fail("label is required")
        self._label_free(workspace_id, label)
        cluster_id = args.get("clusterId")
        if state.line != "0.37" and cluster_id != state.cluster_id and cluster_id not in state.registered:
            _fail(f"clusterId {cluster_id!r} is not a cluster of this platform")
        release = args.get("releaseName") or _fail("releaseName is required (manualReleaseNames is on)")
        if not _RELEASE_NAME.match(release) or release == "base-images":
            _fail("Release name not formatted correctly.")
        if any(d.release_name == release for d in state.deployments.values()):
            _fail(f"Unique constraint failed on the fields: (`releaseName`) {release}")
        namespace = args.get("namespace") or _fail("namespace is required (namespace pools are on)")
        free = [n["name"] for n in self.available_namespaces(None, cluster_id)]
        if namespace not in free:
            _fail(f"Namespace {namespace} is not available")
        runtime = args.get("runtimeVersion") or _fail("runtimeVersion is required")
        deployment = Deployment(
            id=new_id(), workspace_id=workspace_id, label=label, description=args.get("description") or "",
            release_name=release, namespace=namespace, executor=args.get("executor") or "CeleryExecutor",
            runtime_version=runtime, cluster_id=None if state.line == "0.37" else cluster_id,
            sizing=_sizing(args), dag_deployment=self._dag_deployment(args.get("dagDeployment")),
        )
        self._deploying(deployment)
        state.deployments[deployment.id] = deployment
        return deployment.data()

    def _update(self, deployment: Deployment, args: Mapping[str, Any]) -> dict[str, Any]:
        if args.get("label"):
            self._label_free(deployment.workspace_id, args["label"], other_than=deployment.id)
            deployment.label = args["label"]
        if args.get("description") is not None:
            deployment.description = args["description"]
        if args.get("executor"):
            deployment.executor = args["executor"]
        deployment.sizing |= _sizing(args)
        if args.get("dagDeployment") is not None:
            deployment.dag_deployment = self._dag_deployment(args["dagDeployment"])
        if args.get("environmentVariables") is not None:
            self._replace_env(deployment, args["environmentVariables"])
        self._deploying(deployment)
        return deployment.data()

    def delete_deployment(self, _info: Any, deploymentUuid: str,  # noqa: N803
                          deploymentHardDelete: bool | None = None) -> dict[str, Any]:  # noqa: N803
        deployment = self._live(deploymentUuid)
        data = deployment.data()
        if deploymentHardDelete:
            del self.state.deployments[deploymentUuid]
        else:
            deployment.deleted = True  # keeps its release name and namespace (the 14-day cron frees them)
        return data

    def update_variables(self, _info: Any, deploymentUuid: str, releaseName: str,  # noqa: N803
                         environmentVariables: list[dict[str, Any]]) -> list[dict[str, Any]]:  # noqa: N803
        deployment = self._live(deploymentUuid)
        if deployment.release_name != releaseName:
            _fail(f"Deployment {deploymentUuid} is not release {releaseName}")
        self._replace_env(deployment, environmentVariables)
        self._deploying(deployment)
        return [{**v, "value": "" if v["isSecret"] else v["value"]} for v in deployment.env]

    def _replace_env(self, deployment: Deployment, incoming: list[dict[str, Any]]) -> None:
        stored = {v["key"]: v for v in deployment.env}
        replaced: list[dict[str, Any]] = []
        for variable in incoming:
            key = str(variable.get("key") or "")
            if not re.match(ENV_KEY_RULE, key):
                _fail(f"Invalid Environment Variable Key: {key} (use alphanumeric and underscores)")
            if key in RESERVED_ENV_KEYS:
                _fail(f"{key} is set automatically and cannot be overridden")
            value, is_secret = variable.get("value"), bool(variable.get("isSecret"))
            if is_secret and not value and key in stored:
                value = stored[key]["value"]  # a secret sent empty keeps its value
            replaced.append({"key": key, "value": value or "", "isSecret": is_secret})
        deployment.env = replaced


def _sizing(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: args[k] for k in ("workers", "scheduler", "webserver", "triggerer") if args.get(k) is not None}


class HoustonStandin:
    """The server, started with ``with HoustonStandin(...).running() as url``."""

    def __init__(self, line: Line, api_key: str, pool: list[str], teams: list[str] | None = None,
                 settle_reads: int = 2, dag_mechanisms: set[str] | None = None,
                 data_planes: Mapping[str, DataPlaneMetadata] | None = None) -> None:
        self.state = HoustonState(line=line, api_key=api_key, pool=list(pool),
                                  teams={new_id(): name for name in teams or []}, settle_reads=settle_reads,
                                  dag_mechanisms=set(dag_mechanisms or ()), data_planes=dict(data_planes or {}))
        self._lock = threading.Lock()
        self._resolvers = Resolvers(self.state)

    def execute(self, body: Mapping[str, Any]) -> dict[str, Any]:
        query = str(body.get("query") or "")
        variables = cast(dict[str, Any], body.get("variables") or {})
        with self._lock:
            result = _graphql_sync(schema(self.state.line), query, root_value=self._resolvers.root(),
                                  variable_values=variables, operation_name=body.get("operationName"))
            if not result.errors:
                self.state.requests.append((query, variables))
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": error.message} for error in result.errors]
        return answer

    def authorized(self, header: str | None) -> bool:
        token = (header or "").removeprefix("Bearer ").strip()
        return bool(token) and secrets.compare_digest(token, self.state.api_key)

    @contextmanager
    def running(self, port: int = 0) -> Generator[str]:
        """Serves on 127.0.0.1 (``port`` 0: any free port) until the block ends; yields the URL."""
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1"
        finally:
            server.shutdown()
            server.server_close()


def _handler(standin: HoustonStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.rstrip("/") != "/v1":
                self._reply(404, {"errors": [{"message": f"no endpoint {self.path}"}]})
                return
            if not standin.authorized(self.headers.get("authorization")):
                self._reply(401, {"errors": [{"message": PERMISSION_MESSAGE}]})
                return
            length = int(self.headers.get("content-length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._reply(400, {"errors": [{"message": "request body is not JSON"}]})
                return
            self._reply(200, standin.execute(cast(dict[str, Any], body)))

        def _reply(self, status: int, payload: Mapping[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client went away (a killed engine, say): nothing is left to answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
            return  # quiet: tests and the e2e run print what matters

    return Handler
