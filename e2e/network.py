"""The end-to-end test's network, all of it on this machine, and every host change undone on the way out.

What a NetworkPolicy must govern sits behind a forwarded path: packets from a pod to an address of the
node itself take the input path and never cross the postrouting hook where the enforcer filters, so a
policy could neither allow nor deny them. So the API server, the KDC, the vault stand-in, the tenants'
data source, the metadata database and an address in no allow list live in a network namespace of
their own (``services``), joined to the node by a veth pair and reached through the node's routing.
Pods get addresses from ``POD_CIDR`` on point-to-point links (the CNI ``ptp`` plugin): pod to pod is
routed too, never bridged. Nothing is masqueraded, and a policy route keeps the pods' packets on this
machine: from ``POD_CIDR`` only the pod, link and service ranges are reachable, anything else is
unreachable. Every address a test connects to is one of these.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

POD_CIDR = "10.244.0.0/16"
NODE_POD_CIDR = "10.244.0.0/24"
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_IP = "10.96.0.1"
LINK_CIDR = "10.200.0.0/30"
NODE_ADDRESS = "10.200.0.1"  # the node's end of the link: kubelet listens here, the API server reaches it
SERVICES_LINK = "10.200.0.2"
SERVICES_CIDR = "10.201.0.0/16"
API_SERVER_PORT = 6443
CLONE_NEWNET = 0x40000000
# A table of its own for the pods' safety route (no other table uses this number here).
POD_TABLE = "2244"


@dataclass(frozen=True)
class Services:
    """The addresses in the services namespace, each a /32 on its loopback."""

    api_server: str = "10.201.0.10"
    kdc: str = "10.201.1.10"
    vault: str = "10.201.2.10"
    database: str = "10.201.3.10"
    data_source: str = "10.201.4.10"
    """inside the tenant's own egress CIDR (``DATA_SOURCE_CIDR``)"""
    nameserver: str = "10.201.5.10"
    """what pods are told to resolve names with: nothing answers, and tenant policies allow only kube-dns"""
    outside: str = "10.201.9.10"
    """in no allow list: what a tenant must not reach"""

    def all(self) -> list[str]:
        return [self.api_server, self.kdc, self.vault, self.database, self.data_source, self.nameserver,
                self.outside]


SERVICES = Services()
DATA_SOURCE_CIDR = "10.201.4.0/24"


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(args), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"`{' '.join(args)}` failed: {result.stderr.strip()}")
    return result


def _sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


