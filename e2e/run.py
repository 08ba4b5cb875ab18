"""End-to-end test: the real program under the real Pulumi engine against a local control plane.

``make e2e`` (``python -m e2e.run``). Builds its tools once (``devtools.go_tools``), starts etcd,
kube-apiserver and kube-controller-manager on 127.0.0.1 (``e2e.cluster``), and drives the program
with the Automation API on an ``e2e`` stack derived from ``Pulumi.dev.yaml``, with a file backend
and a passphrase secrets provider in a temporary directory:

  pulumi up -> every declared object exists in the API; pulumi preview -> no changes (the engine
  judges); add a tenant -> only that tenant's resources are created; remove a protected tenant ->
  refused; up to N tenants and a timed no-op preview (``preview tenants=N seconds=S``);
  pulumi destroy (after unprotecting) -> nothing of the program is left.

Before the engine, and independently of it, the objects the program declares (rendered under the
mock engine) are applied to the same API server, which validates them as it would Pulumi's requests,
re-applied (no change), used by the Kerberos ticket manager as its declared ServiceAccount
(``e2e.ticket_manager``) and deleted, the cluster-scoped ones too, until the API lists what it did
before. The tenants' Houston resources run alone under the real engine against the Houston stand-in
(``e2e.houston_steps``: up, no-op preview, an update in place, destroy); the whole program's stack
points its ``houston.url`` at a stand-in too. Every step prints its wall time. A step that needs a
tool this machine cannot have is reported as BLOCKED with the reason, and the run exits 3
(``--allow-blocked``: 0) after running everything else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from components.houston_client import Connection, HoustonClient
from components.registry import TENANT_PULL_SECRET_NAME
from config.stack import StackConfig
from devtools import go_tools
from devtools.cache import PROJECT_CACHE
from domain.dag_deploys import DAG_DEPLOYMENT_TYPES
from e2e import data_planes, declared, houston_steps, images, tenant_tasks, ticket_manager, upgrade
from e2e.cluster import Cluster, control_plane, signals_raise
from e2e.harness import (
    Api,
    CheckFailedError,
    Report,
    expect,
    impersonated,
    refusal,
    stored_state,
    wait_for_controllers,
)
from e2e.network import node_network
from e2e.node import node
from e2e.program import SKIP_AWAIT
from e2e.stack import (
    DEPLOYER,
    HOUSTON,
    NEW_TENANT,
    REGISTRY,
    Engine,
    dev_document,
    e2e_document,
    fake_secrets,
    houston_standin,
    indented,
    new_tenant,
)
from standins.registry import RunningRegistry, registry
from standins.tenants import synthetic_tenants
from tenant_kit.runtime_versions import airflow_pins
from vetting import tools as vetting_tools
from vetting.registry import Login, RegistryAccess, session

DYNAMIC_PROVIDER = "pulumi:providers:pulumi-python::default"
# The tenants whose tasks run on the node (both have datakits), and a namespace without policies.
TASK_TENANTS = ("finance", "marketing")
OPEN_NAMESPACE = "e2e-open"
NODE_TOOLS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
              "kube-network-policies")
ENGINE_STEPS = ("pulumi up", "objects exist in the API", "pulumi preview (no changes)", "add a tenant",
                "remove a protected tenant (refused)", "no-op previews (tenants=N)", "pulumi destroy (clean)")


# --- steps and their report -----------------------------------------------------------------


# --- the e2e stack's config -----------------------------------------------------------------


# --- the live API ---------------------------------------------------------------------------


def secret_values(secrets: dict[str, str]) -> dict[str, str]:
    """Each secret's value, and each value inside a JSON-object secret, by name."""
    values: dict[str, str] = {}
    for name, text in secrets.items():
        values[name] = text
        if text.startswith("{"):
            values |= {f"{name}.{key}": value for key, value in json.loads(text).items()}
    return values


def check_declared_exist(api: Api, manifests: list[dict[str, Any]]) -> None:
    missing = api.missing(manifests)
    expect(not missing, f"{len(missing)} declared objects are not in the API: {missing[:10]}")


# --- the program under the real engine ------------------------------------------------------


