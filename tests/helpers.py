"""Test helpers: stack documents, the program under mocks, and small args builders per component."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.kerberos import KerberosSidecarArgs, VaultLogin
from components.kerberos_files import Krb5Settings
from components.kerberos_specs import KerberosTenant, ManagerSettings
from components.platform import PlatformArgs
from components.platform_values import ChartSettings
from components.registry import RegistryLogin
from components.tenant import TenantArgs
from components.tenant_specs import EgressAllow, QuotaCeiling
from config.monitoring import AlertReceiver
from config.platform import PodSecurity
from config.secrets import DAG_CREDENTIALS, RECEIVER_SECRETS, SIGN_IN_CLIENT_SECRETS, repository_auths
from config.stack import StackConfig
from stackfile import read as stack_file
from stackfile.read import runtime_values
from standins import mock_engine as engine

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")
RELEASE = "kubernetes:helm.sh/v3:Release"

# Distinctive values, so a test can search every rendered byte for them.
TEST_SECRETS = {
    "artifactoryPassword": "artifactory-PASSWORD-7f3a",
    "databaseConnection": "postgres://astro:DB-PASSWORD-91c2@db.corp.company.com:5432",
    "delineaPassword": "delinea-PASSWORD-55e0",
    "houstonApiKey": "houston-APIKEY-3b9d",
    "artifactoryPullPassword": "artifactory-PULL-PASSWORD-d41e",
}


def stack_document(stack: str) -> dict[str, Any]:
    """The ``astronomer-platform:`` keys of a committed stack file, without the prefix."""
    return stack_file.document(ROOT / f"Pulumi.{stack}.yaml")


def write_stack_file(path: Path, document: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """``document`` (and ``extra`` keys, such as secrets in plain text) as a stack file at ``path``."""
    config = {f"astronomer-platform:{k}": v for k, v in {**document, **(extra or {})}.items()}
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def receiver_credentials(document: dict[str, Any]) -> dict[str, str]:
    """A distinctive credential for each monitoring receiver of ``document`` that needs one."""
    receivers = (document.get("monitoring") or {}).get("receivers") or {}
    return {name: f"https://hooks.example.invalid/{name}/RECEIVER-SECRET-{index}"
            for index, (name, receiver) in enumerate(sorted(receivers.items()))
            if AlertReceiver.model_validate(receiver).needs_secret}


def client_secrets(document: dict[str, Any]) -> dict[str, str]:
    """A distinctive client secret for each sign-in provider of ``document`` that needs one (the code flow)."""
    sign_in = document.get("signIn") or {}
    if sign_in.get("flow", "code") != "code":
        return {}
    return {p["kind"]: f"{p['kind']}-CLIENT-SECRET-{index}" for index, p in enumerate(sign_in.get("providers", []))}


def repository_credentials(document: dict[str, Any]) -> dict[str, str]:
    """A distinctive credential for each tenant of ``document`` whose git-sync has one."""
    try:
        auths = repository_auths(StackConfig.model_validate(document))
    except ValueError:  # an invalid document: the run reports it
        return {}
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n{}-REPOSITORY-KEY\n-----END OPENSSH PRIVATE KEY-----\n"
    return {name: key.format(name) if auth == "ssh" else f"{name}-REPOSITORY-TOKEN" for name, auth in auths.items()}


def runtime_config(document: dict[str, Any], secrets: dict[str, str] | None = None) -> tuple[dict, list]:
    """Runtime config for ``document`` plus secrets given in plain text (marked secret); the monitoring
    receivers' credentials, the sign-in client secrets and the repository tokens unless ``secrets`` names them."""
    given = TEST_SECRETS if secrets is None else secrets
    for key, entries in ((RECEIVER_SECRETS, receiver_credentials(document)),
                         (SIGN_IN_CLIENT_SECRETS, client_secrets(document)),
                         (DAG_CREDENTIALS, repository_credentials(document))):
        if entries and key not in given:
            given = {**given, key: json.dumps(entries)}
    return runtime_values(document, given)


def run_document(document: dict[str, Any], stack: str = "dev", secrets: dict[str, str] | None = None):
    config, secret_keys = runtime_config(document, secrets)
    return engine.run(config, secret_keys, stack=stack)


@functools.cache
def release_values(chart_version: str, stack: str = "dev") -> dict[str, Any]:
    """The chart values the whole program gives a committed stack pinned to ``chart_version``."""
    document = copy.deepcopy(stack_document(stack))
    document["platform"]["chartVersion"] = chart_version
    release = run_document(document, stack).of_type(RELEASE)[0]
    return engine.reveal(release.inputs)["values"]


