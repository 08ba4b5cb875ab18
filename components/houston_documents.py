"""The GraphQL documents the Houston provider sends, per platform line.

Houston's schema is private; each document is the one the official Astro CLI sends for the same
operation on that line (``tests/data/houston/cli-v1.45.0.json`` records the CLI's file, tag and
query variant, and ``tests/test_houston_contract.py`` compares them field by field), extended only
by arguments and fields public sources document (docs/houston.md). Where the CLI has no
document (environment variables, clusters), the form comes from those sources too.

Lines, as the CLI chooses its variants by the greatest lower bound of Houston's version:
``0.37`` (Houston below 1.0.0), ``1.x`` (1.0.0 up to 2.1.0: chart lines 1.x and 2.0) and ``2.x``
(2.1.0 and later).
"""

from __future__ import annotations

from typing import Literal

Line = Literal["0.37", "1.x", "2.x"]
LINES: tuple[Line, ...] = ("0.37", "1.x", "2.x")


def line_of(version: str) -> Line | None:
    """The line of a Houston version such as ``0.37.7`` or ``2.1.0-rc.1``; None below 0.37."""
    core = version.strip().lstrip("v").split("-", 1)[0].split("+", 1)[0]
    try:
        numbers = tuple(int(part) for part in core.split("."))
    except ValueError:
        return None
    if len(numbers) < 2:
        return None
    if numbers < (0, 37):
        return None
    if numbers < (1, 0):
        return "0.37"
    return "1.x" if numbers < (2, 1) else "2.x"


APP_VERSION = "query AppConfig { appConfig { version } }"

WORKSPACES = "query GetWorkspaces { workspaces { id label description } }"
CREATE_WORKSPACE = """
mutation CreateWorkspace($label: String!, $description: String = "N/A") {
  createWorkspace(label: $label, description: $description) { id label description createdAt updatedAt }
}"""
UPDATE_WORKSPACE = """
mutation UpdateWorkspace($workspaceId: Uuid!, $payload: JSON!) {
  updateWorkspace(workspaceUuid: $workspaceId, payload: $payload) { id label description createdAt updatedAt }
}"""
DELETE_WORKSPACE = """
mutation DeleteWorkspace($workspaceId: Uuid!) {
  deleteWorkspace(workspaceUuid: $workspaceId) { id label description }
}"""

PAGINATED_TEAMS = """
query paginatedTeams($take: Int, $cursor: Uuid, $workspaceUuid: Uuid) {
  paginatedTeams(take: $take, cursor: $cursor, workspaceUuid: $workspaceUuid) { count teams { id name } }
}"""
WORKSPACE_TEAMS = """
query workspaceGetTeams($workspaceUuid: Uuid!) {
  workspaceTeams(workspaceUuid: $workspaceUuid) { id name roleBindings { role workspace { id } } }
}"""
ADD_TEAM = """
mutation AddWorkspaceTeam($workspaceUuid: Uuid!, $teamUuid: Uuid!, $role: Role! = WORKSPACE_VIEWER,
    $deploymentRoles: [DeploymentRoles!] = []) {
  workspaceAddTeam(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid, role: $role,
      deploymentRoles: $deploymentRoles) { id label description createdAt updatedAt }
}"""
UPDATE_TEAM_ROLE = """
mutation workspaceUpdateTeamRole($workspaceUuid: Uuid!, $teamUuid: Uuid!, $role: Role!) {
  workspaceUpdateTeamRole(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid, role: $role)
}"""
REMOVE_TEAM = """
mutation workspaceRemoveTeam($workspaceUuid: Uuid!, $teamUuid: Uuid!) {
  workspaceRemoveTeam(workspaceUuid: $workspaceUuid, teamUuid: $teamUuid) { id label }
}"""

# 1.x and later place a deployment in a cluster; unified mode has one (chart tests list it so).
CLUSTERS = "query ListClusters { paginatedClusters { clusters { id } } }"

# Data planes (1.0 and later): the mutation's arguments and selection as Astronomer's own data-plane tooling sends
# them (astronomer/astronomer branch kk-plx-263, docs/operator/operator-inheritance/m2-task-1-install-dp.md), and
# the documented deregistration (Astronomer docs, "Deregister a data plane cluster", APC 1.x).
CLUSTER_FIELDS = "id name baseDomain status"
LIST_CLUSTERS = f"query ListClusters {{ paginatedClusters {{ clusters {{ {CLUSTER_FIELDS} }} }} }}"
REGISTER_CLUSTER = f"""
mutation RegisterDataPlane($name: String!, $metadataUrl: String!, $deploymentsConfigOverride: JSON) {{
  registerCluster(name: $name metadataUrl: $metadataUrl deploymentsConfigOverride: $deploymentsConfigOverride) {{
    {CLUSTER_FIELDS}
  }}
}}"""
DEREGISTER_CLUSTER = """
mutation DeregisterDataPlane($id: Uuid!) { deregisterCluster(id: $id) { id name } }"""
# The documents of 1.0 and later only (no 0.37 Houston has clusters), which the Astro CLI never sends.
CLUSTER_DOCUMENTS = (CLUSTERS, LIST_CLUSTERS, REGISTER_CLUSTER, DEREGISTER_CLUSTER)