def _urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def engine_steps(report: Report, engine: Engine, api: Api, cluster: Cluster, secrets: dict[str, str],
                 scales: list[int], pushed: tenant_tasks.Images) -> None:
    document = e2e_document(cluster.kubeconfig)
    engine.configure(document)
    manifests = declared.manifests(document, secrets)

    with report.step("pulumi up"):
        engine.first_up()
    with report.step("objects exist in the API"):
        check_declared_exist(api, manifests)
        release = document["platform"]["releaseName"]
        values = api.core.read_namespaced_config_map(f"{release}-e2e-values", document["platform"]["namespace"]).data
        expect(values["baseDomain"] == document["platform"]["baseDomain"], f"chart values: {values}")
        tenants = ",".join(f"airflow-{t['name']}" for t in document["tenants"])
        expect(values["poolNamespaces"] == tenants, f"pool namespaces {values['poolNamespaces']} != {tenants}")
        print(f"    {len(manifests)} declared objects and the chart's values ConfigMap are in the API")
        houston = HoustonClient(Connection(HOUSTON["url"], secrets["houstonApiKey"]))
        deployments = engine.stack.outputs()["airflowDeployments"].value
        for tenant in document["tenants"]:
            wanted = DAG_DEPLOYMENT_TYPES[(tenant.get("dags") or {}).get("deploy", "image")]
            found = houston.dag_deployment_type(deployments[tenant["name"]]["deploymentId"])
            expect(found == wanted, f"Houston holds {tenant['name']}'s DAG deployment as {found}, not {wanted}")
        print("    Houston holds each deployment's DAG deploy mechanism")
    with report.step("pulumi preview (no changes)"):
        summary, ops = engine.preview_ops(expect_no_changes=True)
        print(f"    change summary: {summary}; besides 'same': {ops}")
    with report.step("no secret in the state in plain text"):
        # The stored files, not `stack export`, which the Automation API asks for with the secrets shown.
        state = stored_state(cluster.workdir)
        expect("ciphertext" in state, "no encrypted value in the stored state")
        shown = [name for name, value in secret_values(secrets).items() if value in state]
        expect(not shown, f"in plain text in the state: {shown}")
        print(f"    {len(secret_values(secrets))} secret values, none in the stored state")

    # On the node, with what `pulumi up` made: the tickets, a task per tenant, the isolation.
    config = StackConfig.model_validate(document)
    with contextlib.ExitStack() as services:
        with report.step("ticket manager fills the stack's caches"):
            services.enter_context(ticket_manager.caches_filled(api, cluster, manifests,
                                                                cluster.workdir / "kerberos-manager-stack"))
            services.enter_context(tenant_tasks.listeners(cluster.network, config))
        tenant_tasks.task_steps(report, api, config, pushed, TASK_TENANTS)
        tenant_tasks.isolation_steps(report, api, config, pushed, *TASK_TENANTS,
                                     open_namespace=lambda: open_namespace(api, config))
        tenant_tasks.failing_steps(report, api, config, pushed, TASK_TENANTS[0])

    with report.step("add a tenant"):
        added = e2e_document(cluster.kubeconfig, [*document["tenants"], new_tenant()])
        engine.configure(added)
        summary, ops = engine.preview_ops()
        print(f"    change summary: {summary}")
        creates = [urn for op, urn in ops if op == "create"]
        # Reads (the program's StackReference to itself) are no change to the engine either.
        others = [(op, urn) for op, urn in ops if op not in ("create", "read")]
        # The tenant's own children start with its name; the ticket manager's Role and RoleBinding
        # for it are named <manager>-<tenant>-ccache-writer.
        foreign = [urn for urn in creates if NEW_TENANT not in _urn_name(urn).split("-")]
        expect(creates and not foreign, f"creates outside the new tenant: {foreign}")
        expect(all(op == "update" for op, _ in others), f"operations other than create/update: {others}")
        for op, urn in others:
            # The dynamic providers' default provider takes the whole stack config as its inputs.
            why = "the whole stack config" if urn.endswith(DYNAMIC_PROVIDER) else "shared, lists every tenant"
            print(f"    also {op}: {_urn_name(urn)} ({why})")
        engine.up()
        expect(f"airflow-{NEW_TENANT}" in api.namespaces(), "the new tenant's namespace is missing")

    with report.step("remove a protected tenant (refused)"):
        engine.configure(document)
        try:
            engine.up()
        except engine.auto.CommandError as error:
            expect("protect" in str(error), f"up failed, but not for protection: {error}")
        else:
            raise CheckFailedError("up deleted a protected tenant")
        expect(f"airflow-{NEW_TENANT}" in api.namespaces(), "the protected namespace is gone")

    with report.step("unprotect"):
        engine.cli("state", "unprotect", "--all", "--yes")

    for count in scales:
        with report.step(f"up tenants={count}"):
            engine.configure(e2e_document(cluster.kubeconfig, synthetic_tenants(count), protect=False))
            engine.up()
        with report.step(f"no-op preview tenants={count}"):
            started = time.monotonic()
            engine.preview_ops(expect_no_changes=True)
            seconds = time.monotonic() - started
            print(f"preview tenants={count} seconds={seconds:.2f}", flush=True)

    with report.step("pulumi destroy (clean)"):
        engine.cli("state", "unprotect", "--all", "--yes")
        engine.stack.destroy(color="never", on_output=indented)
        # Namespaces go once the namespace controller has emptied them.
        api.wait_gone({f"airflow-{NEW_TENANT}", document["platform"]["namespace"], *api.namespaces()})
        resources = engine.stack.export_stack().deployment.get("resources") or []
        expect(not resources, f"{len(resources)} resources left in the state")


