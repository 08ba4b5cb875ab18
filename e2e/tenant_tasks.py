"""A tenant's task runs on the node, and its isolation holds, with the objects the engine's ``pulumi up``
made; what the Airflow chart would add to a tenant namespace is added here the way the chart adds it.

- **tenant task runs (KubernetesPodOperator)**: in each tenant namespace, a worker pod with the identity
  the Airflow chart gives a worker (a ServiceAccount bound to the chart's pod-launcher Role) runs the
  tenant kit's example DAG's task with real Airflow (``airflow tasks test``). The operator launches the
  datakit pod through the API server; it pulls through the namespace's pull Secret (a pod without it
  cannot pull), mounts the ticket cache the real ticket manager wrote, and prints (``klist``) a ticket of
  the tenant's own principal.
- **tenant isolation is enforced**: from a pod of one tenant, what its policy allows connects (the API
  server through its Service, the KDC, the metadata database, its own data source) and nothing else
  does (another tenant's pod, the vault, an address in no allow list); another tenant does not reach the
  first one's data source. The address in no allow list does connect from a namespace without policies,
  so each refusal is the enforcer's, not the network's.
- **the checks can fail**: with the API-server rule taken out of a tenant's policy, its task fails.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from components.registry import TENANT_PULL_SECRET_NAME
from components.tenant_specs import ALLOW
from config.stack import StackConfig
from config.tenant import TenantConfig
from e2e.harness import Api, CheckFailedError, Report, expect
from e2e.images import DAGS
from e2e.network import API_SERVICE_IP, DATA_SOURCE_CIDR, SERVICES, Network, TcpListener, in_namespace
from tenant_kit.dag import dag_id
from tenant_kit.environment import resolved_environment
from tenant_kit.project import kit_files

WORKER = "e2e-worker"
DAGS_CONFIG = "e2e-dags"
LOGICAL_DATE = "2024-01-01"
TASK_SECONDS = 240
# The Airflow chart's pod-launcher Role: what a worker needs to run pods (KubernetesPodOperator).
POD_LAUNCHER_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "list", "get", "patch", "watch", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
]
OUTSIDE = (SERVICES.outside, 443)
SMALL = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "128Mi"}}
# The enforcer learns a new pod's address a moment after the pod starts, and lets its packets pass until
# then: with a settle target (an address the pod's policy denies), the probe first waits until a
# connection there fails, at most 30 s.
PROBE = """
import json, socket, sys, time
def reaches(host, port, timeout=3):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False
if len(sys.argv) > 2:
    host, port = json.loads(sys.argv[2])
    deadline = time.monotonic() + 30
    while reaches(host, port, 1):
        if time.monotonic() > deadline:
            print(json.dumps({"settled": False}), flush=True)
            sys.exit(0)
        time.sleep(0.5)
results = {}
for name, host, port in json.loads(sys.argv[1]):
    results[name] = reaches(host, port)
print(json.dumps(results), flush=True)
"""
LISTEN = """
import socket
server = socket.create_server(("0.0.0.0", 8080))
while True:
    server.accept()[0].close()
