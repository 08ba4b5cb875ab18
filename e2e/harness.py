"""What every end-to-end check uses: the step report, expectations, and the API client of the test
cluster (as its admin, or as another user through impersonation)."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PART_OF = "app.kubernetes.io/part-of=astronomer-platform"
# Objects the control plane writes by itself while it runs: not anyone's leftovers.
CHURN = frozenset({"Event", "Lease"})


class CheckFailedError(AssertionError):
    pass


class Report:
    def __init__(self) -> None:
        self.results: list[tuple[str, str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"--- {name}", flush=True)
        started = time.monotonic()
        try:
            yield
        except Exception:
            seconds = time.monotonic() - started
            self.results.append((name, "FAILED", seconds))
            print(f"step {name!r} FAILED seconds={seconds:.1f}", flush=True)
            raise
        seconds = time.monotonic() - started
        self.results.append((name, "ok", seconds))
        print(f"step {name!r} ok seconds={seconds:.1f}", flush=True)

    def blocked(self, name: str, reason: str) -> None:
        self.results.append((name, "BLOCKED", 0.0))
        print(f"step {name!r} BLOCKED: {reason}", flush=True)

    def summary(self) -> str:
        width = max(len(name) for name, _, _ in self.results)
        lines = [f"  {name:<{width}}  {status:<7}  {seconds:7.1f} s" for name, status, seconds in self.results]
        return "\n".join(lines)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailedError(message)


class Api:
    """The Python kubernetes client on the test cluster's admin kubeconfig."""

    def __init__(self, kubeconfig: Path, pool_size: int = 4) -> None:
        from kubernetes import client, config, dynamic

        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
        # Connections kept per host: as many as the threads that share this client.
        configuration.connection_pool_maxsize = pool_size
        self.client = client.ApiClient(configuration)
        self.core = client.CoreV1Api(self.client)
        self.dynamic = dynamic.DynamicClient(self.client)

    def resource(self, manifest: dict[str, Any]):
        return self.dynamic.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])

    def get(self, manifest: dict[str, Any]):
        from kubernetes.dynamic.exceptions import NotFoundError

        metadata = manifest["metadata"]
        try:
            return self.resource(manifest).get(name=metadata["name"], namespace=metadata.get("namespace"))
        except NotFoundError:
            return None

    def apply(self, manifest: dict[str, Any]):
        metadata = manifest["metadata"]
        return self.dynamic.server_side_apply(
            self.resource(manifest), body=manifest, name=metadata["name"], namespace=metadata.get("namespace"),
            field_manager="e2e", force_conflicts=True,
        )

    def missing(self, manifests: list[dict[str, Any]]) -> list[str]:
        """``kind namespace/name`` of each of ``manifests`` the API does not hold."""
        return [f"{m['kind']} {m['metadata'].get('namespace', '')}/{m['metadata']['name']}"
                for m in manifests if self.get(m) is None]

    def inventory(self) -> set[tuple[str, str, str]]:
        """(apiVersion/kind, namespace, name) of every stored object the API lists, but those the
        cluster itself churns (events, leases): to prove a step leaves nothing behind."""
        from kubernetes.dynamic.resource import ResourceList

        found: set[tuple[str, str, str]] = set()
        for resource in self.dynamic.resources.search():
            if (isinstance(resource, ResourceList) or "list" not in (resource.verbs or [])
                    or "/" in resource.name or resource.kind in CHURN):
                continue
            for item in resource.get().items:
                found.add((f"{resource.group_version}/{resource.kind}", item.metadata.namespace or "",
                           item.metadata.name))
        return found

    def namespaces(self, selector: str = PART_OF) -> set[str]:
        return {ns.metadata.name for ns in self.core.list_namespace(label_selector=selector).items}

    def wait_gone(self, names: set[str], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = names & {ns.metadata.name for ns in self.core.list_namespace().items}
            if not left:
                return
            expect(time.monotonic() < deadline, f"namespaces still present after {timeout:.0f} s: {sorted(left)}")
            time.sleep(1)


def impersonated(kubeconfig: Path, user: str, group: str | None = None) -> Api:
    """The API as another user (the admin may impersonate), as that user's own kubectl would be."""
    api = Api(kubeconfig)
    api.client.set_default_header("Impersonate-User", user)
    if group:
        api.client.set_default_header("Impersonate-Group", group)
    return api


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    """The message of the 403 that ``call(*args, **kwargs)`` (of the dynamic or the typed client) must
    end in."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic.exceptions import DynamicApiError

    try:
        call(*args, **kwargs)
    except (DynamicApiError, ApiException) as error:
        message = json.loads(error.body)["message"]
        expect(error.status == 403, f"refused with {error.status}, not 403: {message}")
        return message
    raise CheckFailedError("the request was allowed")


def stored_state(workdir: Path) -> str:
    """The file backend's files under ``workdir`` as stored (an export would decrypt the secrets)."""
    return "".join(path.read_text() for path in sorted((workdir / "state").rglob("*.json")))


def file_backend_env(workdir: Path) -> dict[str, str]:
    """A Pulumi CLI environment of its own under ``workdir``: a file backend in ``state/`` (which
    must exist), a fresh passphrase, no update checks and no plugin downloads (the plugins are the
    ones the harness built, found on PATH). ``metadata=skip``: the program reads its own stack during an update
    (``deployed-platform``), and the file backend rewrites each state file's attributes sidecar in place, so a
    read between truncate and write fails with EOF; without the sidecar the state file alone is read, and it is
    replaced atomically."""
    return {
        "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}?metadata=skip",
        "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        "PULUMI_HOME": str(workdir / "pulumi-home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


def wait_for_controllers(api: Api, timeout: float = 120) -> None:
    """The controller manager is working once it has created the default ServiceAccount."""
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + timeout
    while True:
        try:
            api.core.read_namespaced_service_account("default", "default")
            return
        except ApiException as error:
            expect(error.status == 404, f"reading the default ServiceAccount: {error}")
        expect(time.monotonic() < deadline, "kube-controller-manager did not create the default ServiceAccount")
        time.sleep(0.5)
