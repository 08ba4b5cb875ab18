"""The stand-in's GraphQL schema per platform line: the operations the provider and the Astro CLI use.

Written from public sources (docs/houston.md: the Astro CLI's documents per line, the platform chart's
functional tests, Astronomer's docs and the upsert signature they give), not from Houston's own type
definitions, which are private. What differs by line: ``appConfig``'s and ``availableNamespaces``'
arguments, ``createDeployment`` and ``updateDeployment`` (0.37 only), clusters and ``clusterId``
(1.x on), ``mode`` (2.x), ``airflowVersion`` fields (0.37 only) and ``updateDeploymentImage`` (gone
on 2.x, where an upsert by release name deploys an image).
"""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

from components.houston_documents import Line

_COMMON = """
scalar Uuid
scalar JSON
scalar DateTime

enum ExecutorType { LocalExecutor CeleryExecutor KubernetesExecutor }
enum Role {
  SYSTEM_ADMIN SYSTEM_EDITOR SYSTEM_VIEWER WORKSPACE_ADMIN WORKSPACE_EDITOR WORKSPACE_VIEWER
  DEPLOYMENT_ADMIN DEPLOYMENT_EDITOR DEPLOYMENT_VIEWER USER
}
enum DeploymentStatusType { UNKNOWN DEPLOYING UNHEALTHY HEALTHY }

type AppConfig {
  version: String baseDomain: String byoUpdateRegistryHost: String smtpConfigured: Boolean
  manualReleaseNames: Boolean configureDagDeployment: Boolean nfsMountDagDeployment: Boolean
  manualNamespaceNames: Boolean hardDeleteDeployment: Boolean triggererEnabled: Boolean featureFlags: JSON
}
type User { id: Uuid username: String }
type ServiceAccount { id: Uuid label: String }
type RoleBinding { role: Role user: User serviceAccount: ServiceAccount workspace: Workspace deployment: Deployment }
type Workspace {
  id: Uuid! label: String description: String createdAt: DateTime updatedAt: DateTime roleBindings: [RoleBinding]
}
type Team { id: Uuid! name: String roleBindings: [RoleBinding] }
type PaginatedTeams { count: Int teams: [Team] }
type DeploymentUrl { type: String url: String }
type DeployInfo { nextCli: String current: String }
type DagDeploymentConfig { type: String }
type DeploymentStatus { status: DeploymentStatusType }
type EnvironmentVariable { key: String value: String isSecret: Boolean }
type Namespace { name: String }

input Requests { cpu: Int memory: Int }
input Limits { cpu: Int memory: Int }
input Resources { requests: Requests limits: Limits }
input Workers { replicas: Int terminationGracePeriodSeconds: Int resources: Resources }
input Scheduler { replicas: Int resources: Resources }
input Webserver { resources: Resources useDefaultAirflowImage: Boolean }
input Triggerer { replicas: Int resources: Resources }
input InputEnvironmentVariable { key: String value: String isSecret: Boolean }
input DeploymentWhereUniqueInput { id: String releaseName: String }
input DeploymentRoles { deploymentId: Uuid role: Role }
"""

_DEPLOYMENT_FIELDS = """
  id: String! type: String label: String description: String releaseName: String namespace: String
  executor: ExecutorType version: String runtimeVersion: String desiredRuntimeVersion: String
  runtimeAirflowVersion: String status: String deploymentStatus: DeploymentStatus workspace: Workspace
  deployInfo: DeployInfo urls: [DeploymentUrl] dagDeployment: DagDeploymentConfig createdAt: DateTime
  updatedAt: DateTime
"""

_QUERY_SHARED = """
  workspaces: [Workspace]
  workspaceTeams(workspaceUuid: Uuid!): [Team]
  paginatedTeams(take: Int, cursor: Uuid, workspaceUuid: Uuid): PaginatedTeams
  workspaceDeployments(workspaceUuid: Uuid!, releaseName: String): [Deployment]
  deployment(where: DeploymentWhereUniqueInput!): Deployment
  deploymentVariables(deploymentUuid: Uuid!, releaseName: String!): [EnvironmentVariable]
"""

_MUTATION_SHARED = """
  createWorkspace(label: String!, description: String): Workspace
  updateWorkspace(workspaceUuid: Uuid!, payload: JSON!): Workspace
  deleteWorkspace(workspaceUuid: Uuid!): Workspace
  workspaceAddTeam(workspaceUuid: Uuid!, teamUuid: Uuid!, role: Role!, deploymentRoles: [DeploymentRoles!]): Workspace
  workspaceUpdateTeamRole(workspaceUuid: Uuid!, teamUuid: Uuid!, role: Role!): Role
  workspaceRemoveTeam(workspaceUuid: Uuid!, teamUuid: Uuid!): Workspace
  deleteDeployment(deploymentUuid: Uuid!, deploymentHardDelete: Boolean): Deployment
  updateDeploymentVariables(deploymentUuid: Uuid!, releaseName: String!,
    environmentVariables: [InputEnvironmentVariable!]!): [EnvironmentVariable]
"""

