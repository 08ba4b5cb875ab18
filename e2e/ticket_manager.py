"""The Kerberos ticket manager against the local API server, as the declared ServiceAccount.

Runs after the declared objects are applied (``e2e.run.api_steps``), so the ServiceAccount, the
per-tenant Roles and RoleBindings, the cache Secrets and the manager's ConfigMap are exactly the
program's. A throwaway MIT realm named like the e2e stack's (so the declared principals are its
principals) and the Delinea stand-in come from ``standins.kerberos``. ``python -m kerberos_manager``
then runs with the declared Deployment's environment, the declared tenants file and a token of the
declared ServiceAccount until every tenant is ready; each cache Secret must then hold a ticket that
``klist`` accepts for the tenant's principal. With the same token, everything the Role does not
grant is refused by the API server (403): the declared RBAC is neither too narrow nor too wide.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml
from kubernetes import client

from components.kerberos import CACHE_WRITER_ROLE
from components.kerberos_files import CACHE_SECRET_NAME
from components.kerberos_specs import CONFIG_MAP, CONTAINER, DELINEA_SECRET, DEPLOYMENT, SERVICE_ACCOUNT
from e2e.cluster import Cluster
from e2e.harness import Api, CheckFailedError, Report, expect, refusal
from e2e.network import SERVICES, in_namespace
from standins.kerberos.delinea import DelineaStandIn
from standins.kerberos.realm import Realm, free_port, require_commands
from standins.kerberos.world import wait_for

READY_TIMEOUT = 60
KDC_PORT = 88
VAULT_PORT = 443
DECOY_NAMESPACE = "e2e-decoy"
OTHER_SECRET = "e2e-other"
# The manager's default DELINEA_KEYTAB_FIELD: the declared Deployment does not set it.
KEYTAB_FIELD = "keytab"


def _declared(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    expect(len(found) == 1, f"the program declares {len(found)} {kind} {name}, not one")
    return found[0]


def _account_dir(api: Api, cluster: Cluster, namespace: str, directory: Path) -> Path:
    """A directory shaped like the kubelet's projected service account volume, holding a fresh token
    of the declared ServiceAccount (TokenRequest, the API the kubelet uses) and the API server's CA."""
    request = api.core.create_namespaced_service_account_token(
        SERVICE_ACCOUNT, namespace,
        client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=600)))
    token = request.status.token if request.status else None
    expect(bool(token), f"the TokenRequest for {namespace}/{SERVICE_ACCOUNT} returned no token")
    # The CA the admin kubeconfig trusts: the one that signed the API server's serving certificate.
    kubeconfig: dict[str, Any] = yaml.safe_load(cluster.kubeconfig.read_text())
    ca_file = Path(kubeconfig["clusters"][0]["cluster"]["certificate-authority"])
    directory.mkdir(parents=True)
    (directory / "token").write_text(str(token))
    (directory / "ca.crt").write_bytes(ca_file.read_bytes())
    return directory


def _token_api(cluster: Cluster, account_dir: Path) -> Api:
    """The Python client authenticated with nothing but the service account's bearer token."""
    kubeconfig = account_dir.parent / "service-account.kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "e2e", "cluster": {"server": cluster.server,
                                                 "certificate-authority": str(account_dir / "ca.crt")}}],
        "users": [{"name": "sa", "user": {"token": (account_dir / "token").read_text()}}],
        "contexts": [{"name": "sa", "context": {"cluster": "e2e", "user": "sa"}}],
    }))
    return Api(kubeconfig)


def _declared_env(api: Api, deployment: dict[str, Any]) -> dict[str, str]:
    """The declared container's environment, secret references read from the API as the kubelet does."""
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    env: dict[str, str] = {}
    for variable in containers[CONTAINER]["env"]:
        source: dict[str, Any] = variable.get("valueFrom") or {}
        reference: dict[str, str] | None = source.get("secretKeyRef")
        if reference is None:
            env[variable["name"]] = variable["value"]
        else:
            value = _secret_value(api, deployment["metadata"]["namespace"], reference["name"], reference["key"])
            expect(value is not None, f"{variable['name']}: the Secret {reference['name']} has no {reference['key']}")
            env[variable["name"]] = bytes(value or b"").decode()
    return env


