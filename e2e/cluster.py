"""A throw-away Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager.

Everything lives in one temporary directory (certificates, etcd data, kubeconfigs, logs) that is
removed on exit. There is no kubelet and no scheduler: objects are stored and validated, pods never
run. The controller manager is there for what the API needs beyond storage: namespace deletion
(finalization), garbage collection of dependents, service-account tokens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

SERVICE_CIDR = "10.96.0.0/16"  # never routed: no node, no proxy


@dataclass(frozen=True)
class Cluster:
    server: str
    kubeconfig: Path  # admin (system:masters) client certificate
    workdir: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(pki: Path) -> None:
    """A CA, the API server's serving certificate, two client certificates and the SA key pair."""
    pki.mkdir()
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=e2e-ca", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)
    signed = ("-CA", "ca.crt", "-CAkey", "ca.key", "-days", "2", "-addext", "basicConstraints=critical,CA:FALSE")
    _openssl("req", "-x509", *key, *signed, "-keyout", "apiserver.key", "-out", "apiserver.crt",
             "-subj", "/CN=kube-apiserver", "-addext", "extendedKeyUsage=serverAuth",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1",
             cwd=pki)
    # system:masters: the test acts as cluster admin, as the program's deployer would.
    _openssl("req", "-x509", *key, *signed, "-keyout", "admin.key", "-out", "admin.crt",
             "-subj", "/O=system:masters/CN=e2e-admin", "-addext", "extendedKeyUsage=clientAuth", cwd=pki)
    # The controller manager's own identity; with --use-service-account-credentials each
    # controller then acts as its own service account, as in a real cluster.
    _openssl("req", "-x509", *key, *signed, "-keyout", "controller-manager.key", "-out",
             "controller-manager.crt", "-subj", "/CN=system:kube-controller-manager",
             "-addext", "extendedKeyUsage=clientAuth", cwd=pki)
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


class _Processes:
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

    def stop(self) -> None:
        for _name, process in reversed(self.running):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()


def _wait_ready(server: str, pki: Path, processes: _Processes, timeout: float = 120) -> None:
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


@contextlib.contextmanager
def control_plane(etcd: Path, apiserver: Path, controller_manager: Path) -> Iterator[Cluster]:
    """Start etcd and the control plane in a temporary directory; stop and remove all on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="astronomer-e2e-"))
    pki, logs = workdir / "pki", workdir / "logs"
    logs.mkdir()
    processes = _Processes(logs)
    try:
        _certificates(pki)
        etcd_client, etcd_peer, api_port = _free_port(), _free_port(), _free_port()
        client_url, peer_url = f"http://127.0.0.1:{etcd_client}", f"http://127.0.0.1:{etcd_peer}"
        processes.start("etcd", [
            str(etcd), "--name=e2e", f"--data-dir={workdir / 'etcd'}",
            f"--listen-client-urls={client_url}", f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=e2e={peer_url}",
        ])
        server = f"https://127.0.0.1:{api_port}"
        processes.start("kube-apiserver", [
            str(apiserver),
            f"--etcd-servers={client_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", f"--secure-port={api_port}",
            # Loopback may not be an Endpoints address: keep the 'kubernetes' Service without one.
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--cert-dir={workdir / 'apiserver-certs'}",
            "--profiling=false",
        ])
        _wait_ready(server, pki, processes)
        cm_kubeconfig = workdir / "controller-manager.kubeconfig"
        _kubeconfig(cm_kubeconfig, server, pki, "controller-manager")
        processes.start("kube-controller-manager", [
            str(controller_manager),
            f"--kubeconfig={cm_kubeconfig}",
            f"--authentication-kubeconfig={cm_kubeconfig}", f"--authorization-kubeconfig={cm_kubeconfig}",
            "--bind-address=127.0.0.1", f"--secure-port={_free_port()}",
            f"--cert-dir={workdir / 'controller-manager-certs'}",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
        ])
        kubeconfig = workdir / "admin.kubeconfig"
        _kubeconfig(kubeconfig, server, pki, "admin")
        yield Cluster(server=server, kubeconfig=kubeconfig, workdir=workdir)
        processes.check_alive()
    except BaseException:
        for name, _ in processes.running:
            print(f"--- last lines of {name}.log ---\n{processes.tail(name)}", flush=True)
        raise
    finally:
        processes.stop()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


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