_NAMESPACES_0 = "query availableNamespaces { availableNamespaces { name } }"
_NAMESPACES_1 = """
query availableNamespaces($clusterId: Uuid!) { availableNamespaces(clusterId: $clusterId) { name } }"""

# What the provider reads back beyond the CLI's selection: the fields it diffs and adopts by.
_READ_EXTRA = "description namespace executor status"
_LIST_0 = f"""
query GetDeployment($workspaceId: Uuid!, $releaseName: String) {{
  workspaceDeployments(workspaceUuid: $workspaceId, releaseName: $releaseName) {{
    id type label releaseName workspace {{ id }} deployInfo {{ nextCli current }} version airflowVersion
    runtimeVersion createdAt updatedAt {_READ_EXTRA}
  }}
}}"""
_LIST_1 = f"""
query GetDeployment($workspaceId: Uuid!, $releaseName: String) {{
  workspaceDeployments(workspaceUuid: $workspaceId, releaseName: $releaseName) {{
    id type label releaseName workspace {{ id }} deployInfo {{ nextCli current }} version runtimeVersion clusterId
    createdAt updatedAt {_READ_EXTRA}
  }}
}}"""
_GET_0 = """
query GetDeployment($id: String!) {
  deployment(where: {id: $id}) {
    id airflowVersion desiredAirflowVersion runtimeVersion desiredRuntimeVersion runtimeAirflowVersion releaseName
    urls { type url } dagDeployment { type } status
  }
}"""
_GET_1 = """
query GetDeployment($id: String!) {
  deployment(where: {id: $id}) {
    id runtimeVersion runtimeAirflowVersion releaseName urls { type url } dagDeployment { type } clusterId status
  }
}"""

# Sizing the CLI never sends (it leaves it to the UI): the documented upsert inputs (docs/houston.md)
# and, on 0.37, createDeployment's own (§11). The triggerer's resources ride in the CLI's own object.
_SIZING_VARIABLES = ("$description: String, $workers: Workers, $webserver: Webserver, $scheduler: Scheduler, "
                     "$triggererResources: Resources")
_SIZING_ARGUMENTS = ("description: $description workers: $workers webserver: $webserver scheduler: $scheduler "
                     "triggerer: {replicas: $triggererReplicas, resources: $triggererResources}")

_CREATE_0 = f"""
mutation CreateDeployment($label: String!, $type: String = "airflow", $releaseName: String, $workspaceId: Uuid!,
    $executor: ExecutorType!, $airflowVersion: String, $runtimeVersion: String, $namespace: String, $config: JSON,
    $cloudRole: String, $dagDeployment: DagDeployment, $triggererReplicas: Int, {_SIZING_VARIABLES}) {{
  createDeployment(label: $label type: $type workspaceUuid: $workspaceId releaseName: $releaseName
      executor: $executor airflowVersion: $airflowVersion runtimeVersion: $runtimeVersion namespace: $namespace
      config: $config cloudRole: $cloudRole dagDeployment: $dagDeployment {_SIZING_ARGUMENTS}) {{
    id type label releaseName version airflowVersion runtimeVersion urls {{ type url }} createdAt updatedAt namespace
  }}
}}"""


def _upsert_create(mode: bool) -> str:
    mode_variable, mode_argument = (", $mode: AllowedDeploymentModeValues", " mode: $mode") if mode else ("", "")
    return f"""
mutation upsertDeployment($label: String, $workspaceId: Uuid, $clusterId: Uuid, $releaseName: String,
    $executor: ExecutorType, $runtimeVersion: String, $namespace: String, $cloudRole: String,
    $dagDeployment: DagDeployment, $triggererReplicas: Int{mode_variable}, {_SIZING_VARIABLES}) {{
  upsertDeployment(workspaceUuid: $workspaceId clusterId: $clusterId label: $label releaseName: $releaseName
      namespace: $namespace runtimeVersion: $runtimeVersion executor: $executor dagDeployment: $dagDeployment
      cloudRole: $cloudRole{mode_argument} {_SIZING_ARGUMENTS}) {{
    id type label releaseName version runtimeVersion urls {{ type url }} createdAt updatedAt namespace
  }}
}}"""