def mounts_under(path: Path) -> list[str]:
    """The mount points at ``path`` or below it, in mount order (a bind mount of a directory onto itself
    included, which ``os.path.ismount`` cannot tell)."""
    target = str(path.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == target or point.startswith(f"{target}/"):
            found.append(point)
    return found


def _is_mount(path: Path) -> bool:
    return str(path.resolve()) in mounts_under(path)


def _overlapping_routes() -> list[str]:
    """Routes of this machine that overlap the test's ranges: the test would shadow them, so it refuses."""
    mine = [ipaddress.ip_network(c) for c in (POD_CIDR, SERVICE_CIDR, LINK_CIDR, SERVICES_CIDR)]
    clashes = []
    for line in _run("ip", "-4", "route", "show", "table", "all").stdout.splitlines():
        destination = line.split()[0] if line.split() else ""
        if destination in ("default", "local", "broadcast", "unreachable", "multicast"):
            continue
        try:
            network = ipaddress.ip_network(destination, strict=False)
        except ValueError:
            continue
        if network.prefixlen and any(network.overlaps(m) for m in mine):
            clashes.append(line)
    return clashes


T = TypeVar("T")


def in_namespace(name: str, make: Callable[[], T]) -> T:
    """``make()`` run in a thread that joined network namespace ``name``: the sockets it binds belong to that
    namespace for good, so a server made this way serves there from any thread."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    result: list[T] = []
    errors: list[BaseException] = []

    def body() -> None:
        with open(f"/var/run/netns/{name}") as handle:
            if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                errors.append(OSError(ctypes.get_errno(), f"setns into {name}"))
                return
        try:
            result.append(make())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


class TcpListener:
    """Accepts connections on one address and port and closes them: the other end of a reachability probe."""

    def __init__(self, address: str, port: int) -> None:
        self._socket = socket.create_server((address, port))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._socket.close()


@dataclass(frozen=True)
class Network:
    namespace: str
    """the services namespace (``ip netns exec <namespace> ...`` runs a process there)"""

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace]


def _reclaim_dead_runs() -> None:
    """Undo what a run killed before its ``finally`` (SIGKILL, a lost machine) left behind: its namespace is
    named after its process, so one whose process is gone is this harness's own leftover. Deleting the
    namespace takes the veth pair and its routes; the pods' rules and table go when no run is alive."""
    prefix = "astronomer-e2e-"
    names = [line.split()[0] for line in _run("ip", "netns", "list").stdout.splitlines() if line.strip()]
    alive = False
    for name in names:
        if not name.startswith(prefix) or not name[len(prefix):].isdigit():
            continue
        if _process_alive(int(name[len(prefix):])):
            alive = True
            continue
        print(f"    network: removing {name}, left by a run that no longer exists")
        _run("ip", "netns", "delete", name, check=False)
    if alive:
        return
    for line in _run("ip", "rule", "show").stdout.splitlines():
        priority, _, rule = line.partition(":")
        if priority in ("2243", "2244") and rule.split()[:2] == ["from", POD_CIDR]:
            _run("ip", "rule", "delete", "priority", priority, *rule.split(), check=False)
    _run("ip", "route", "flush", "table", POD_TABLE, check=False)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def node_network() -> Iterator[Network]:
    """The services namespace, its link to the node, the routes and the pods' safety rules; ``ip_forward``
    on. All undone on exit, also when the run fails."""
    if os.geteuid() != 0:
        raise RuntimeError("the end-to-end test runs a node: run it as root")
    _reclaim_dead_runs()
    clashes = _overlapping_routes()
    if clashes:
        raise RuntimeError(f"this machine already routes part of the test's ranges: {clashes}")
    suffix = f"{os.getpid() % 100000}"
    namespace, host_end, services_end = f"astronomer-e2e-{suffix}", f"ae2e{suffix}h", f"ae2e{suffix}s"
    undo: list[list[str]] = []
    forward = _sysctl_path("net.ipv4.ip_forward")
    forwarding = forward.read_text()
    # `ip netns add` makes the directory, and a shared bind mount of it, when they are not there yet.
    netns_dir = Path("/var/run/netns")
    made_netns_dir, netns_mounted = not netns_dir.exists(), _is_mount(netns_dir)
    try:
        _run("ip", "netns", "add", namespace)
        undo.append(["ip", "netns", "delete", namespace])  # takes the veth pair and its routes with it
        ns = ["ip", "netns", "exec", namespace]
        _run("ip", "link", "add", host_end, "type", "veth", "peer", "name", services_end)
        _run("ip", "link", "set", services_end, "netns", namespace)
        _run("ip", "addr", "add", f"{NODE_ADDRESS}/30", "dev", host_end)
        _run("ip", "link", "set", host_end, "up")
        _run(*ns, "ip", "link", "set", "lo", "up")
        _run(*ns, "ip", "addr", "add", f"{SERVICES_LINK}/30", "dev", services_end)
        _run(*ns, "ip", "link", "set", services_end, "up")
        for address in SERVICES.all():
            _run(*ns, "ip", "addr", "add", f"{address}/32", "dev", "lo")
        # Back to the node (its end of the link is on it) and to the pods only: no default route, so nothing
        # in the namespace reaches beyond this machine, and a name lookup fails at once.
        _run(*ns, "ip", "route", "add", POD_CIDR, "via", NODE_ADDRESS)
        # An unassigned service address must not bounce between the two ends until its TTL runs out.
        _run(*ns, "ip", "route", "add", "unreachable", SERVICES_CIDR)
        _run("ip", "route", "add", SERVICES_CIDR, "via", SERVICES_LINK, "dev", host_end)
        # From the pods, only the pods, the link and the services: nothing else, so no packet of a pod
        # leaves this machine whatever the policies do.
        _run("ip", "route", "add", "unreachable", "default", "table", POD_TABLE)
        undo.append(["ip", "route", "flush", "table", POD_TABLE])
        for destination in (POD_CIDR, LINK_CIDR, SERVICES_CIDR):
            rule = ["ip", "rule", "add", "from", POD_CIDR, "to", destination, "lookup", "main", "priority", "2243"]
            _run(*rule)
            undo.append(["ip", "rule", "delete", *rule[3:]])
        rule = ["ip", "rule", "add", "from", POD_CIDR, "lookup", POD_TABLE, "priority", "2244"]
        _run(*rule)
        undo.append(["ip", "rule", "delete", *rule[3:]])
        forward.write_text("1\n")
        yield Network(namespace)
    finally:
        forward.write_text(forwarding)
        for command in reversed(undo):
            _run(*command, check=False)
        # containerd's CRI plugin may have bound it once more, the same way.
        for _ in range(5):
            if netns_mounted or not _is_mount(netns_dir):
                break
            _run("umount", str(netns_dir), check=False)
        if made_netns_dir:
            with contextlib.suppress(OSError):
                netns_dir.rmdir()
