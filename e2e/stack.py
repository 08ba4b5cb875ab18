"""The e2e stack: its config (the dev stack's, pointed at the local cluster, the test chart and the
Houston stand-in) and the engine that drives it (the Automation API, a file backend, a passphrase)."""

from __future__ import annotations

import copy
import json
import os
import secrets as token
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from config.secrets import DAG_CREDENTIALS, repository_auths
from config.stack import StackConfig
from devtools import go_tools
from domain.dag_deploys import DAG_DEPLOYMENT_TYPES
from e2e import houston_steps
from e2e.harness import CheckFailedError, expect, file_backend_env
from e2e.network import API_SERVER_PORT, DATA_SOURCE_CIDR, SERVICES
from e2e.program import program
from stackfile.read import document
from standins.tenants import synthetic_tenants

if TYPE_CHECKING:  # imported where it is used: graphql loads only when a stand-in runs
    from standins.houston.server import DataPlaneMetadata, HoustonStandin

ROOT = Path(__file__).resolve().parent.parent


TEST_CHART = ROOT / "tests" / "e2e-chart"


STACK = "e2e"


NEW_TENANT = "e2enew"


# The admin user of e2e.cluster's kubeconfig (its certificate's CN): it applies every object, so it
# is the e2e stack's deployer.
DEPLOYER = "e2e-admin"
DATABASE_PORT = 5432


def dev_document() -> dict[str, Any]:
    return document(ROOT / "Pulumi.dev.yaml")


# The Houston stand-in the whole program's stack talks to, and the registry standing in for Artifactory
# (set once they run).
HOUSTON = {"url": "http://127.0.0.1:9/v1"}
REGISTRY = {"host": "registry.invalid"}


def e2e_document(kubeconfig: Path, tenants: list[dict[str, Any]] | None = None,
                 protect: bool = True) -> dict[str, Any]:
    """The dev stack's config, pointed at the local cluster, the local test chart and the Houston stand-in."""
    document = copy.deepcopy(dev_document())
    document["houston"] = {"url": HOUSTON["url"], "timeouts": {"deploySeconds": 60, "pollIntervalSeconds": 1}}
    document["environment"] = STACK
    document["kubernetes"] = {"kubeconfig": str(kubeconfig)}
    chart_version = yaml.safe_load((TEST_CHART / "Chart.yaml").read_text())["version"]
    document["platform"] |= {"chartPath": str(TEST_CHART), "chartVersion": chart_version}
    document["images"]["build"] = False  # no Docker engine: the harness pushes the images
    # Every image from the local registry, every destination an address of the services namespace.
    document["artifactory"]["host"] = REGISTRY["host"]
    document["tenancy"]["protectNamespaces"] = protect
    document["tenancy"]["deployers"] = {"users": [DEPLOYER]}
    document["tenancy"]["egress"] = {
        "apiServerCidrs": [f"{SERVICES.api_server}/32"], "apiServerPort": API_SERVER_PORT,
        "kdcCidrs": [f"{SERVICES.kdc}/32"], "vaultCidrs": [f"{SERVICES.vault}/32"],
        "databaseCidrs": [f"{SERVICES.database}/32"], "databasePort": DATABASE_PORT,
    }
    # A sign-in with a client secret, and git-sync with a token: the engine carries both as secrets.
    document["signIn"] = SIGN_IN
    if tenants is not None:
        document["tenants"] = copy.deepcopy(tenants)
    for tenant in document["tenants"]:
        for rule in tenant.get("egress", []):
            rule["cidrs"] = [DATA_SOURCE_CIDR]
        git = (tenant.get("dags") or {}).get("gitSync")
        if git:
            git |= {"auth": "httpsToken", "httpsUsername": f"{tenant['name']}-ci"}
    return document


def new_tenant() -> dict[str, Any]:
    return {
        "name": NEW_TENANT,
        "image": f"{NEW_TENANT}-airflow:1.0.0",
        "maxWorkers": 2,
        "datakits": ["sqlserver-bronze"],
        "kerberos": {"principal": f"svc-airflow-{NEW_TENANT}@CORP.COMPANY.COM", "keytabSecretId": 4999},
        "adminGroups": [f"astro-{NEW_TENANT}-admins"],
    }


SIGN_IN = {"providers": [{"kind": "oidc", "clientId": "astronomer-e2e",
                           "discoveryUrl": "https://sso.invalid/.well-known/openid-configuration"}]}