def _bare_configmap() -> None:
    import pulumi_kubernetes as k8s

    k8s.core.v1.ConfigMap("no-explicit-provider", data={"a": "b"})


def engine_config_steps(report: Report, engine: Engine, cluster: Cluster) -> None:
    """What the real engine does with the project's config, before any provider runs."""
    with report.step("invalid stack config: clean error, nothing created"):
        broken = e2e_document(cluster.kubeconfig)
        broken["tenants"][0]["maxWorker"] = broken["tenants"][0].pop("maxWorkers")
        engine.configure(broken)
        try:
            engine.stack.preview(color="never")
        except engine.auto.CommandError as error:
            text = str(error)
            expect("tenants[0].maxWorker: is not a known key" in text, f"not the config problem: {text[-2000:]}")
            expect("Traceback" not in text, f"the config error came with a traceback: {text[-2000:]}")
            print("    " + "\n    ".join(dict.fromkeys(x.strip() for x in text.splitlines() if "maxWorker" in x)))
        else:
            raise CheckFailedError("preview accepted a config with a misspelt key")
    with report.step("pulumi:disable-default-providers is enforced"):
        engine.configure(e2e_document(cluster.kubeconfig))
        try:
            engine.stack.preview(color="never", program=_bare_configmap)
        except engine.auto.CommandError as error:
            text = str(error)
            expect("Default provider for 'kubernetes' disabled" in text, f"another failure: {text[-2000:]}")
        else:
            raise CheckFailedError("a resource without an explicit provider was accepted")


def engine_without_provider(report: Report, engine: Engine, cluster: Cluster, reason: str) -> None:
    """Without the provider, run the program under the real engine as far as it goes."""
    engine.configure(e2e_document(cluster.kubeconfig))
    with report.step("pulumi preview up to the provider"):
        # When the engine aborts, the inline language server's gRPC layer may print a traceback
        # (ExecuteBatchError) about the stream the engine closed: noise, not the result.
        try:
            engine.stack.preview(color="never")
        except engine.auto.CommandError as error:
            text = str(error)
            expect("kubernetes" in text and "plugin" in text, f"preview failed for another reason: {text[-3000:]}")
            line = next((x.strip() for x in text.splitlines() if "plugin" in x), text[-300:])
            print(f"    the engine ran the program and stopped at the provider: {line}")
        else:
            raise CheckFailedError("preview succeeded without the Kubernetes provider?")
    for name in ENGINE_STEPS:
        report.blocked(name, reason)


