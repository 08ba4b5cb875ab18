"""A throw-away Kubernetes cluster of one node, all on this machine.

The control plane (etcd and kube-apiserver) runs in the services namespace of ``e2e.network``, so pods
reach the API server through the node's routing, where NetworkPolicies apply; kube-controller-manager
and kube-scheduler run on the node and reach it there too. ``e2e.node`` starts the node itself.
Everything lives in one temporary directory (certificates, etcd data, kubeconfigs, logs) that is
removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from e2e.network import API_SERVER_PORT, API_SERVICE_IP, POD_CIDR, SERVICE_CIDR, SERVICES, Network

NODE_NAME = "e2e-node"


@dataclass(frozen=True)
class Cluster:
    server: str
    kubeconfig: Path  # admin (system:masters) client certificate
    workdir: Path
    pki: Path
    network: Network
    processes: Processes

    def kubeconfig_of(self, user: str) -> Path:
        """A kubeconfig for one of the identities ``_certificates`` made."""
        path = self.workdir / f"{user}.kubeconfig"
        if not path.exists():
            _kubeconfig(path, self.server, self.pki, user)
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


# Client identities: file name -> subject. The node's, the scheduler's and kube-proxy's are the names the
# API server's bootstrap RBAC grants their rights to; the enforcer reads policies, pods and namespaces.
_CLIENTS = {
    # system:masters: the test acts as cluster admin, as the program's deployer would.
    "admin": "/O=system:masters/CN=e2e-admin",
    # With --use-service-account-credentials each controller then acts as its own service account.
    "controller-manager": "/CN=system:kube-controller-manager",
    "scheduler": "/CN=system:kube-scheduler",
    "kubelet": f"/O=system:nodes/CN=system:node:{NODE_NAME}",
    "kube-proxy": "/CN=system:kube-proxy",
    "network-policies": "/O=system:masters/CN=e2e-network-policies",
    "apiserver-kubelet-client": "/O=system:masters/CN=kube-apiserver-kubelet-client",
}


_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
_SIGNED = ("-CA", "ca.crt", "-CAkey", "ca.key", "-days", "2", "-addext", "basicConstraints=critical,CA:FALSE")


def _serving_certificate(pki: Path, name: str, names: str) -> None:
    """An API server's serving certificate for ``names`` (subjectAltName form), signed by the CA in ``pki``."""
    _openssl("req", "-x509", *_KEY, *_SIGNED, "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-subj", "/CN=kube-apiserver", "-addext", "extendedKeyUsage=serverAuth",
             "-addext", f"subjectAltName={names}", cwd=pki)


def _certificates(pki: Path) -> None:
    """A CA, the API server's serving certificate, the client certificates and the SA key pair."""
    pki.mkdir()
    _openssl("req", "-x509", *_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=e2e-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)
    _serving_certificate(pki, "apiserver",
                         f"IP:{SERVICES.api_server},IP:{API_SERVICE_IP},DNS:kubernetes.default.svc,DNS:kubernetes.default")
    for name, subject in _CLIENTS.items():
        _openssl("req", "-x509", *_KEY, *_SIGNED, "-keyout", f"{name}.key", "-out", f"{name}.crt",
                 "-subj", subject, "-addext", "extendedKeyUsage=clientAuth", cwd=pki)
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "sa.key", cwd=pki)
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def _kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate": str(pki / f"{user}.crt"),
                                          "client-key": str(pki / f"{user}.key")}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": user}}],
        "current-context": "e2e",
    }))