def _secret_value(api: Api, namespace: str, name: str, key: str) -> bytes | None:
    """One key of a Secret, read with the admin client (None when the key is missing or empty)."""
    encoded = (api.core.read_namespaced_secret(name, namespace).data or {}).get(key)
    return base64.b64decode(encoded) if encoded else None


def _kubelet_env(cluster: Cluster, account_dir: Path) -> dict[str, str]:
    """What the kubelet adds for the in-cluster client, and what a bare process needs to start."""
    address = urlsplit(cluster.server)
    return {"KUBERNETES_SERVICE_HOST": str(address.hostname), "KUBERNETES_SERVICE_PORT": str(address.port),
            "SERVICE_ACCOUNT_DIR": str(account_dir), "PATH": "/usr/bin:/bin"}


def _check_cache(cache: bytes, principal: str, realm: Realm, path: Path) -> None:
    """``klist`` accepts the cache: a TGT of the tenant's principal, without addresses."""
    path.write_bytes(cache)
    listing = subprocess.run(["klist", "-a", "-c", f"FILE:{path}"], env={**realm.env, "LC_ALL": "C"},
                             capture_output=True, text=True, check=False)
    expect(listing.returncode == 0, f"klist refused the cache of {principal}: {listing.stderr.strip()}")
    expect(f"Default principal: {principal}\n" in listing.stdout, f"cache of another principal:\n{listing.stdout}")
    expect(f"krbtgt/{realm.name}@{realm.name}" in listing.stdout, f"no TGT in the cache:\n{listing.stdout}")
    expect("Addresses: (none)" in listing.stdout, f"the ticket has addresses:\n{listing.stdout}")


def _run_manager(api: Api, cluster: Cluster, manifests: list[dict[str, Any]],
                 tenants: list[dict[str, Any]], account_dir: Path, workdir: Path) -> None:
    with contextlib.ExitStack() as stack:
        _manager_world(stack, api, cluster, manifests, tenants, account_dir, workdir)


