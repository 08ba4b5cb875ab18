"""The node of the end-to-end cluster, where pods really run: containerd and runc (Debian's), the CNI
plugins (Debian's, ``ptp`` with ``host-local`` addresses), kubelet and kube-proxy (built from the same
Kubernetes module as the control plane), and kube-network-policies (``devtools.go_tools``) enforcing
NetworkPolicies.

containerd, kubelet and the CNI plugins keep their state in the run's directory, not at their fixed
paths. What they cannot be told to keep there, and every other change to the host, is undone on the
way out, also when the run fails: mounts under the run's directory, the pods' cgroups (under a cgroup
root of the run's own), kube-proxy's iptables chains (``--cleanup``), the enforcer's nftables table,
the CNI plugins' result cache entries of the run's network, the sysctls kube-proxy sets.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

from e2e.cluster import NODE_NAME, Cluster, Processes, free_port
from e2e.network import NODE_ADDRESS, NODE_POD_CIDR, POD_CIDR, SERVICES, mounts_under
from standins.registry import RunningRegistry

CNI_NETWORK = "astronomer-e2e"
CGROUP_ROOT = "astronomer-e2e"
ENFORCER_TABLE = "kube-network-policies"
# Sysctls kube-proxy may set in iptables mode, restored afterwards.
PROXY_SYSCTLS = ("net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables")
CNI_CACHE = Path("/var/lib/cni/results")
# Fixed paths the node's components create whatever their flags say (kubelet's device-plugin directory,
# the CNI plugins' cache, containerd's shim sockets, log directories): removed afterwards when the run
# made them, their new entries removed when they were there before.
FIXED_PATHS = (Path("/var/lib/kubelet"), Path("/var/lib/cni"), Path("/var/log/pods"), Path("/var/log/containers"),
               Path("/run/containerd"), Path("/etc/cni"), Path("/opt/cni"))
# Where containerd's CRI plugin mounts each pod sandbox's network namespace (a fixed path).
NETNS_DIR = Path("/var/run/netns")


def _containerd_config(workdir: Path, registry: RunningRegistry, pause: str) -> str:
    state = workdir / "containerd"
    return f"""version = 2
root = "{state / 'root'}"
state = "{state / 'state'}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{state / 'containerd.sock'}"
[ttrpc]
  address = "{state / 'containerd.sock.ttrpc'}"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{state / 'opt'}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  # The VM's capability bounding set lacks CAP_SYS_RESOURCE: runc cannot raise oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{state / 'runc'}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{workdir / 'cni' / 'net.d'}"
  # containerd speaks plain HTTP to a registry on localhost unless told otherwise.
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."{registry.host}"]
    endpoint = ["{registry.url}"]
  [plugins."io.containerd.grpc.v1.cri".registry.configs."{registry.host}".tls]
    ca_file = "{registry.ca_file}"
