"""A typed client for Houston, the Astronomer platform's GraphQL API (docs/houston.md).

One ``HoustonClient`` per connection: it asks ``appConfig { version }`` once and then sends that
line's documents (``components.houston_documents``). Errors are one line each and name what to fix:
a refused key names the secret ``houstonApiKey``, an unreachable Houston its URL.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from components.houston_documents import (
    CLUSTERS,
    DEREGISTER_CLUSTER,
    LIST_CLUSTERS,
    REGISTER_CLUSTER,
    Line,
    document,
    line_of,
)

API_KEY_SECRET = "houstonApiKey"
# What Houston answers an unusable token with (the CLI maps both to an expired login).
_AUTH_MESSAGES = ("You do not have the appropriate permissions for that", "AUTH_TOKEN_REFRESH_FAILED")
_TEAM_PAGE = 100


class HoustonError(Exception):
    """Houston refused a request or could not be used; the message is one line."""


class HoustonAuthError(HoustonError):
    pass


class HoustonUnreachableError(HoustonError):
    pass


@dataclass(frozen=True)
class Connection:
    url: str
    """Houston's GraphQL endpoint, e.g. https://houston.<baseDomain>/v1"""
    api_key: str
    """a service-account API key (sent raw in the ``authorization`` header, as the CLI does)"""
    request_timeout_seconds: float = 30.0
    """how long one HTTP request may take"""
    attempts: int = 3
    """tries of a request that fails on the network (not of one Houston answered)"""


@dataclass(frozen=True)
class WorkspaceRecord:
    id: str
    label: str
    description: str


@dataclass(frozen=True)
class ClusterRecord:
    id: str
    name: str
    base_domain: str
    status: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ClusterRecord:
        return cls(str(data["id"]), str(data.get("name") or ""), str(data.get("baseDomain") or ""),
                   str(data.get("status") or ""))


@dataclass(frozen=True)
class DeploymentRecord:
    """A deployment as Houston lists it in its workspace."""

    id: str
    label: str
    description: str
    release_name: str
    namespace: str
    executor: str
    runtime_version: str
    status: str
    workspace_id: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DeploymentRecord:
        workspace = cast(Mapping[str, Any], data.get("workspace") or {})
        return cls(
            id=str(data["id"]), label=str(data.get("label") or ""), description=str(data.get("description") or ""),
            release_name=str(data.get("releaseName") or ""), namespace=str(data.get("namespace") or ""),
            executor=str(data.get("executor") or ""), runtime_version=str(data.get("runtimeVersion") or ""),
            status=str(data.get("status") or ""), workspace_id=str(workspace.get("id") or ""),
        )


@dataclass(frozen=True)
class EnvironmentVariable:
    key: str
    value: str
    is_secret: bool

    def as_input(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "isSecret": self.is_secret}