def _manager_world(stack: contextlib.ExitStack, api: Api, cluster: Cluster, manifests: list[dict[str, Any]],
                   tenants: list[dict[str, Any]], account_dir: Path, workdir: Path) -> None:
    """The realm and the vault, then the manager until every cache is written; the realm and the vault
    keep running until ``stack`` closes."""
    realm_names = {t["principal"].rsplit("@", 1)[1] for t in tenants}
    expect(len(realm_names) == 1, f"the e2e tenants' principals name several realms: {realm_names}")
    deployment = _declared(manifests, "Deployment", DEPLOYMENT)
    try:
        require_commands()
    except RuntimeError as error:
        raise CheckFailedError(f"MIT Kerberos is not installed ({error}); "
                               "python3 -m devtools.system_packages installs it") from None
    # The KDC and the vault where the stack's CIDRs say, in the services namespace (e2e.network).
    realm = Realm(workdir / "realm", name=realm_names.pop(), address=SERVICES.kdc, port=KDC_PORT,
                  prefix=cluster.network.exec_prefix())
    keytabs = realm.add_principals([t["principal"].rsplit("@", 1)[0] for t in tenants], workdir / "keytabs")
    realm.start()
    stack.callback(realm.stop)
    declared_env = _declared_env(api, deployment)
    vault = in_namespace(cluster.network.namespace, lambda: DelineaStandIn(
        declared_env["DELINEA_USERNAME"], declared_env["DELINEA_PASSWORD"], address=(SERVICES.vault, VAULT_PORT)))
    stack.callback(vault.close)
    for tenant in tenants:
        vault.state.secrets[tenant["keytabSecretId"]] = {KEYTAB_FIELD: keytabs[tenant["principal"]].read_bytes()}
    tenants_file = workdir / "tenants.json"
    tenants_file.write_text(_declared(manifests, "ConfigMap", CONFIG_MAP)["data"]["tenants.json"])
    port = free_port()
    # Declared settings that name places in the pod (paths, the vault, the probe port) name the
    # local ones here; every other declared variable is passed as declared.
    local = {"DELINEA_VAULT_URL": vault.url, "KRB5_CONFIG": str(realm.krb5_conf),
             "TENANTS_FILE": str(tenants_file), "WORK_DIR": str(workdir / "work"), "HEALTH_PORT": str(port)}
    unset = sorted(set(local) - set(declared_env))
    expect(not unset, f"the declared Deployment no longer sets {unset}")
    service_env = declared_env | local | _kubelet_env(cluster, account_dir)
    log = workdir / "kerberos-manager.log"
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "kerberos_manager"], env=service_env,
                                   stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        ready = wait_for(f"http://127.0.0.1:{port}/readyz", 200, timeout=READY_TIMEOUT)
    except TimeoutError:
        raise CheckFailedError(f"not every tenant was ready within {READY_TIMEOUT} s (exit code "
                               f"{process.poll()}):\n{_readyz(port)}\n{log.read_text()[-3000:]}") from None
    finally:
        _stop(process)
    print(f"ticket manager tenants={len(tenants)} seconds_to_all_ready={ready - started:.2f}", flush=True)
    for tenant in tenants:
        cache = _secret_value(api, tenant["namespace"], tenant["cacheSecret"], tenant["cacheKey"])
        expect(cache is not None, f"{tenant['namespace']}/{tenant['cacheSecret']} has no {tenant['cacheKey']}")
        _check_cache(bytes(cache or b""), tenant["principal"], realm, workdir / f"{tenant['tenant']}.ccache")
    print(f"    {len(tenants)} cache Secrets hold a ticket of their tenant's principal ({realm.name})")


def _readyz(port: int) -> str:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).text
    except requests.RequestException as error:
        return f"/readyz: {error}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _secret(namespace: str, name: str) -> client.V1Secret:
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name, namespace=namespace), string_data={"a": "b"})


def _check_rbac(api: Api, token: Api, tenants: list[dict[str, Any]], platform_namespace: str,
                user: str) -> None:
    """What the token may and may not do; every refusal must be RBAC's, for this user."""
    core = token.core
    refused: list[str] = []

    def refuses(what: str, call: Callable[..., object], *args: object) -> None:
        try:
            message = refusal(call, *args)
        except CheckFailedError as error:
            raise CheckFailedError(f"{what}: {error}") from None
        expect(f'User "{user}" cannot' in message, f"{what}: not refused by RBAC for {user}: {message}")
        refused.append(what)

    merge_patch = {"metadata": {"annotations": {"e2e/checked": "true"}}}
    api.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=DECOY_NAMESPACE)))
    api.core.create_namespaced_secret(DECOY_NAMESPACE, _secret(DECOY_NAMESPACE, CACHE_SECRET_NAME))
    for tenant in tenants:
        namespace = tenant["namespace"]
        api.core.create_namespaced_secret(namespace, _secret(namespace, OTHER_SECRET))
        refuses(f"get {namespace}/{OTHER_SECRET}", core.read_namespaced_secret, OTHER_SECRET, namespace)
        refuses(f"update {namespace}/{OTHER_SECRET}", core.replace_namespaced_secret, OTHER_SECRET, namespace,
                _secret(namespace, OTHER_SECRET))
        refuses(f"list secrets in {namespace}", core.list_namespaced_secret, namespace)
        refuses(f"create a Secret in {namespace}", core.create_namespaced_secret, namespace,
                _secret(namespace, "e2e-new"))
        refuses(f"delete {namespace}/{CACHE_SECRET_NAME}", core.delete_namespaced_secret, CACHE_SECRET_NAME,
                namespace)
        # Allowed: exactly the verbs of the Role, on the one Secret.
        live = core.read_namespaced_secret(CACHE_SECRET_NAME, namespace)
        core.replace_namespaced_secret(CACHE_SECRET_NAME, namespace, live)
        core.patch_namespaced_secret(CACHE_SECRET_NAME, namespace, merge_patch)
    refuses(f"get {platform_namespace}/{DELINEA_SECRET}", core.read_namespaced_secret, DELINEA_SECRET,
            platform_namespace)
    refuses(f"get {DECOY_NAMESPACE}/{CACHE_SECRET_NAME}", core.read_namespaced_secret, CACHE_SECRET_NAME,
            DECOY_NAMESPACE)
    refuses(f"patch {DECOY_NAMESPACE}/{CACHE_SECRET_NAME}", core.patch_namespaced_secret, CACHE_SECRET_NAME,
            DECOY_NAMESPACE, merge_patch)
    refuses("list namespaces", core.list_namespace)
    api.core.delete_namespace(DECOY_NAMESPACE)  # not the program's: not waited for
    print(f"    get, update, patch of {CACHE_SECRET_NAME} allowed in {len(tenants)} tenant namespaces; "
          f"{len(refused)} other requests refused, e.g. {refused[-1]!r}")