"""


def _cni_config(workdir: Path) -> dict[str, object]:
    return {"cniVersion": "1.0.0", "name": CNI_NETWORK, "plugins": [{
        "type": "ptp", "ipMasq": False, "mtu": 1500,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": NODE_POD_CIDR}]], "routes": [{"dst": "0.0.0.0/0"}],
                 "dataDir": str(workdir / "cni" / "ipam")},
    }]}


def _kubelet_config(workdir: Path, cluster: Cluster, socket: Path) -> dict[str, object]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        # Kubelet serves the API server (logs, exec) on the node's end of the link only.
        "address": NODE_ADDRESS, "port": 10250, "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1", "healthzPort": free_port(),
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": False},
                           "x509": {"clientCAFile": str(cluster.pki / "ca.crt")}},
        "authorization": {"mode": "AlwaysAllow"},
        "cgroupDriver": "cgroupfs", "cgroupRoot": f"/{CGROUP_ROOT}", "cgroupsPerQOS": True,
        # This kernel runs cgroup v1, which kubelet 1.35 refuses unless told.
        "failCgroupV1": False, "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{socket}",
        "clusterDNS": [SERVICES.nameserver], "clusterDomain": "cluster.local",
        "resolvConf": str(workdir / "resolv.conf"),
        "podLogsDir": str(workdir / "pod-logs"),
        "serializeImagePulls": False,
        # A busy test machine must not evict the test's pods.
        "evictionHard": {"memory.available": "50Mi", "nodefs.available": "1%", "imagefs.available": "1%",
                         "nodefs.inodesFree": "1%"},
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "podCIDR": NODE_POD_CIDR,
        "makeIPTablesUtilChains": False,
    }


def _proxy_config(cluster: Cluster) -> dict[str, object]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(cluster.kubeconfig_of("kube-proxy"))},
        "mode": "iptables", "clusterCIDR": POD_CIDR, "hostnameOverride": NODE_NAME,
        "bindAddress": "127.0.0.1",
        "healthzBindAddress": f"127.0.0.1:{free_port()}", "metricsBindAddress": f"127.0.0.1:{free_port()}",
        # Leave the machine's conntrack settings alone.
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
        "nodePortAddresses": ["127.0.0.1/32"],
    }


def _cgroup_roots() -> list[Path]:
    """The run's cgroup root in every hierarchy (cgroup v1), or in the unified one."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():
        return [base / CGROUP_ROOT]
    return [hierarchy / CGROUP_ROOT for hierarchy in base.iterdir()
            if hierarchy.is_dir() and not hierarchy.is_symlink()]


def _remove_cgroups() -> None:
    """The pods' cgroups and the run's root, deepest first."""
    for root in _cgroup_roots():
        if not root.is_dir():
            continue
        for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts),
                                reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            root.rmdir()


@contextlib.contextmanager
def node(cluster: Cluster, tools: Mapping[str, Path], registry: RunningRegistry, pause_archive: Path,
         pause: str) -> Iterator[None]:
    """containerd, kubelet, kube-proxy and the enforcer, until the block ends; then the host as it was."""
    workdir = cluster.workdir / "node"
    (workdir / "cni" / "net.d").mkdir(parents=True)
    (workdir / "cni" / "net.d" / "10-astronomer-e2e.conflist").write_text(json.dumps(_cni_config(workdir)))
    (workdir / "resolv.conf").write_text(f"nameserver {SERVICES.nameserver}\n")
    config = workdir / "containerd.toml"
    config.write_text(_containerd_config(workdir, registry, pause))
    socket = workdir / "containerd" / "containerd.sock"
    processes = cluster.processes
    sysctls = {name: (Path("/proc/sys") / name).read_text() for name in PROXY_SYSCTLS
               if (Path("/proc/sys") / name).exists()}
    namespaces_before = set(NETNS_DIR.glob("cni-*"))
    fixed_before = {path for path in FIXED_PATHS if path.exists()}
    cache_before = set(CNI_CACHE.iterdir()) if CNI_CACHE.is_dir() else set()
    tables_before = _nft_tables()
    try:
        processes.start("containerd", ["containerd", "--config", str(config)])
        _wait_for(socket, processes, "containerd")
        subprocess.run(["ctr", "--address", str(socket), "--namespace", "k8s.io", "images", "import",
                        "--no-unpack", str(pause_archive)], check=True, capture_output=True)
        # Kubelet wants its cgroup root to exist in every hierarchy; the pods' cgroups go below it.
        for root in _cgroup_roots():
            root.mkdir(exist_ok=True)
        kubelet_config = workdir / "kubelet.yaml"
        kubelet_config.write_text(yaml.safe_dump(_kubelet_config(workdir, cluster, socket)))
        processes.start("kubelet", [
            str(tools["kubelet"]), f"--config={kubelet_config}",
            f"--kubeconfig={cluster.kubeconfig_of('kubelet')}", f"--root-dir={workdir / 'kubelet'}",
            f"--cert-dir={workdir / 'kubelet-pki'}", f"--node-ip={NODE_ADDRESS}", f"--hostname-override={NODE_NAME}",
            "--v=1",
        ])
        proxy_config = workdir / "kube-proxy.yaml"
        proxy_config.write_text(yaml.safe_dump(_proxy_config(cluster)))
        processes.start("kube-proxy", [str(tools["kube-proxy"]), f"--config={proxy_config}"])
        processes.start("kube-network-policies", [
            str(tools["kube-network-policies"]), f"--kubeconfig={cluster.kubeconfig_of('network-policies')}",
            f"--hostname-override={NODE_NAME}", "--disable-nri",
            f"--metrics-bind-address=127.0.0.1:{free_port()}", "--v=2",
        ])
        yield
    except BaseException:
        for name in ("containerd", "kubelet", "kube-proxy", "kube-network-policies"):
            if (processes.logs / f"{name}.log").exists():
                print(f"--- last lines of {name}.log ---\n{processes.tail(name)}", flush=True)
        raise
    finally:
        _drain(cluster)
        for name in ("kube-network-policies", "kube-proxy", "kubelet"):
            processes.stop_one(name)
        _stop_containers(socket)
        processes.stop_one("containerd")
        for entry in sorted(set(NETNS_DIR.glob("cni-*")) - namespaces_before):
            subprocess.run(["umount", "--lazy", str(entry)], check=False, capture_output=True)
            entry.unlink(missing_ok=True)
        for point in reversed(mounts_under(cluster.workdir)):
            subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
        _remove_cgroups()
        subprocess.run([str(tools["kube-proxy"]), "--cleanup"], check=False, capture_output=True)
        subprocess.run(["nft", "delete", "table", "inet", ENFORCER_TABLE], check=False, capture_output=True)
        for entry in (set(CNI_CACHE.iterdir()) if CNI_CACHE.is_dir() else set()) - cache_before:
            entry.unlink(missing_ok=True)
        # kube-proxy drives iptables through nftables: the tables it made are empty after --cleanup.
        for family, name in _nft_tables() - tables_before:
            subprocess.run(["nft", "delete", "table", family, name], check=False, capture_output=True)
        for path in set(FIXED_PATHS) - fixed_before:
            for point in reversed(mounts_under(path)):
                subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
            shutil.rmtree(path, ignore_errors=True)
        for name, value in sysctls.items():
            with contextlib.suppress(OSError):
                (Path("/proc/sys") / name).write_text(value)