class Processes:
    """Child processes, each in its own process group, stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self.running.append((name, process))
        return process

    def check_alive(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 20) -> str:
        return "\n".join((self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])

    def stop_one(self, name: str) -> None:
        for entry in [e for e in self.running if e[0] == name]:
            _terminate(entry[1])
            self.running.remove(entry)

    def stop(self) -> None:
        for _name, process in reversed(self.running):
            _terminate(process)
        self.running.clear()


def _terminate(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_ready(server: str, pki: Path, processes: Processes, timeout: float = 120) -> None:
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(pki / "admin.crt", pki / "admin.key")
    deadline = time.monotonic() + timeout
    while True:
        processes.check_alive()
        try:
            with urllib.request.urlopen(f"{server}/readyz", context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"kube-apiserver not ready after {timeout:.0f} s:\n{processes.tail('kube-apiserver')}")
        time.sleep(0.5)


def _etcd(processes: Processes, tools: Mapping[str, Path], workdir: Path, prefix: list[str], client_port: int,
          peer_port: int) -> str:
    """etcd on a loopback (the services namespace's with ``prefix``); its client URL."""
    client_url, peer_url = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
    processes.start("etcd", [
        *prefix, str(tools["etcd"]), "--name=e2e", f"--data-dir={workdir / 'etcd'}",
        f"--listen-client-urls={client_url}", f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=e2e={peer_url}",
    ])
    return client_url


def _api_server(processes: Processes, tools: Mapping[str, Path], workdir: Path, pki: Path, prefix: list[str],
                etcd_url: str, address: str, port: int, serving: str) -> str:
    """kube-apiserver with ``serving``.crt/.key as its certificate; its URL once ready."""
    server = f"https://{address}:{port}"
    processes.start("kube-apiserver", [
        *prefix, str(tools["kube-apiserver"]),
        f"--etcd-servers={etcd_url}",
        f"--bind-address={address}", f"--advertise-address={address}",
        f"--secure-port={port}",
        f"--tls-cert-file={pki / f'{serving}.crt'}", f"--tls-private-key-file={pki / f'{serving}.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP",
        "--authorization-mode=Node,RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--cert-dir={workdir / 'apiserver-certs'}",
        "--profiling=false",
    ])
    _wait_ready(server, pki, processes)
    return server


def _controller_manager(processes: Processes, tools: Mapping[str, Path], workdir: Path, pki: Path,
                        server: str) -> None:
    kubeconfig = workdir / "controller-manager.kubeconfig"
    _kubeconfig(kubeconfig, server, pki, "controller-manager")
    processes.start("kube-controller-manager", [
        str(tools["kube-controller-manager"]),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}", f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
        f"--cert-dir={workdir / 'controller-manager-certs'}",
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allocate-node-cidrs=true", f"--cluster-cidr={POD_CIDR}", "--node-cidr-mask-size=24",
    ])


@contextlib.contextmanager
def _running(workdir: Path, processes: Processes) -> Iterator[None]:
    """Print the logs of a failed start or run; stop every process and remove ``workdir`` on exit."""
    try:
        yield
        processes.check_alive()
    except BaseException:
        for name, _ in processes.running:
            print(f"--- last lines of {name}.log ---\n{processes.tail(name)}", flush=True)
        raise
    finally:
        processes.stop()
        subprocess.run(["rm", "-rf", "--one-file-system", str(workdir)], check=False)


@contextlib.contextmanager
def control_plane(tools: Mapping[str, Path], network: Network) -> Iterator[Cluster]:
    """Start etcd and the control plane in a temporary directory; stop and remove all on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="astronomer-e2e-"))
    pki, logs = workdir / "pki", workdir / "logs"
    logs.mkdir()
    processes = Processes(logs)
    in_services = network.exec_prefix()
    with _running(workdir, processes):
        _certificates(pki)
        # etcd on the services namespace's own loopback: only the API server beside it reaches it.
        etcd = _etcd(processes, tools, workdir, in_services, 2379, 2380)
        server = _api_server(processes, tools, workdir, pki, in_services, etcd, SERVICES.api_server, API_SERVER_PORT,
                             "apiserver")
        _controller_manager(processes, tools, workdir, pki, server)
        scheduler_kubeconfig = workdir / "scheduler.kubeconfig"
        _kubeconfig(scheduler_kubeconfig, server, pki, "scheduler")
        processes.start("kube-scheduler", [
            str(tools["kube-scheduler"]), f"--kubeconfig={scheduler_kubeconfig}",
            f"--authentication-kubeconfig={scheduler_kubeconfig}",
            f"--authorization-kubeconfig={scheduler_kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={free_port()}", "--leader-elect=false",
        ])
        kubeconfig = workdir / "admin.kubeconfig"
        _kubeconfig(kubeconfig, server, pki, "admin")
        yield Cluster(server=server, kubeconfig=kubeconfig, workdir=workdir, pki=pki, network=network,
                      processes=processes)


@contextlib.contextmanager
def second_control_plane(tools: Mapping[str, Path], first: Cluster) -> Iterator[Cluster]:
    """Another cluster's control plane (etcd, kube-apiserver, kube-controller-manager) on this machine's loopback,
    with no node: a data plane's API server. Its CA and client identities are ``first``'s (one deployer for both,
    as a platform team's), its serving certificate its own."""
    workdir = Path(tempfile.mkdtemp(prefix="astronomer-e2e-dataplane-"))
    pki, logs = workdir / "pki", workdir / "logs"
    logs.mkdir()
    processes = Processes(logs)
    with _running(workdir, processes):
        shutil.copytree(first.pki, pki)
        _serving_certificate(pki, "dataplane-apiserver", "IP:127.0.0.1")
        etcd = _etcd(processes, tools, workdir, [], free_port(), free_port())
        server = _api_server(processes, tools, workdir, pki, [], etcd, "127.0.0.1", free_port(), "dataplane-apiserver")
        _controller_manager(processes, tools, workdir, pki, server)
        kubeconfig = workdir / "admin.kubeconfig"
        _kubeconfig(kubeconfig, server, pki, "admin")
        yield Cluster(server=server, kubeconfig=kubeconfig, workdir=workdir, pki=pki, network=first.network,
                      processes=processes)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise SystemExit, so ``finally`` blocks run (SIGINT already raises)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
