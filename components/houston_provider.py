"""Pulumi dynamic providers for a tenant's Houston workspace and Airflow deployment.

The engine serializes a provider instance into each resource's state; these hold no data, so the
state carries only a reference to the class. Everything a call needs (Houston's URL, the API key,
timeouts) comes in the resource's properties; the key is a secret output, never in plain text.

Writes to Houston are asynchronous (docs/houston.md): after each the provider polls the
deployment's status until ``HEALTHY`` or the timeout, printing progress, and a timeout names the
deployment and its last status. A deployment with the same label that is not in state yet (a
previous run that timed out, or one made by hand) is adopted only when its release name and
namespace are the ones declared; otherwise the create fails naming both.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any, cast

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime import rpc

from components.houston_client import (
    Connection,
    DeploymentRecord,
    EnvironmentVariable,
    HoustonClient,
    HoustonError,
)
from components.houston_specs import (
    CONNECTION_PROPERTIES,
    IMAGE_DEPLOYS,
    REPLACE_PROPERTIES,
    UPDATE_PROPERTIES,
    DagDeploymentSpec,
    DeploymentSpec,
    create_variables,
    secret_hashes,
    update_variables,
)
from domain.dag_deploys import DAG_DEPLOYMENT_TYPES, MECHANISMS_BY_TYPE

HEALTHY = "HEALTHY"


def client_for(props: Mapping[str, Any]) -> HoustonClient:
    """The client for a Houston resource's properties (``HoustonSettings.props``)."""
    return HoustonClient(Connection(str(props["houston_url"]), str(props["api_key"])))


def _unknown(value: Any) -> bool:
    if value == rpc.UNKNOWN:  # a value a plan cannot know yet
        return True
    if isinstance(value, Mapping):
        return any(_unknown(v) for v in cast(Mapping[str, Any], value).values())
    if isinstance(value, list):
        return any(_unknown(v) for v in cast(list[Any], value))
    return False


def _not_found(error: HoustonError) -> bool:
    return "not found" in str(error)


def _with_dag_default(olds: Mapping[str, Any]) -> dict[str, Any]:
    """Properties without ``dag_deployment`` (state from before it existed): Houston created those deployments
    with image deploys."""
    return {"dag_deployment": IMAGE_DEPLOYS, **olds} if olds.get("dag_deployment") is None else dict(olds)


def _credential_hash(salt: str, credential: str | None) -> str:
    """The salted hash state keeps of git-sync's write-only credential ("" without one)."""
    return secret_hashes(salt, [("dag_credential", credential)])["dag_credential"] if credential else ""


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [key for key in keys if _unknown(news.get(key)) or olds.get(key) != news.get(key)]


# --- workspace ------------------------------------------------------------------------------------