class HoustonClient:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._line: Line | None = None

    # --- transport ------------------------------------------------------------------------------

    def _post(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": dict(variables)}).encode()
        request = urllib.request.Request(
            self.connection.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "authorization": self.connection.api_key},
        )
        for attempt in range(1, self.connection.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.connection.request_timeout_seconds) as response:
                    return self._answer(response.status, response.read(), variables)
            except urllib.error.HTTPError as error:
                # GraphQL errors arrive with any status: the body says what went wrong.
                return self._answer(error.code, error.read(), variables)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if attempt == self.connection.attempts:
                    reason = getattr(error, "reason", error)
                    raise HoustonUnreachableError(
                        f"cannot reach Houston at {self.connection.url} ({reason}); check houston.url and that "
                        "the platform is up"
                    ) from None
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _answer(self, status: int, raw: bytes, variables: Mapping[str, Any]) -> dict[str, Any]:
        try:
            payload = cast(dict[str, Any], json.loads(raw or b"{}"))
        except ValueError:
            payload = {}
        errors = cast(list[dict[str, Any]], payload.get("errors") or [])
        message = _redacted(str(errors[0].get("message", "")), variables) if errors else ""
        if status in (401, 403) or message in _AUTH_MESSAGES:
            raise HoustonAuthError(
                f"Houston at {self.connection.url} refused the API key in the secret {API_KEY_SECRET} "
                f"(HTTP {status}{': ' + message if message else ''}); set a valid service-account key with "
                f"`pulumi config set --secret {API_KEY_SECRET}`"
            )
        if errors:
            raise HoustonError(f"Houston at {self.connection.url}: {message}")
        if status >= 400 or "data" not in payload:
            raise HoustonError(f"Houston at {self.connection.url} answered HTTP {status} without data")
        return cast(dict[str, Any], payload["data"] or {})

    @property
    def line(self) -> Line:
        """The platform line, asked once per client."""
        if self._line is None:
            data = self._post(document("app_version", "2.x"), {})
            version = str(cast(Mapping[str, Any], data.get("appConfig") or {}).get("version") or "")
            line = line_of(version)
            if line is None:
                raise HoustonError(f"Houston at {self.connection.url} reports version {version!r}, which is on no "
                                   "supported platform line (0.37, 1.x, 2.x)")
            self._line = line
        return self._line

    def call(self, operation: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._post(document(operation, self.line), variables or {})

    # --- workspaces and teams -------------------------------------------------------------------

    def workspaces(self) -> list[WorkspaceRecord]:
        items = cast(list[dict[str, Any]], self.call("workspaces").get("workspaces") or [])
        return [WorkspaceRecord(str(w["id"]), str(w.get("label") or ""), str(w.get("description") or ""))
                for w in items]

    def create_workspace(self, label: str, description: str) -> WorkspaceRecord:
        data = self.call("create_workspace", {"label": label, "description": description})["createWorkspace"]
        return WorkspaceRecord(str(data["id"]), str(data["label"]), str(data.get("description") or ""))

    def update_workspace(self, workspace_id: str, label: str, description: str) -> None:
        self.call("update_workspace", {"workspaceId": workspace_id,
                                       "payload": {"label": label, "description": description}})

    def delete_workspace(self, workspace_id: str) -> None:
        self.call("delete_workspace", {"workspaceId": workspace_id})

    def team_ids(self) -> dict[str, str]:
        """Every team Houston knows (imported from the IdP), by name."""
        teams: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = self.call("paginated_teams", {"take": _TEAM_PAGE, "cursor": cursor})["paginatedTeams"]
            items = cast(list[dict[str, Any]], page.get("teams") or [])
            known = len(teams)
            teams |= {str(t["name"]): str(t["id"]) for t in items}
            # A short page is the last; a page with nothing new means the cursor is not honoured.
            if len(items) < _TEAM_PAGE or len(teams) == known:
                return teams
            cursor = str(items[-1]["id"])

    def workspace_team_roles(self, workspace_id: str) -> dict[str, str]:
        """Team id -> its role in the workspace."""
        teams = cast(list[dict[str, Any]], self.call("workspace_teams", {"workspaceUuid": workspace_id})
                     .get("workspaceTeams") or [])
        roles: dict[str, str] = {}
        for team in teams:
            for binding in cast(list[dict[str, Any]], team.get("roleBindings") or []):
                bound = cast(Mapping[str, Any], binding.get("workspace") or {})
                if bound.get("id") == workspace_id:
                    roles[str(team["id"])] = str(binding["role"])
        return roles

    def add_team(self, workspace_id: str, team_id: str, role: str) -> None:
        self.call("add_team", {"workspaceUuid": workspace_id, "teamUuid": team_id, "role": role})

    def update_team_role(self, workspace_id: str, team_id: str, role: str) -> None:
        self.call("update_team_role", {"workspaceUuid": workspace_id, "teamUuid": team_id, "role": role})

    def remove_team(self, workspace_id: str, team_id: str) -> None:
        self.call("remove_team", {"workspaceUuid": workspace_id, "teamUuid": team_id})

    # --- deployments ----------------------------------------------------------------------------

    def cluster_id(self) -> str | None:
        """The cluster deployments go to (1.x and later: the one unified-mode cluster); None on 0.37."""
        if self.line == "0.37":
            return None
        page = cast(Mapping[str, Any], self._post(CLUSTERS, {}).get("paginatedClusters") or {})
        clusters = cast(list[dict[str, Any]], page.get("clusters") or [])
        if len(clusters) != 1:
            raise HoustonError(f"Houston at {self.connection.url} has {len(clusters)} clusters; the provider places "
                               "deployments in the single cluster of unified mode")
        return str(clusters[0]["id"])

    def clusters(self) -> list[ClusterRecord]:
        """Every cluster Houston places deployments in (1.x and later)."""
        page = cast(Mapping[str, Any], self._post(LIST_CLUSTERS, {}).get("paginatedClusters") or {})
        return [ClusterRecord.from_data(c) for c in cast(list[dict[str, Any]], page.get("clusters") or [])]

    def register_cluster(self, name: str, metadata_url: str) -> ClusterRecord:
        """Registers a data plane: Houston reads <metadata_url>/metadata from its Commander first."""
        data = self._post(REGISTER_CLUSTER, {"name": name, "metadataUrl": metadata_url})
        return ClusterRecord.from_data(cast(dict[str, Any], data["registerCluster"]))

    def deregister_cluster(self, cluster_id: str) -> None:
        self._post(DEREGISTER_CLUSTER, {"id": cluster_id})

    def available_namespaces(self, cluster_id: str | None) -> list[str]:
        variables = {} if cluster_id is None else {"clusterId": cluster_id}
        items = cast(list[dict[str, Any]], self.call("available_namespaces", variables).get("availableNamespaces")
                     or [])
        return [str(n["name"]) for n in items]

    def deployments(self, workspace_id: str, release_name: str | None = None) -> list[DeploymentRecord]:
        items = self.call("list_deployments", {"workspaceId": workspace_id, "releaseName": release_name})
        return [DeploymentRecord.from_data(d) for d in cast(list[dict[str, Any]],
                                                             items.get("workspaceDeployments") or [])]

    def _deployment(self, deployment_id: str) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], self.call("get_deployment", {"id": deployment_id}).get("deployment") or {})

    def deployment_status(self, deployment_id: str) -> str:
        return str(self._deployment(deployment_id).get("status") or "UNKNOWN")

    def dag_deployment_type(self, deployment_id: str) -> str:
        """The deployment's dagDeployment type as Houston holds it (image, dag_deploy, git_sync, volume)."""
        dag = cast(Mapping[str, Any], self._deployment(deployment_id).get("dagDeployment") or {})
        return str(dag.get("type") or "image")

    def create_deployment(self, variables: Mapping[str, Any]) -> str:
        """Creates a deployment from the line's create variables; its id."""
        data = self.call("create_deployment", variables)
        created = cast(Mapping[str, Any], data.get("createDeployment") or data.get("upsertDeployment") or {})
        return str(created["id"])

    def update_deployment(self, variables: Mapping[str, Any]) -> None:
        self.call("update_deployment", variables)

    def update_image(self, release_name: str, image: str, runtime_version: str) -> None:
        self.call("update_image", {"releaseName": release_name, "image": image, "runtimeVersion": runtime_version})

    def delete_deployment(self, deployment_id: str) -> None:
        # Hard: the pool namespace and the release name are free again at once.
        self.call("delete_deployment", {"deploymentId": deployment_id, "deploymentHardDelete": True})

    def variables(self, deployment_id: str, release_name: str) -> list[EnvironmentVariable]:
        items = cast(list[dict[str, Any]], self.call(
            "variables", {"deploymentUuid": deployment_id, "releaseName": release_name}).get("deploymentVariables")
            or [])
        return [EnvironmentVariable(str(v["key"]), str(v.get("value") or ""), bool(v.get("isSecret")))
                for v in items]

    def set_variables(self, deployment_id: str, release_name: str,
                      variables: Sequence[EnvironmentVariable]) -> None:
        """Replaces the deployment's whole list (Houston keeps no variable the list leaves out)."""
        self.call("update_variables", {"deploymentUuid": deployment_id, "releaseName": release_name,
                                       "environmentVariables": [v.as_input() for v in variables]})


# Write-only fields whose values an error may quote back (GraphQL repeats an invalid variable whole).
_SECRET_FIELDS = ("sshKey", "httpsToken")


def _secret_values(value: Any) -> Iterator[str]:
    """The secret values inside a document's variables: the write-only fields and secret environment values."""
    if isinstance(value, Mapping):
        mapping = cast(Mapping[str, Any], value)
        for key, item in mapping.items():
            secret = key in _SECRET_FIELDS or (key == "value" and bool(mapping.get("isSecret")))
            if isinstance(item, str) and item and secret:
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            yield from _secret_values(item)


def _redacted(message: str, variables: Mapping[str, Any]) -> str:
    """``message`` without any secret value of ``variables``, as sent or as a server quotes it (escaped)."""
    forms = {form for secret in _secret_values(variables)
             for form in (secret, repr(secret)[1:-1], json.dumps(secret)[1:-1])}
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, "[secret]")
    return message