def _nft_tables() -> set[tuple[str, str]]:
    listing = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return {(words[1], words[2]) for words in (line.split() for line in listing.splitlines()) if len(words) == 3}


def _drain(cluster: Cluster, timeout: float = 60) -> None:
    """Every pod deleted through the API while kubelet still runs, so kubelet tears each sandbox down
    (its network through the CNI plugins, its mounts, its cgroups) and confirms; best effort."""
    from e2e.harness import Api

    with contextlib.suppress(Exception):
        api = Api(cluster.kubeconfig)
        for pod in api.core.list_pod_for_all_namespaces().items:
            with contextlib.suppress(Exception):
                api.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=1)
        deadline = time.monotonic() + timeout
        while api.core.list_pod_for_all_namespaces().items and time.monotonic() < deadline:
            time.sleep(1)


def _wait_for(socket: Path, processes: Processes, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not socket.exists():
        processes.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not create {socket} within {timeout:.0f} s")
        time.sleep(0.1)


def _stop_containers(socket: Path) -> None:
    """What containerd still runs once kubelet is gone (a pod the drain missed): killed and removed."""
    if not socket.exists():
        return
    ctr = ["ctr", "--address", str(socket), "--namespace", "k8s.io"]
    tasks = subprocess.run([*ctr, "tasks", "list", "--quiet"], capture_output=True, text=True).stdout.split()
    for task in tasks:
        subprocess.run([*ctr, "tasks", "kill", "--signal", "SIGKILL", task], capture_output=True)
    time.sleep(0.5)
    for task in tasks:
        subprocess.run([*ctr, "tasks", "delete", "--force", task], capture_output=True)
    for container in subprocess.run([*ctr, "containers", "list", "--quiet"], capture_output=True,
                                    text=True).stdout.split():
        subprocess.run([*ctr, "containers", "delete", container], capture_output=True)