# One update document on every line: on 0.37 the CLI's updateDeployment passes only label and
# description on to Houston (its `sync` never reaches it), so sizing would not apply; upsertDeployment
# does, once the platform values turn on deployments.upsertDeploymentEnabled (platform_values).
_UPDATE = f"""
mutation upsertDeployment($deploymentId: Uuid!, $label: String, $executor: ExecutorType, $cloudRole: String,
    $dagDeployment: DagDeployment, $triggererReplicas: Int, {_SIZING_VARIABLES}) {{
  upsertDeployment(deploymentUuid: $deploymentId label: $label executor: $executor dagDeployment: $dagDeployment
      cloudRole: $cloudRole {_SIZING_ARGUMENTS}) {{
    id type label releaseName version runtimeVersion urls {{ type url }} createdAt updatedAt
  }}
}}"""

_IMAGE_0 = """
mutation updateDeploymentImage($releaseName: String!, $image: String!, $airflowVersion: String,
    $runtimeVersion: String) {
  updateDeploymentImage(releaseName: $releaseName image: $image airflowVersion: $airflowVersion
      runtimeVersion: $runtimeVersion) { releaseName airflowVersion runtimeVersion }
}"""
_IMAGE_1 = """
mutation updateDeploymentImage($releaseName: String!, $image: String!, $runtimeVersion: String!) {
  updateDeploymentImage(releaseName: $releaseName image: $image runtimeVersion: $runtimeVersion) {
    releaseName runtimeVersion
  }
}"""
_IMAGE_2 = """
mutation upsertDeployment($releaseName: String!, $image: String!, $runtimeVersion: String!) {
  upsertDeployment(releaseName: $releaseName image: $image runtimeVersion: $runtimeVersion) {
    id releaseName runtimeVersion
  }
}"""

DELETE_DEPLOYMENT = """
mutation DeleteDeployment($deploymentId: Uuid!, $deploymentHardDelete: Boolean) {
  deleteDeployment(deploymentUuid: $deploymentId deploymentHardDelete: $deploymentHardDelete) {
    id type label description releaseName version workspace { id } createdAt updatedAt
  }
}"""

VARIABLES = """
query deploymentVariables($deploymentUuid: Uuid!, $releaseName: String!) {
  deploymentVariables(deploymentUuid: $deploymentUuid, releaseName: $releaseName) { key value isSecret }
}"""
UPDATE_VARIABLES = """
mutation UpdateDeploymentVariables($deploymentUuid: Uuid!, $releaseName: String!,
    $environmentVariables: [InputEnvironmentVariable!]!) {
  updateDeploymentVariables(deploymentUuid: $deploymentUuid releaseName: $releaseName
      environmentVariables: $environmentVariables) { key value isSecret }
}"""

# Operation -> line -> document, for the operations whose document differs by line.
BY_LINE: dict[str, dict[Line, str]] = {
    "available_namespaces": {"0.37": _NAMESPACES_0, "1.x": _NAMESPACES_1, "2.x": _NAMESPACES_1},
    "list_deployments": {"0.37": _LIST_0, "1.x": _LIST_1, "2.x": _LIST_1},
    "get_deployment": {"0.37": _GET_0, "1.x": _GET_1, "2.x": _GET_1},
    "create_deployment": {"0.37": _CREATE_0, "1.x": _upsert_create(mode=False), "2.x": _upsert_create(mode=True)},
    "update_deployment": {"0.37": _UPDATE, "1.x": _UPDATE, "2.x": _UPDATE},
    "update_image": {"0.37": _IMAGE_0, "1.x": _IMAGE_1, "2.x": _IMAGE_2},
}
# Operations with one document on every line.
SHARED: dict[str, str] = {
    "app_version": APP_VERSION,
    "workspaces": WORKSPACES,
    "create_workspace": CREATE_WORKSPACE,
    "update_workspace": UPDATE_WORKSPACE,
    "delete_workspace": DELETE_WORKSPACE,
    "paginated_teams": PAGINATED_TEAMS,
    "workspace_teams": WORKSPACE_TEAMS,
    "add_team": ADD_TEAM,
    "update_team_role": UPDATE_TEAM_ROLE,
    "remove_team": REMOVE_TEAM,
    "delete_deployment": DELETE_DEPLOYMENT,
    "variables": VARIABLES,
    "update_variables": UPDATE_VARIABLES,
}


def document(operation: str, line: Line) -> str:
    """The document of ``operation`` on ``line``."""
    if operation in SHARED:
        return SHARED[operation]
    return BY_LINE[operation][line]