def fake_secrets() -> dict[str, str]:
    return {
        "artifactoryPassword": token.token_hex(12),
        "databaseConnection": f"postgres://astro:{token.token_hex(12)}@db.invalid:5432",
        "delineaPassword": token.token_hex(12),
        "houstonApiKey": token.token_hex(16),
        "artifactoryPullPassword": token.token_hex(12),
        "signInClientSecrets": json.dumps({"oidc": token.token_hex(16)}),
        # A token for every tenant of the dev stack that pulls with git-sync; secrets_for narrows it to a
        # document's tenants.
        DAG_CREDENTIALS: json.dumps({name: token.token_hex(16) for name in repository_auths(
            StackConfig.model_validate(e2e_document(Path("unused-kubeconfig"))))}),
    }


def secrets_for(document: dict[str, Any], secrets: dict[str, str]) -> dict[str, str]:
    """``secrets`` with the repository tokens narrowed to the tenants of ``document`` that pull with one: the
    program refuses an entry for any other tenant, as it would a stale one."""
    if DAG_CREDENTIALS not in secrets:
        return secrets
    wanted = repository_auths(StackConfig.model_validate(document))
    given: dict[str, str] = json.loads(secrets[DAG_CREDENTIALS])
    return {**secrets, DAG_CREDENTIALS: json.dumps({name: value for name, value in given.items() if name in wanted})}


@dataclass(frozen=True)
class Project:
    """A Pulumi project the harness runs inline: its ``Pulumi.yaml`` and the program that stands for its
    ``__main__.py``."""

    file: Path
    program: Callable[[], None]

    @property
    def name(self) -> str:
        return str(yaml.safe_load(self.file.read_text())["name"])


PLATFORM = Project(ROOT / "Pulumi.yaml", program)
SKIP_CHECKPOINTS = "PULUMI_SKIP_CHECKPOINTS"