"""


@dataclass(frozen=True)
class Images:
    """Where the harness pushed the images: the references the pods pull."""

    airflow: dict[str, str]
    """tenant -> its deployment image (Airflow and the provider of its Runtime)"""
    probe: str
    """a small image with Python"""


def _pod(name: str, namespace: str, image: str, command: list[str], resources: dict[str, Any],
         pull_secret: bool = True, **spec: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{"name": "main", "image": image, "command": command, "resources": resources}],
        **spec,
    }
    if pull_secret:
        pod_spec["imagePullSecrets"] = [{"name": TENANT_PULL_SECRET_NAME}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": pod_spec}


STUCK = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError")


def _finished(api: Api, namespace: str, name: str, timeout: float) -> str:
    """The pod's final phase; fails naming its state if it neither succeeds nor fails in time, or cannot
    start at all."""
    deadline = time.monotonic() + timeout
    while True:
        pod = api.core.read_namespaced_pod(name, namespace)
        if pod.status.phase in ("Succeeded", "Failed"):
            return str(pod.status.phase)
        waiting = [(s.state.waiting.reason, s.state.waiting.message) for s in pod.status.container_statuses or []
                   if s.state.waiting]
        if time.monotonic() > deadline or any(reason in STUCK for reason, _ in waiting):
            raise CheckFailedError(f"{namespace}/{name} is {pod.status.phase}: {waiting}")
        time.sleep(1)


def _logs(api: Api, namespace: str, name: str) -> str:
    return str(api.core.read_namespaced_pod_log(name, namespace))


def _delete(api: Api, namespace: str, name: str) -> None:
    api.core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def _launcher(api: Api, namespace: str, dag_file: str) -> None:
    """What the Airflow chart gives a worker: a ServiceAccount bound to the pod-launcher Role; and the DAG."""
    meta = {"name": WORKER, "namespace": namespace}
    api.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
    api.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
               "rules": POD_LAUNCHER_RULES})
    api.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": WORKER},
               "subjects": [{"kind": "ServiceAccount", "name": WORKER, "namespace": namespace}]})
    api.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": DAGS_CONFIG, "namespace": namespace},
               "data": {"example.py": dag_file}})


def _start_task(api: Api, config: StackConfig, tenant: TenantConfig, image: str, name: str, seconds: int) -> None:
    files = kit_files(config, tenant)
    dag_file = next(content for path, content in files.items() if path.startswith("dags/"))
    _launcher(api, tenant.namespace_name, dag_file)
    datakit = tenant.datakits[0]
    # The deployment's own environment (its Airflow variables: namespace, datakit images), as Houston sets it.
    env = [{"name": key, "value": value} for key, value in resolved_environment(config, tenant).plain.items()]
    command = ["timeout", str(seconds), "python3", "-m", "airflow", "tasks", "test", dag_id(tenant, datakit),
               f"run_{datakit.replace('-', '_')}", LOGICAL_DATE]
    pod = _pod(name, tenant.namespace_name, image, command,
               {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1536Mi"}},
               serviceAccountName=WORKER,
               volumes=[{"name": "dags", "configMap": {"name": DAGS_CONFIG}}])
    pod["spec"]["containers"][0]["env"] = env
    # The file alone: a ConfigMap volume's own symlinked directories look like a loop to Airflow's DagBag.
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "dags", "mountPath": f"{DAGS}/example.py",
                                                     "subPath": "example.py"}]
    api.apply(pod)


def _task_result(api: Api, tenant: TenantConfig, name: str) -> tuple[str, str]:
    phase = _finished(api, tenant.namespace_name, name, TASK_SECONDS + 120)
    return phase, _logs(api, tenant.namespace_name, name)


def task_steps(report: Report, api: Api, config: StackConfig, images: Images, tenants: list[str]) -> None:
    chosen = [t for t in config.tenants if t.name in tenants]
    expect(len(chosen) == len(tenants) and all(t.datakits for t in chosen), f"tenants with datakits: {tenants}")
    with report.step("tenant task pull: a pod without the pull Secret cannot pull"):
        tenant = chosen[0]
        pod = _pod("e2e-no-pull-secret", tenant.namespace_name, images.probe, ["true"], SMALL, pull_secret=False)
        api.apply(pod)
        reason = _waiting_reason(api, tenant.namespace_name, "e2e-no-pull-secret", ("ErrImagePull", "ImagePullBackOff"))
        _delete(api, tenant.namespace_name, "e2e-no-pull-secret")
        expect("401" in reason or "nauthorized" in reason, f"refused for another reason than credentials: {reason}")
        print(f"    without {TENANT_PULL_SECRET_NAME}: {reason}")
    with report.step(f"tenant task runs (KubernetesPodOperator) tenants={len(chosen)}"):
        for tenant in chosen:
            _start_task(api, config, tenant, images.airflow[tenant.name], "e2e-task", TASK_SECONDS)
        for tenant in chosen:
            phase, logs = _task_result(api, tenant, "e2e-task")
            principal = tenant.kerberos.principal
            expect(phase == "Succeeded", f"{tenant.name}: the task pod {phase}:\n{logs[-4000:]}")
            expect(f"Default principal: {principal}" in logs,
                   f"{tenant.name}: the datakit pod printed no ticket of {principal}:\n{logs[-4000:]}")
            ticket = next(line for line in logs.splitlines() if "Default principal:" in line)
            print(f"    {tenant.namespace_name}: task succeeded; datakit pod: {ticket.strip()}")
            _delete(api, tenant.namespace_name, "e2e-task")


def _waiting_reason(api: Api, namespace: str, name: str, reasons: tuple[str, ...], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        pod = api.core.read_namespaced_pod(name, namespace)
        for status in pod.status.container_statuses or []:
            if status.state.waiting and status.state.waiting.reason in reasons:
                return f"{status.state.waiting.reason}: {status.state.waiting.message or ''}"[:300]
        expect(pod.status.phase == "Pending", f"{namespace}/{name} is {pod.status.phase}, not waiting for its image")
        expect(time.monotonic() < deadline, f"{namespace}/{name} did not fail to pull within {timeout:.0f} s")
        time.sleep(1)


@contextlib.contextmanager
def listeners(network: Network, config: StackConfig) -> Iterator[None]:
    """Something accepting connections at the services' addresses the KDC and vault stand-ins do not hold:
    the metadata database, the tenants' data source on each of its ports, and the address in no allow list."""
    ports = sorted({port for tenant in config.tenants for rule in tenant.egress for port in rule.ports})
    places = [(SERVICES.database, config.tenancy.egress.database_port), OUTSIDE,
              *((SERVICES.data_source, port) for port in ports)]
    opened = [in_namespace(network.namespace, lambda place=place: TcpListener(*place)) for place in places]
    try:
        yield
    finally:
        for listener in opened:
            listener.close()