# --- one component at a time ---------------------------------------------------------------------

def run_components(build: Callable[[pulumi.ResourceOptions], Any]) -> engine.Recording:
    """Run ``build(opts)`` under mocks; ``opts`` carries an explicit Kubernetes provider.

    Call the args builders inside ``build``: their secret outputs belong to the run's event loop."""

    def program() -> None:
        build(pulumi.ResourceOptions(providers=[k8s.Provider("kubernetes", context="test")]))

    return engine.run({}, [], program=program)


def secret(value: str) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)


def registry() -> RegistryLogin:
    return RegistryLogin("registry.test", "svc-test", secret("registry-PASSWORD"))


KRB5 = Krb5Settings("TEST.REALM", ("kdc1.test",), 36000)
BASELINE = PodSecurity(enforce="baseline", audit="restricted", warn="restricted")


def chart_settings(**changes: Any) -> ChartSettings:
    settings = ChartSettings(
        chart_version="2.1.0", image_repository="registry.test/astronomer",
        helm_repo_url="https://registry.test/helm", base_domain="astro.test", tls_secret_name="astro-tls",
        pool_namespaces=("team-a",), control_plane_id="00000000-0000-0000-0000-000000000001",
    )
    return dataclasses.replace(settings, **changes)


def platform_args(**changes: Any) -> PlatformArgs:
    args = PlatformArgs(
        environment="test", namespace="astro", release_name="astro", chart=chart_settings(), chart_path=None,
        registry=registry(), database_connection=secret("postgres://u:DB-PASSWORD@db:5432"), tls=None,
        pod_security=BASELINE, protect_namespace=False, wait_for=(),
    )
    return dataclasses.replace(args, **changes)


def tenant_args(**changes: Any) -> TenantArgs:
    args = TenantArgs(
        namespace="team-a", environment="test", platform_release="astro", platform_namespace="astro",
        pod_security=BASELINE, protect_namespace=False,
        egress=(EgressAllow(("10.0.0.10/32",), (("TCP", 88), ("UDP", 88))),),
        quota=QuotaCeiling("10", "32Gi"), role_groups={"admin": ("team-a-admins",)}, krb5=KRB5,
        cache_mount_path="/krb5/cache", datakit_images={},
    )
    return dataclasses.replace(args, **changes)


def kerberos_args(tenants: dict[str, str], **changes: Any) -> KerberosSidecarArgs:
    """The manager for ``tenants`` (name -> namespace) in namespace ``astro``."""
    args = KerberosSidecarArgs(
        namespace="astro", environment="test",
        manager=ManagerSettings("registry.test/platform/kerberos-manager:1", "pull", 1, 3600, 36000),
        krb5=KRB5, vault=VaultLogin("https://vault.test", "svc-vault", secret("vault-PASSWORD")),
        tenants=[KerberosTenant(name, namespace, f"svc-{name}@TEST.REALM", 1000 + i)
                 for i, (name, namespace) in enumerate(tenants.items())],
        tenant_namespaces=dict(tenants),
    )
    return dataclasses.replace(args, **changes)


# --- what the pulumi-kubernetes provider replaces instead of updating ----------------------------
# From pulumi-kubernetes 4.x, provider/pkg/provider/diff.go (forceNewProperties): a change under one
# of these paths replaces the object; .metadata.name and .metadata.namespace do for every kind.
# Secrets and ConfigMaps also replace on .data/.stringData/.binaryData unless the provider has
# enableSecretMutable / enableConfigMapMutable. Only the kinds this program declares are listed.
_FORCE_NEW: dict[str, tuple[str, ...]] = {
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:core/v1:ResourceQuota": ("spec.scopes",),
    "kubernetes:core/v1:Secret": ("type",),
}
_MUTABLE_FLAG = {
    "kubernetes:core/v1:ConfigMap": ("enableConfigMapMutable", ("data", "binaryData")),
    "kubernetes:core/v1:Secret": ("enableSecretMutable", ("data", "stringData")),
}


def _at(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def replacement_paths(resource_type: str, old: dict[str, Any], new: dict[str, Any],
                      provider: dict[str, Any]) -> list[str]:
    """The paths whose change makes the provider replace the object instead of updating it."""
    paths = ["metadata.name", "metadata.namespace", *_FORCE_NEW.get(resource_type, ())]
    flag, data_paths = _MUTABLE_FLAG.get(resource_type, ("", ()))
    if flag and not provider.get(flag):
        paths += data_paths
    return [path for path in paths if _at(old, path) != _at(new, path)]