def steps(report: Report, api: Api, cluster: Cluster, document: dict[str, Any],
          manifests: list[dict[str, Any]]) -> None:
    """The ticket manager as the declared ServiceAccount: every cache written, nothing else allowed."""
    namespace = _declared(manifests, "ServiceAccount", SERVICE_ACCOUNT)["metadata"]["namespace"]
    user = f"system:serviceaccount:{namespace}:{SERVICE_ACCOUNT}"
    tenants: list[dict[str, Any]] = json.loads(_declared(manifests, "ConfigMap", CONFIG_MAP)["data"]["tenants.json"])
    expect(len(tenants) == len(document["tenants"]), f"the tenants file lists {len(tenants)} tenants")
    bound = {m["metadata"]["namespace"] for m in manifests
             if m["kind"] == "RoleBinding" and m["metadata"]["name"] == CACHE_WRITER_ROLE}
    expect(bound == {t["namespace"] for t in tenants}, f"cache-writer RoleBindings in {sorted(bound)}")
    workdir = cluster.workdir / "kerberos-manager"
    with report.step("ticket manager: a token of the declared ServiceAccount"):
        account_dir = _account_dir(api, cluster, namespace, workdir / "serviceaccount")
        token = _token_api(cluster, account_dir)
        review = client.AuthenticationV1Api(token.client).create_self_subject_review(client.V1SelfSubjectReview())
        identity = review.status.user_info if review.status else None
        expect(identity is not None and identity.username == user, f"the token is {identity}")
        print(f"    authenticated as {user}")
    with report.step("ticket manager: writes every tenant's cache Secret as the ServiceAccount"):
        _run_manager(api, cluster, manifests, tenants, account_dir, workdir)
    with report.step("ticket manager: the API server refuses the ServiceAccount anything else"):
        _check_rbac(api, token, tenants, document["platform"]["namespace"], user)


@contextlib.contextmanager
def caches_filled(api: Api, cluster: Cluster, manifests: list[dict[str, Any]], workdir: Path) -> Iterator[None]:
    """The real manager, as its ServiceAccount, writes every tenant's cache (then stops): what the tenants'
    task pods mount. The KDC and the vault stay up until the block ends, where the stack's CIDRs say."""
    namespace = _declared(manifests, "ServiceAccount", SERVICE_ACCOUNT)["metadata"]["namespace"]
    tenants: list[dict[str, Any]] = json.loads(_declared(manifests, "ConfigMap", CONFIG_MAP)["data"]["tenants.json"])
    account_dir = _account_dir(api, cluster, namespace, workdir / "serviceaccount")
    with contextlib.ExitStack() as stack:
        _manager_world(stack, api, cluster, manifests, tenants, account_dir, workdir)
        yield