def eventually(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` once it stops failing, within 30 s (an admission policy and a quota's
    status take a moment to be in force)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return call(*args, **kwargs)
        except Exception as error:
            if time.monotonic() > deadline:
                raise CheckFailedError(f"{what} after 30 s: {getattr(error, 'body', error)}") from None
        time.sleep(0.5)


def _unchanged(api: Api, before: set[tuple[str, str, str]]) -> None:
    now = api.inventory()
    expect(now == before, f"left behind: {sorted(now - before)[:10]}; gone: {sorted(before - now)[:10]}")


def _type_checked(api: Api, policy: dict[str, Any]) -> None:
    live = api.get(policy)
    expect(live.status is not None and live.status.observedGeneration == live.metadata.generation,
           f"{policy['metadata']['name']} is not type-checked yet")


def wait_type_checked(api: Api, manifests: list[dict[str, Any]]) -> None:
    """Settle each admission policy before the re-apply check.

    The API server type-checks a policy's CEL after each change and applies the result to its status
    (a new resourceVersion). The first apply of the policy in a later second then rewrites the object
    once more, with the same spec: only the time and order of its managedFields entries change (their
    times have one-second resolution). Both are the API server's own bookkeeping, so wait for the
    first and make the second here."""
    for policy in (m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy"):
        eventually("the admission policy was not type-checked", _type_checked, api, policy)
        time.sleep(1.05 - time.time() % 1)  # into the next second
        api.apply(policy)


def open_namespace(api: Api, config: StackConfig) -> str:
    """A namespace without any policy (and a pull Secret like the tenants'), for the control probe."""
    tenant = config.tenants[0]
    secret = api.core.read_namespaced_secret(TENANT_PULL_SECRET_NAME, tenant.namespace_name)
    api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": OPEN_NAMESPACE}})
    api.apply({"apiVersion": "v1", "kind": "Secret", "type": secret.type, "data": secret.data,
               "metadata": {"name": TENANT_PULL_SECRET_NAME, "namespace": OPEN_NAMESPACE}})
    wait_for_default_account(api, OPEN_NAMESPACE)
    return OPEN_NAMESPACE


def wait_for_default_account(api: Api, namespace: str, timeout: float = 30) -> None:
    """Pods need the namespace's default ServiceAccount, which the controller manager makes."""
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + timeout
    while True:
        try:
            api.core.read_namespaced_service_account("default", namespace)
            return
        except ApiException:
            expect(time.monotonic() < deadline, f"no default ServiceAccount in {namespace}")
            time.sleep(0.3)


def everyday_objects(namespace: str) -> list[dict[str, Any]]:
    """A tenant's own ConfigMap, Secret, Pod and Job (sized, as the tenant's quota requires)."""
    meta = {"name": "e2e-work", "namespace": namespace}
    # From the local registry: a pod on the node pulls what it names (no pull Secret: it just fails).
    container = {"name": "work", "image": f"{REGISTRY['host']}/e2e/work:1", "command": ["true"],
                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                               "limits": {"cpu": "100m", "memory": "64Mi"}}}
    pod_spec = {"containers": [container], "restartPolicy": "Never", "automountServiceAccountToken": False}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"a": "b"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": {"token": "t"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec},
        # Suspended: the job controller starts no pod, whose job-tracking finalizer would slow the
        # namespace deletion below by seconds.
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
         "spec": {"suspend": True, "template": {"spec": pod_spec}}},
    ]


def isolation_steps(report: Report, api: Api, cluster: Cluster, document: dict[str, Any],
                    manifests: list[dict[str, Any]]) -> None:
    """A tenant cannot undo its own isolation: its admins are refused by RBAC, anyone else RBAC lets
    through is refused by the admission policy, and everyday work in the namespace is allowed."""
    from kubernetes import client

    tenant = document["tenants"][0]
    namespace = tenant.get("namespace") or f"airflow-{tenant['name']}"
    isolation = {(m["kind"], m["metadata"]["name"]): m for m in manifests
                 if m["metadata"].get("namespace") == namespace
                 and m["kind"] in ("NetworkPolicy", "ResourceQuota", "Role", "RoleBinding")}
    deny = isolation[("NetworkPolicy", "default-deny")]
    with report.step("tenant isolation: the deployer is the harness's admin"):
        review = client.AuthenticationV1Api(api.client).create_self_subject_review(
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        expect(review.status.user_info.username == DEPLOYER, f"the harness applies as {review.status.user_info}")
    tenant_admin = impersonated(cluster.kubeconfig, "e2e-tenant-admin", tenant["adminGroups"][0])
    with report.step("tenant admin: RBAC refuses changing isolation objects"):
        for (kind, name), manifest in sorted(isolation.items()):
            message = refusal(tenant_admin.resource(manifest).delete, name=name, namespace=namespace)
            expect("cannot delete resource" in message, f"{kind} {name}: not refused by RBAC: {message}")
        message = refusal(tenant_admin.apply, deny | {"spec": {"podSelector": {"matchLabels": {"x": "y"}}}})
        expect("cannot patch resource" in message, f"not refused by RBAC: {message}")
        print(f"    {message}")
    with report.step("not a deployer: the admission policy refuses changing isolation objects"):
        # Someone RBAC lets through: a user bound to the built-in admin ClusterRole in the namespace.
        api.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "e2e-builtin-admin", "namespace": namespace},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                   "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                 "name": "e2e-builtin-admin"}]})
        outsider = impersonated(cluster.kubeconfig, "e2e-builtin-admin")
        policies = outsider.resource(deny)
        # A dry run passes through admission without deleting: wait for the policy to be in force.
        first = eventually("the admission policy did not refuse a dry-run delete", refusal, policies.delete,
                           name="default-deny", namespace=namespace, dry_run="All")
        message = refusal(policies.delete, name="default-deny", namespace=namespace)
        expect("ValidatingAdmissionPolicy" in message and "only its deployers change it" in message,
               f"default-deny: not refused by the admission policy: {message}")
        message = refusal(outsider.apply, deny | {"spec": {"podSelector": {"matchLabels": {"x": "y"}}}})
        expect("ValidatingAdmissionPolicy" in message, f"update not refused by the admission policy: {message}")
        print(f"    {first}")
        # The built-in admin may not write quotas at all; a cluster admin who is no deployer may write
        # anything as far as RBAC goes (system:masters skips it), and admission still refuses.
        cluster_admin = impersonated(cluster.kubeconfig, "e2e-cluster-admin", "system:masters")
        for (kind, name), manifest in sorted(isolation.items()):
            message = refusal(cluster_admin.resource(manifest).delete, name=name, namespace=namespace)
            expect("ValidatingAdmissionPolicy" in message and "only its deployers change it" in message,
                   f"{kind} {name}: not refused by the admission policy: {message}")
        print(f"    a cluster admin who is not a deployer is refused for {len(isolation)} objects: "
              f"{sorted(name for _, name in isolation)}")
        # The policy guards the program's objects only: the user's own NetworkPolicy comes and goes.
        own = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "e2e-own", "namespace": namespace}, "spec": {"podSelector": {}}}
        outsider.apply(own)
        policies.delete(name="e2e-own", namespace=namespace)
        check_declared_exist(api, list(isolation.values()))
    with report.step("tenant admin: everyday work (pod, job, config map, secret) is allowed"):
        for manifest in everyday_objects(namespace):
            # The quota admits pods once its controller has computed the quota's usage.
            eventually(f"the tenant admin could not create a {manifest['kind']}",
                       tenant_admin.resource(manifest).create, body=manifest, namespace=namespace)
        tenant_admin.resource(everyday_objects(namespace)[0]).delete(name="e2e-work", namespace=namespace)
        authorization = client.AuthorizationV1Api(tenant_admin.client)
        for verb, subresource in (("create", "exec"), ("create", "portforward"), ("get", "log")):
            attributes = {"namespace": namespace, "verb": verb, "resource": "pods", "subresource": subresource}
            review = authorization.create_self_subject_access_review(
                {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                 "spec": {"resourceAttributes": attributes}})
            expect(review.status.allowed, f"the tenant admin may not {verb} pods/{subresource}")
        print("    created a ConfigMap, a Secret, a Pod and a Job, deleted the ConfigMap; "
              "exec, port-forward and logs allowed")
    with report.step("deployer: deletes and restores default-deny"):
        api.resource(deny).delete(name="default-deny", namespace=namespace)
        api.apply(deny)
        check_declared_exist(api, [deny])


def api_steps(report: Report, api: Api, cluster: Cluster, secrets: dict[str, str]) -> None:
    """The declared objects against the live API, without the engine (server-side validation,
    ordering, idempotency and deletion of what the program declares)."""
    document = e2e_document(cluster.kubeconfig, [*dev_document()["tenants"], new_tenant()])
    manifests = declared.manifests(document, secrets)
    inventory = api.inventory()
    with report.step("skipAwait transformation reaches component children"):
        # The ticket manager's Deployment is a component's child; these are the inputs the real
        # engine is sent, the transformation being the same in-process code under both engines.
        deployments = [m["metadata"] for m in manifests if m["kind"] == "Deployment"]
        bare = [d["name"] for d in deployments if (d.get("annotations") or {}).get(SKIP_AWAIT) != "true"]
        expect(bool(deployments) and not bare, f"Deployments without {SKIP_AWAIT}: {bare} (of {len(deployments)})")
        print(f"    {SKIP_AWAIT}=true on every Deployment: {[d['name'] for d in deployments]}")
    with report.step("declared objects: server-side apply in deploy order"):
        for manifest in manifests:
            try:
                api.apply(manifest)
            except Exception as error:
                meta = manifest["metadata"]
                where = f"{manifest['kind']} {meta.get('namespace', '')}/{meta['name']}"
                raise CheckFailedError(f"the API refused {where}: {getattr(error, 'body', error)}") from None
        check_declared_exist(api, manifests)
        wait_type_checked(api, manifests)
        print(f"    {len(manifests)} objects accepted")
    with report.step("declared objects: re-apply changes nothing"):
        before = {json.dumps(m["metadata"] | {"kind": m["kind"]}, sort_keys=True): api.get(m).metadata.resourceVersion
                  for m in manifests}
        changed = []
        for manifest in manifests:
            key = json.dumps(manifest["metadata"] | {"kind": manifest["kind"]}, sort_keys=True)
            if api.apply(manifest).metadata.resourceVersion != before[key]:
                changed.append(f"{manifest['kind']} {manifest['metadata']['name']}")
        expect(not changed, f"a second apply changed {changed}")
    isolation_steps(report, api, cluster, document, manifests)
    ticket_manager.steps(report, api, cluster, document, manifests)
    with report.step("declared objects: delete namespaces (finalized)"):
        names = api.namespaces()
        expect(len(names) == len(document["tenants"]) + 1, f"namespaces of the program: {sorted(names)}")
        for name in names:
            api.core.delete_namespace(name)
        api.wait_gone(names)
    with report.step("declared objects: nothing of the harness's left"):
        # The cluster-scoped objects outlive the namespaces; the engine's `up` must find a cluster
        # as the harness found it, or its server-side apply conflicts with the harness's field manager.
        for manifest in reversed(manifests):
            if "namespace" not in manifest["metadata"] and manifest["kind"] != "Namespace":
                api.resource(manifest).delete(name=manifest["metadata"]["name"])
        eventually("objects the harness created are still in the API", _unchanged, api, inventory)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-blocked", action="store_true",
                        help="exit 0 when every step passed or was blocked (default: blocked exits 3)")
    parser.add_argument("--scales", default="10",
                        help="tenant counts the stack grows to, each followed by a timed no-op preview (default 10)")
    parser.add_argument("--upgrade-from", metavar="GIT_REF",
                        help="also: a stack made by GIT_REF's program, previewed and destroyed by this tree's")
    args = parser.parse_args(argv)
    scales = [int(n) for n in args.scales.split(",") if n]
    report = Report()
    started = time.monotonic()
    failed = False
    unavailable: dict[str, str] = {}
    with signals_raise():
        try:
            with report.step("build tools (cached)"):
                box = go_tools.ensure_tools()
            unavailable = box.blocked
            houston_steps.steps(report, box.paths.get("pulumi"))
            run_with_cluster(report, box, scales, args.upgrade_from)
        except Exception:
            failed = True
            traceback.print_exc()
    total = time.monotonic() - started
    print(f"\nend-to-end summary ({total:.0f} s):\n{report.summary()}")
    for name, reason in unavailable.items():
        print(f"blocked by {name}, which could not be had: {reason}")
    if failed or any(status == "FAILED" for _, status, _ in report.results):
        return 1
    if any(status == "BLOCKED" for _, status, _ in report.results):
        return 0 if args.allow_blocked else 3
    return 0


def run_with_cluster(report: Report, box: go_tools.Toolbox, scales: list[int], upgrade_from: str | None) -> None:
    missing = {*NODE_TOOLS} & box.blocked.keys()
    if missing:
        raise CheckFailedError(f"cannot start the cluster without {sorted(missing)} (why: at the end)")
    secrets = fake_secrets()
    artifactory = dev_document()["artifactory"]
    logins = {artifactory["username"]: secrets["artifactoryPassword"],
              artifactory["pullUsername"]: secrets["artifactoryPullPassword"]}
    with contextlib.ExitStack() as stack:
        with report.step("images: build (cached) and push to the registry standing in for Artifactory"):
            built = images.build(airflow_pins(dev_document()["images"]["runtimeVersion"]))
            network = stack.enter_context(node_network())
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="e2e-registry-")))
            local = stack.enter_context(registry(directory, logins, storage=PROJECT_CACHE / "e2e-registry"))
            REGISTRY["host"] = local.host
            pushed = push_images(built, local, artifactory["username"], secrets["artifactoryPassword"])
        started = time.monotonic()
        cluster = stack.enter_context(control_plane(box.paths, network))
        api = Api(cluster.kubeconfig)
        wait_for_controllers(api)
        report.results.append(("start control plane", "ok", time.monotonic() - started))
        print(f"step 'start control plane' ok seconds={time.monotonic() - started:.1f} ({cluster.server})")
        with report.step("start the node (containerd, kubelet, kube-proxy, NetworkPolicy enforcer)"):
            stack.enter_context(node(cluster, box.paths, local, built.pause_archive, images.PAUSE))
            wait_node_ready(api, cluster)
        standin = houston_standin(secrets, scales)
        HOUSTON["url"] = stack.enter_context(standin.running())
        cluster_steps(report, box, api, cluster, secrets, scales, pushed)
        if upgrade_from:
            upgrade.steps(report, box, api, cluster, secrets, upgrade_from)


def push_images(built: images.Built, local: RunningRegistry, user: str, password: str) -> tenant_tasks.Images:
    """The tenants' deployment images (Airflow) and datakit images, and a probe image, into the registry
    with the platform's own login; the pods then pull them with their namespace's read-only one."""
    document = e2e_document(Path("unused"))
    prefix = f"{local.host}/{document['artifactory']['repositories']['deployments']}"
    datakits = f"{local.host}/{document['artifactory']['repositories']['datakits']}"
    airflow = {t["name"]: f"{prefix}/{t['image']}" for t in [*document["tenants"], new_tenant()]}
    targets = {reference: "airflow" for reference in airflow.values()}
    targets |= {f"{datakits}/{name}:{kit['version']}": "datakit" for name, kit in document["datakits"].items()}
    probe = f"{datakits}/e2e-probe:1"
    targets[probe] = "base"
    access = RegistryAccess(local.host, Login(user, password), ca_file=local.ca_file)
    with session(vetting_tools.ensure("regctl"), [access]) as regctl:
        for reference, image in targets.items():
            regctl.copy(f"ocidir://{built.layout}:{image}", reference)
    print(f"    pushed {len(targets)} references to {local.host}", flush=True)
    return tenant_tasks.Images(airflow=airflow, probe=probe)


def wait_node_ready(api: Api, cluster: Cluster, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        cluster.processes.check_alive()
        nodes = api.core.list_node().items
        ready = [n for n in nodes if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])]
        if ready:
            print(f"    node {ready[0].metadata.name} Ready ({ready[0].spec.pod_cidr})", flush=True)
            return
        expect(time.monotonic() < deadline, f"no node Ready after {timeout:.0f} s: {[n.metadata.name for n in nodes]}")
        time.sleep(0.5)


def cluster_steps(report: Report, box: go_tools.Toolbox, api: Api, cluster: Cluster, secrets: dict[str, str],
                  scales: list[int], pushed: tenant_tasks.Images) -> None:
    """Everything that needs the control plane (and, from the engine steps on, the Houston stand-in)."""
    api_steps(report, api, cluster, secrets)
    if "pulumi" in box.blocked:
        for name in ENGINE_STEPS:
            report.blocked(name, "no pulumi CLI (why: at the end)")
        return
    with report.step("pulumi stack init (file backend, passphrase)"):
        engine = Engine(cluster.workdir, box, secrets)
    engine_config_steps(report, engine, cluster)
    if "pulumi-resource-kubernetes" in box.blocked:
        engine_without_provider(report, engine, cluster, "no pulumi-resource-kubernetes (why: at the end)")
    else:
        engine_steps(report, engine, api, cluster, secrets, scales, pushed)
        data_planes.steps(report, box, api, cluster, secrets)


if __name__ == "__main__":
    sys.exit(main())