_UPSERT_ARGUMENTS = """
    workspaceUuid: Uuid deploymentUuid: Uuid label: String description: String releaseName: String namespace: String
    environmentVariables: [InputEnvironmentVariable] image: String dockerconfigjson: JSON version: String
    runtimeVersion: String desiredRuntimeVersion: String executor: ExecutorType workers: Workers
    webserver: Webserver scheduler: Scheduler triggerer: Triggerer dagDeployment: DagDeployment properties: JSON
    cloudRole: String
"""

_LINES: dict[Line, dict[str, str]] = {
    "0.37": {
        "deployment": "airflowVersion: String desiredAirflowVersion: String",
        "query": "appConfig: AppConfig\n  availableNamespaces: [Namespace]",
        "upsert": "airflowVersion: String",
        "mutation": """
  createDeployment(workspaceUuid: Uuid!, releaseName: String, type: String!, label: String!, description: String,
    version: String, airflowVersion: String, runtimeVersion: String, executor: ExecutorType, workers: Workers,
    webserver: Webserver, scheduler: Scheduler, triggerer: Triggerer, config: JSON, properties: JSON,
    cloudRole: String, namespace: String, dagDeployment: DagDeployment): Deployment
  updateDeployment(deploymentUuid: Uuid!, payload: JSON, executor: ExecutorType, workers: Workers,
    webserver: Webserver, scheduler: Scheduler, triggerer: Triggerer, config: JSON, sync: Boolean,
    cloudRole: String, dagDeployment: DagDeployment): Deployment
  updateDeploymentImage(releaseName: String!, image: String!, airflowVersion: String,
    runtimeVersion: String): Deployment
""",
    },
    "1.x": {
        "deployment": "clusterId: Uuid",
        "query": ("appConfig(clusterId: Uuid): AppConfig\n  availableNamespaces(clusterId: Uuid!): [Namespace]\n"
                  "  paginatedClusters: PaginatedClusters"),
        "upsert": "clusterId: Uuid",
        "mutation": "updateDeploymentImage(releaseName: String!, image: String!, runtimeVersion: String!): Deployment",
    },
    "2.x": {
        "deployment": "clusterId: Uuid",
        "query": ("appConfig(clusterId: Uuid, workspaceUuid: Uuid, deploymentUuid: Uuid): AppConfig\n"
                  "  availableNamespaces(clusterId: Uuid!): [Namespace]\n  paginatedClusters: PaginatedClusters"),
        "upsert": "clusterId: Uuid mode: AllowedDeploymentModeValues",
        "mutation": "",
    },
}


# The DagDeployment input: the Astro CLI's fields on every line; 2.1's git-sync authentication
# (authType, httpsUsername, write-only httpsToken, gitSyncRepoFetchMode) as the chart's 2.1.0 functional
# tests send it (tests/utils/houston_graphql.py).
_DAG_DEPLOYMENT = """
input DagDeployment {
  type: String nfsLocation: String repositoryUrl: String branchName: String rev: String
  dagDirectoryLocation: String sshKey: String knownHosts: String syncInterval: Int%s
}
"""
_DAG_DEPLOYMENT_2 = " authType: String httpsUsername: String httpsToken: String gitSyncRepoFetchMode: String"


# Data planes, 1.0 on: registerCluster as Astronomer's data-plane tooling declares it (branch kk-plx-263,
# docs/operator/operator-inheritance/m2-task-1-install-dp.md) and the documented deregisterCluster.
_CLUSTER_MUTATIONS = """  registerCluster(name: String!, metadataUrl: String!, deploymentsConfigOverride: JSON): Cluster
  deregisterCluster(id: Uuid!): Cluster
"""


def sdl(line: Line) -> str:
    parts = _LINES[line]
    extra_types = ""
    if line != "0.37":
        extra_types += ("type Cluster { id: Uuid name: String baseDomain: String status: String }\n"
                        "type PaginatedClusters { clusters: [Cluster] }\n")
    if line == "2.x":
        extra_types += "enum AllowedDeploymentModeValues { helm operator }\n"
    extra_types += _DAG_DEPLOYMENT % (_DAG_DEPLOYMENT_2 if line == "2.x" else "")
    return (
        f"{_COMMON}{extra_types}"
        f"type Deployment {{{_DEPLOYMENT_FIELDS} {parts['deployment']}\n}}\n"
        f"type Query {{\n  {parts['query']}\n{_QUERY_SHARED}}}\n"
        f"type Mutation {{\n{_MUTATION_SHARED}"
        f"  upsertDeployment({_UPSERT_ARGUMENTS} {parts['upsert']}): Deployment\n"
        f"  {parts['mutation']}\n{_CLUSTER_MUTATIONS if line != '0.37' else ''}}}\n"
    )


@cache
def schema(line: Line) -> GraphQLSchema:
    return build_schema(sdl(line))