class Engine:
    """A stack of ``project`` (the platform's by default) in a project directory of its own under
    ``workdir``, driven by the Automation API.

    The project directory holds a copy of the project's ``Pulumi.yaml`` (so its project config, such as
    ``pulumi:disable-default-providers``, applies) and the ``Pulumi.<stack>.yaml`` this class writes.
    The program is inline (``e2e.program.program`` runs ``__main__.py`` in this process), so the
    Automation API serves the language runtime itself and no language host plugin is needed. Stacks
    that read each other (a shard stack's StackReference) share ``env``: one backend, one passphrase.
    """

    def __init__(self, workdir: Path, box: go_tools.Toolbox, secrets: dict[str, str], name: str = STACK,
                 project: Project = PLATFORM, env: dict[str, str] | None = None, select: bool = False) -> None:
        from pulumi import automation as auto

        self.auto = auto
        self.name = name
        self.project_name = project.name
        self.project = workdir / ("project" if project is PLATFORM else f"project-{name}")
        self.project.mkdir(exist_ok=True)
        shutil.copy(project.file, self.project / "Pulumi.yaml")
        (workdir / "state").mkdir(exist_ok=True)
        self.env = dict(env) if env is not None else file_backend_env(workdir)
        # The Houston resources' dynamic provider runs as a plugin of its own.
        plugin = houston_steps.plugin_env(workdir / "bin")
        tool_dirs = [str(path.parent) for name, path in box.paths.items() if name.startswith("pulumi")]
        os.environ["PATH"] = os.pathsep.join([*tool_dirs, plugin["PATH"]])
        self.env["PYTHONPATH"] = plugin["PYTHONPATH"]
        # `select` picks up a stack an earlier process made (one of a shard bench's steps).
        make = auto.select_stack if select else auto.create_stack
        self.stack = make(
            name, project_name=self.project_name, program=project.program,
            opts=auto.LocalWorkspaceOptions(work_dir=str(self.project), env_vars=self.env,
                                            secrets_provider="passphrase"),
        )
        self.secrets = dict(secrets)
        self.stack.set_all_config({k: auto.ConfigValue(v, secret=True) for k, v in secrets.items()})

    def skip_checkpoints(self) -> None:
        """``PULUMI_SKIP_CHECKPOINTS=true``: the engine writes the state once, at the end of an operation
        (docs/large-stacks.md weighs it); also for the stacks that share this one's ``env``."""
        self.env[SKIP_CHECKPOINTS] = "true"
        self.stack.workspace.env_vars[SKIP_CHECKPOINTS] = "true"

    def configure(self, document: dict[str, Any]) -> None:
        """Replace the stack's plain config with ``document``; the encrypted secrets stay, the repository
        tokens narrowed to the document's tenants (``secrets_for``)."""
        path = self.project / f"Pulumi.{self.name}.yaml"
        stack_file = yaml.safe_load(path.read_text()) if path.exists() else {}
        secure = {k: v for k, v in stack_file.get("config", {}).items() if isinstance(v, dict) and "secure" in v}
        stack_file["config"] = {**{f"{self.project_name}:{k}": v for k, v in document.items()}, **secure}
        path.write_text(yaml.safe_dump(stack_file, sort_keys=False))
        if DAG_CREDENTIALS in self.secrets:
            try:
                narrowed = secrets_for(document, self.secrets)[DAG_CREDENTIALS]
            except ValueError:
                return  # a document made invalid on purpose (the invalid-config step): the program reports it
            self.stack.set_config(DAG_CREDENTIALS, self.auto.ConfigValue(narrowed, secret=True))

    def cli(self, *args: str) -> str:
        result = subprocess.run(["pulumi", *args, "--stack", self.name, "--non-interactive"], cwd=self.project,
                                env={**os.environ, **self.env}, capture_output=True, text=True)
        if result.returncode != 0:
            raise CheckFailedError(f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def preview_ops(self, expect_no_changes: bool = False) -> tuple[dict[str, int], list[tuple[str, str]]]:
        """The change summary and every (operation, URN) that is not 'same'.

        With ``expect_no_changes`` the engine itself judges (``pulumi preview --expect-no-changes``,
        where reads, such as a StackReference's, are no change) and the preview fails otherwise."""
        events: list = []
        try:
            result = self.stack.preview(on_event=events.append, color="never", expect_no_changes=expect_no_changes)
        except self.auto.CommandError as error:
            if not expect_no_changes or "no changes were expected" not in str(error):
                raise
            raise CheckFailedError(f"the engine found changes: {non_same_ops(events)[:10]}") from None
        return {str(getattr(k, "value", k)): v for k, v in result.change_summary.items()}, non_same_ops(events)

    def up(self) -> dict[str, int]:
        result = self.stack.up(color="never", on_output=indented)
        return {str(getattr(k, "value", k)): v for k, v in (result.summary.resource_changes or {}).items()}

    def first_up(self) -> None:
        """``up`` of a new stack: it may only create."""
        changes = self.up()
        print(f"    changes: {changes}")
        expect(set(changes) == {"create"}, f"a first up only creates: {changes}")


def non_same_ops(events: list[Any]) -> list[tuple[str, str]]:
    ops = []
    for event in events:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.op.value != "same":
            ops.append((pre.metadata.op.value, pre.metadata.urn))
    return ops


def indented(line: str) -> None:
    print(f"    {line}", end="" if line.endswith("\n") else "\n", flush=True)


def tenant_namespace(tenant: dict[str, Any]) -> str:
    return tenant.get("namespace") or f"airflow-{tenant['name']}"


def houston_standin(secrets: dict[str, str], scales: list[int], settle_reads: int = 1) -> HoustonStandin:
    """A stand-in for the whole program's stack: every namespace and IdP group its tenants may have."""
    tenants = [*dev_document()["tenants"], new_tenant(), *synthetic_tenants(max(scales, default=0))]
    return standin_for(secrets, tenants, [tenant_namespace(t) for t in tenants], settle_reads)


def standin_for(secrets: dict[str, str], tenants: list[dict[str, Any]], pool: list[str], settle_reads: int = 1,
                data_planes: Mapping[str, DataPlaneMetadata] | None = None) -> HoustonStandin:
    """A stand-in that knows ``tenants``' IdP groups and switches on their DAG mechanisms, with ``pool`` as its own
    cluster's namespaces."""
    from standins.houston.server import HoustonStandin

    teams = sorted({g for t in tenants for key in ("adminGroups", "editGroups", "viewGroups") for g in t.get(key, [])})
    # One status read to HEALTHY by default: the no-op preview timings stay about the engine, not the stand-in.
    # The mechanisms the platform values switch on for these tenants (besides image deploys).
    mechanisms = {DAG_DEPLOYMENT_TYPES[t["dags"]["deploy"]] for t in tenants if t.get("dags")} - {"image"}
    return HoustonStandin("2.x", secrets["houstonApiKey"], pool=pool, teams=teams, settle_reads=settle_reads,
                          dag_mechanisms=mechanisms, data_planes=data_planes)