class WorkspaceProvider(ResourceProvider):
    """A tenant's workspace: created, or adopted when exactly one workspace has its label; its IdP
    teams bound to workspace roles (teams exist once Houston imported them from the IdP)."""

    def _team_ids(self, client: HoustonClient, teams: Mapping[str, str], label: str) -> dict[str, str]:
        known = client.team_ids()
        missing = sorted(set(teams) - set(known))
        if missing:
            raise HoustonError(
                f"Houston knows no team named {', '.join(repr(t) for t in missing)} (wanted as "
                f"{', '.join(teams[t] for t in missing)} of workspace {label!r}): Houston imports an IdP group as a "
                "team when one of its members first logs in; have a member log in, or fix the group name in the "
                "tenant's adminGroups/editGroups/viewGroups"
            )
        return {name: known[name] for name in sorted(teams)}

    def _bind(self, client: HoustonClient, workspace_id: str, wanted: Mapping[str, str],
              team_ids: Mapping[str, str], dropped: Mapping[str, str]) -> None:
        current = client.workspace_team_roles(workspace_id)
        for team_id in dropped.values():
            if team_id in current:
                client.remove_team(workspace_id, team_id)
        for name, role in wanted.items():
            team_id = team_ids[name]
            if team_id not in current:
                client.add_team(workspace_id, team_id, role)
            elif current[team_id] != role:
                client.update_team_role(workspace_id, team_id, role)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = client_for(props)
        label, description = str(props["label"]), str(props.get("description") or "")
        teams = cast(dict[str, str], props.get("teams") or {})
        team_ids = self._team_ids(client, teams, label)  # before anything is created
        same = [w for w in client.workspaces() if w.label == label]
        if len(same) > 1:
            ids = ", ".join(w.id for w in same)
            raise HoustonError(f"Houston has {len(same)} workspaces labelled {label!r} ({ids}); leave one, so the "
                               "tenant's workspace is not a guess")
        if same:
            workspace = same[0]
            pulumi.log.info(f"houston: adopting workspace {label!r} ({workspace.id})")
            if workspace.description != description:
                client.update_workspace(workspace.id, label, description)
        else:
            workspace = client.create_workspace(label, description)
        self._bind(client, workspace.id, teams, team_ids, {})
        return CreateResult(workspace.id, {**props, "team_ids": team_ids})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = client_for(props)
        found = next((w for w in client.workspaces() if w.id == id_), None)
        if found is None:
            return ReadResult("", {})
        names = {team_id: name for name, team_id in cast(dict[str, str], props.get("team_ids") or {}).items()}
        roles = client.workspace_team_roles(id_)
        teams = {names[team_id]: role for team_id, role in roles.items() if team_id in names}
        return ReadResult(id_, {**props, "label": found.label, "description": found.description,
                                "teams": dict(sorted(teams.items()))})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = _changed(olds, news, ("label", "description", "teams", *CONNECTION_PROPERTIES))
        return DiffResult(changes=bool(changed), replaces=[], stables=["team_ids"], delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = client_for(news)
        label, description = str(news["label"]), str(news.get("description") or "")
        teams = cast(dict[str, str], news.get("teams") or {})
        team_ids = self._team_ids(client, teams, label)
        if (olds.get("label"), olds.get("description")) != (label, description):
            client.update_workspace(id_, label, description)
        old_ids = cast(dict[str, str], olds.get("team_ids") or {})
        self._bind(client, id_, teams, team_ids, {n: i for n, i in old_ids.items() if n not in teams})
        return UpdateResult({**news, "team_ids": team_ids})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            client_for(props).delete_workspace(id_)
        except HoustonError as error:
            if not _not_found(error):
                raise


# --- deployment -----------------------------------------------------------------------------------


class DeploymentProvider(ResourceProvider):
    """A tenant's Airflow deployment in its pool namespace, with its image and whole environment."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        if not any(_unknown(news.get(key)) for key in ("environment", "secret_environment")):
            failures = [CheckFailure("environment", problem)
                        for problem in DeploymentSpec.from_props(news).key_problems()]
        return CheckResult(news, failures)

    def _spec(self, props: Mapping[str, Any]) -> DeploymentSpec:
        spec = DeploymentSpec.from_props(props)
        problems = spec.key_problems()
        if problems:  # before any call to Houston
            raise HoustonError(f"deployment {spec.label!r}: environment: {'; '.join(problems)}")
        return spec

    def _dags_fit(self, client: HoustonClient, spec: DeploymentSpec) -> None:
        problem = spec.dags.line_problem(client.line)
        if problem:  # before any write
            raise HoustonError(f"deployment {spec.label!r}: {problem}")

    def _wait(self, client: HoustonClient, deployment_id: str, spec: DeploymentSpec,
              props: Mapping[str, Any]) -> str:
        timeout = float(props["deploy_timeout_seconds"])
        interval = float(props["poll_interval_seconds"])
        started = time.monotonic()
        status = client.deployment_status(deployment_id)
        while status != HEALTHY:
            waited = time.monotonic() - started
            if waited >= timeout:
                raise HoustonError(
                    f"deployment {spec.label!r} (release {spec.release_name}, namespace {spec.namespace}) is not "
                    f"HEALTHY after {timeout:.0f} s; its last status was {status} (houston.timeouts.deploySeconds)"
                )
            pulumi.log.info(f"houston: deployment {spec.label!r} is {status} ({waited:.0f} s of {timeout:.0f} s)")
            time.sleep(min(interval, max(timeout - waited, 0)))
            status = client.deployment_status(deployment_id)
        pulumi.log.info(f"houston: deployment {spec.label!r} is {status}")
        return status

    def _environment(self, spec: DeploymentSpec) -> list[EnvironmentVariable]:
        return ([EnvironmentVariable(k, v, False) for k, v in spec.environment]
                + [EnvironmentVariable(k, v, True) for k, v in spec.secret_environment])

    def _outputs(self, props: Mapping[str, Any], spec: DeploymentSpec, salt: str, status: str,
                 cluster_id: str | None) -> dict[str, Any]:
        # The secret values stay in the (secret) inputs: state keeps their salted hashes only.
        outs = {k: v for k, v in props.items() if k not in ("secret_environment", "dag_credential")}
        return {**outs, "status": status, "cluster_id": cluster_id or "", "hash_salt": salt,
                "secret_environment_hashes": secret_hashes(salt, spec.secret_environment),
                "dag_credential_hash": _credential_hash(salt, spec.dag_credential)}

    def _adoptable(self, client: HoustonClient, spec: DeploymentSpec) -> DeploymentRecord | None:
        existing = client.deployments(spec.workspace_id)
        same = next((d for d in existing if d.label == spec.label or d.release_name == spec.release_name), None)
        if same is None:
            return None
        if (same.release_name, same.namespace) != (spec.release_name, spec.namespace):
            raise HoustonError(
                f"workspace {spec.workspace_id} already has deployment {same.label!r} (release {same.release_name}, "
                f"namespace {same.namespace}), which is not the declared one (release {spec.release_name}, namespace "
                f"{spec.namespace}); it is not adopted: delete or relabel it in Astronomer, or change the label"
            )
        return same

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = self._spec(props)
        client = client_for(props)
        self._dags_fit(client, spec)
        cluster_id = str(props.get("placed_in") or props.get("platform_cluster_id") or "") or client.cluster_id()
        adopted = self._adoptable(client, spec)
        if adopted is not None:
            pulumi.log.info(f"houston: adopting deployment {spec.label!r} ({adopted.id}): its release and namespace "
                            "are the declared ones")
            deployment_id = adopted.id
            client.update_deployment(update_variables(spec, deployment_id, client.line))
        else:
            if spec.namespace not in client.available_namespaces(cluster_id):
                raise HoustonError(
                    f"deployment {spec.label!r}: namespace {spec.namespace} is not among Houston's free pool "
                    "namespaces; it must be in the platform's namespace pools and used by no other deployment"
                )
            deployment_id = client.create_deployment(create_variables(spec, cluster_id, client.line))
        client.update_image(spec.release_name, spec.image, spec.runtime_version)
        client.set_variables(deployment_id, spec.release_name, self._environment(spec))
        status = self._wait(client, deployment_id, spec, props)
        return CreateResult(deployment_id, self._outputs(props, spec, secrets.token_hex(16), status, cluster_id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = client_for(props)
        found = self._find(client, id_, str(props["workspace_id"]))
        if found is None:
            return ReadResult("", {})
        variables = client.variables(id_, found.release_name)
        hashes = cast(dict[str, str], props.get("secret_environment_hashes") or {})
        dags = DagDeploymentSpec.from_props(props.get("dag_deployment"))
        held = client.dag_deployment_type(id_)
        # A mechanism changed in Houston by hand reads back as that mechanism, so the next diff puts it back.
        dag_deployment = (dags.as_props() if DAG_DEPLOYMENT_TYPES[dags.mechanism] == held
                          else {"deploy": MECHANISMS_BY_TYPE.get(held, held)})
        secret_keys = {v.key for v in variables if v.is_secret}
        return ReadResult(id_, {
            **props, "label": found.label, "description": found.description, "release_name": found.release_name,
            "namespace": found.namespace, "executor": found.executor or props.get("executor"),
            "runtime_version": found.runtime_version, "status": found.status,
            "environment": [{"key": v.key, "value": v.value} for v in sorted(variables, key=lambda v: v.key)
                            if not v.is_secret],
            # A secret Houston no longer has drops out of the hashes, so the next diff restores it.
            "secret_environment_hashes": {k: h for k, h in hashes.items() if k in secret_keys},
            "dag_deployment": dag_deployment,
        })

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = _with_dag_default(olds), _with_dag_default(news)
        replaces = _changed(olds, news, REPLACE_PROPERTIES)
        # Another cluster: Houston moves no deployment between clusters. Only a data plane's registration names
        # the cluster in the diff; the platform's own cluster is where a deployment without one has always been.
        if _unknown(news.get("placed_in")) or news.get("placed_in") != olds.get("placed_in"):
            replaces.append("placed_in")
        changed = _changed(olds, news, (*UPDATE_PROPERTIES, *CONNECTION_PROPERTIES))
        salt = str(olds.get("hash_salt") or "")
        secret = news.get("secret_environment")
        if _unknown(secret) or secret_hashes(
                salt, sorted(cast(dict[str, str], secret or {}).items())
        ) != olds.get("secret_environment_hashes"):
            changed.append("secret_environment")
        credential = news.get("dag_credential")
        if _unknown(credential) or _credential_hash(salt, credential) != (olds.get("dag_credential_hash") or ""):
            changed.append("dag_credential")
        return DiffResult(changes=bool(replaces or changed), replaces=replaces,
                          stables=["hash_salt"] if replaces else ["cluster_id", "hash_salt"],
                          delete_before_replace=True)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = _with_dag_default(olds), _with_dag_default(news)
        spec = self._spec(news)
        client = client_for(news)
        self._dags_fit(client, spec)
        salt = str(olds.get("hash_salt") or secrets.token_hex(16))
        wrote = False
        credential_changed = _credential_hash(salt, spec.dag_credential) != (olds.get("dag_credential_hash") or "")
        if _changed(olds, news, ("label", "description", "executor", "sizing", "dag_deployment")) or credential_changed:
            client.update_deployment(update_variables(spec, id_, client.line))
            wrote = True
        if _changed(olds, news, ("image", "runtime_version")):
            client.update_image(spec.release_name, spec.image, spec.runtime_version)
            wrote = True
        hashes = secret_hashes(salt, spec.secret_environment)
        if _changed(olds, news, ("environment",)) or hashes != olds.get("secret_environment_hashes"):
            client.set_variables(id_, spec.release_name, self._environment(spec))
            wrote = True
        status = self._wait(client, id_, spec, news) if wrote else str(olds.get("status") or "")
        return UpdateResult(self._outputs(news, spec, salt, status, str(olds.get("cluster_id") or "") or None))

    def _find(self, client: HoustonClient, deployment_id: str, workspace_id: str) -> DeploymentRecord | None:
        try:
            return next((d for d in client.deployments(workspace_id) if d.id == deployment_id), None)
        except HoustonError as error:
            if _not_found(error):  # the workspace is gone, and the deployment with it
                return None
            raise

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = client_for(props)
        label = str(props.get("label"))
        try:
            client.delete_deployment(id_)
        except HoustonError as error:
            if _not_found(error):
                return
            raise
        timeout = float(props["delete_timeout_seconds"])
        started = time.monotonic()
        while self._find(client, id_, str(props["workspace_id"])) is not None:
            waited = time.monotonic() - started
            if waited >= timeout:
                raise HoustonError(f"deployment {label!r} is still listed {timeout:.0f} s after its hard delete "
                                   "(houston.timeouts.deleteSeconds)")
            pulumi.log.info(f"houston: deployment {label!r} is being deleted ({waited:.0f} s of {timeout:.0f} s)")
            time.sleep(float(props["poll_interval_seconds"]))