def _probe(api: Api, namespace: str, image: str, targets: list[tuple[str, str, int]], name: str,
           settle: tuple[str, int] | None = OUTSIDE) -> dict[str, bool]:
    command = ["python3", "-c", PROBE, json.dumps(targets), *([json.dumps(settle)] if settle else [])]
    api.apply(_pod(name, namespace, image, command, SMALL))
    phase = _finished(api, namespace, name, 120)
    logs = _logs(api, namespace, name)
    expect(phase == "Succeeded", f"the probe in {namespace} {phase}: {logs[-2000:]}")
    _delete(api, namespace, name)
    result = dict(json.loads(logs.strip().splitlines()[-1]))
    expect(result != {"settled": False}, f"in {namespace}, {settle} stayed reachable for 30 s: no policy in force")
    return result


def _listener(api: Api, namespace: str, image: str) -> str:
    """A pod that accepts connections on 8080; its address."""
    api.apply(_pod("e2e-listener", namespace, image, ["python3", "-c", LISTEN], SMALL))
    deadline = time.monotonic() + 120
    while True:
        pod = api.core.read_namespaced_pod("e2e-listener", namespace)
        if pod.status.phase == "Running" and pod.status.pod_ip:
            return str(pod.status.pod_ip)
        expect(time.monotonic() < deadline, f"the listener in {namespace} is {pod.status.phase}")
        time.sleep(1)


def isolation_steps(report: Report, api: Api, config: StackConfig, images: Images, first: str, second: str,
                    open_namespace: Callable[[], str]) -> None:
    tenants = {t.name: t for t in config.tenants}
    a, b = tenants[first], tenants[second]
    with report.step("tenant isolation is enforced"):
        other = _listener(api, b.namespace_name, images.probe)
        allowed = [("api-server", API_SERVICE_IP, 443), ("kdc", SERVICES.kdc, 88),
                   ("database", SERVICES.database, config.tenancy.egress.database_port),
                   ("own data source", SERVICES.data_source, 1433)]
        denied = [("other tenant's pod", other, 8080), ("vault", SERVICES.vault, 443),
                  ("outside every allow list", *OUTSIDE)]
        result = _probe(api, a.namespace_name, images.probe, allowed + denied, "e2e-probe")
        print(f"    from {a.namespace_name}: {result}")
        expect(all(result[name] for name, _, _ in allowed), f"{a.name} could not reach what it is allowed: {result}")
        expect(not any(result[name] for name, _, _ in denied), f"{a.name} reached what it is denied: {result}")
        # The other tenant's pod answers its own namespace; that tenant does not reach the first one's data source.
        from_b = _probe(api, b.namespace_name, images.probe, [("own pod", other, 8080), (
            "first tenant's data source", SERVICES.data_source, 1433)], "e2e-probe")
        print(f"    from {b.namespace_name}: {from_b}")
        expect(from_b["own pod"], f"{b.name}'s own pod did not answer in its namespace: {from_b}")
        expect(not from_b["first tenant's data source"],
               f"{b.name} reached {a.name}'s data source ({DATA_SOURCE_CIDR})")
        # Without any policy the services outside every allow list answer: the refusals above are the enforcer's.
        outside = [target for target in denied if target[1] != other]
        unrestricted = _probe(api, open_namespace(), images.probe, outside, "e2e-probe", settle=None)
        print(f"    from a namespace without policies: {unrestricted}")
        expect(all(unrestricted.values()), f"unreachable even without policies, so nothing was proven: {unrestricted}")
        _delete(api, b.namespace_name, "e2e-listener")


def failing_steps(report: Report, api: Api, config: StackConfig, images: Images, tenant_name: str) -> None:
    tenant = next(t for t in config.tenants if t.name == tenant_name)
    api_server = config.tenancy.egress.api_server_cidrs
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": ALLOW, "namespace": tenant.namespace_name}}
    original = copy.deepcopy(api.get(policy).to_dict())
    original["metadata"].pop("managedFields", None)
    with report.step("the check can fail: without the API-server rule the task fails"):
        spec = copy.deepcopy(original["spec"])
        spec["egress"] = [rule for rule in spec["egress"]
                          if [p.get("ipBlock", {}).get("cidr") for p in rule.get("to") or []] != list(api_server)]
        expect(len(spec["egress"]) == len(original["spec"]["egress"]) - 1, "no API-server rule to take out")
        api.resource(policy).replace(body={**original, "spec": spec})
        try:
            _start_task(api, config, tenant, images.airflow[tenant.name], "e2e-task-cut", 30)
            phase, logs = _task_result(api, tenant, "e2e-task-cut")
            expect(phase == "Failed", f"the task {phase} without the API-server rule:\n{logs[-3000:]}")
            print(f"    {tenant.namespace_name}: the task pod Failed (its worker could not reach the API server)")
            _delete(api, tenant.namespace_name, "e2e-task-cut")
        finally:
            current = api.get(policy).to_dict()
            api.resource(policy).replace(body={**original, "metadata": {
                **original["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}})
