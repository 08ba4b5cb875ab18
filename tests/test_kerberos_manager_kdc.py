"""The ticket manager against a real MIT KDC on 127.0.0.1 (a throwaway realm per test, made with
kdb5_util and kadmin.local), the Delinea stand-in and the Kubernetes stand-in: tickets, renewal,
faults and recovery, in process and as the real ``python -m kerberos_manager``."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
import requests
from kerberos_manager import cycle, health
from kerberos_manager.delinea import VaultClient
from kerberos_manager.failures import Reason
from kerberos_manager.kubernetes import SecretWriter
from kerberos_manager.scheduler import Renewer
from kerberos_manager.status import Board
from prometheus_client.parser import text_string_to_metric_families

from standins.kerberos.realm import APT_PACKAGES, free_port, require_commands
from standins.kerberos.world import World, wait_for

pytestmark = pytest.mark.kdc

LIFETIME = 7200


@pytest.fixture
def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., World]]:
    worlds: list[World] = []

    def make(tenants: int = 3, **options: float) -> World:
        world = World(tmp_path / f"world{len(worlds)}", tenants, **options)  # type: ignore[arg-type]
        worlds.append(world)
        # kinit and klist run in this process's environment, as they do in the container.
        monkeypatch.setenv("KRB5_CONFIG", str(world.realm.krb5_conf))
        return world

    yield make
    for world in worlds:
        world.close()


def clients(world: World) -> tuple[VaultClient, SecretWriter]:
    vault = VaultClient(world.vault.url, "svc-kerberos-test", world.password, timeout=5)
    writer = SecretWriter(world.cluster.url, world.cluster.account_dir / "token", world.cluster.account_dir / "ca.crt",
                          timeout=5)
    return vault, writer


def klist(world: World, cache: bytes, directory: Path) -> str:
    """``klist -e -a`` of the cache bytes, run independently of the manager's own klist parsing."""
    path = directory / "inspect.ccache"
    path.write_bytes(cache)
    result = subprocess.run(["klist", "-e", "-a", "-c", f"FILE:{path}"], env={**world.realm.env, "LC_ALL": "C", "TZ": "UTC"},
                            capture_output=True, text=True, check=True)
    return result.stdout


def lifetime_of(listing: str) -> float:
    start, end = re.search(r"^(\S+ \S+)\s+(\S+ \S+)\s+krbtgt/", listing, re.M).groups()
    return (datetime.strptime(end, "%m/%d/%y %H:%M:%S") - datetime.strptime(start, "%m/%d/%y %H:%M:%S")).total_seconds()


def test_missing_kerberos_commands_fail_naming_the_debian_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match=f"apt-get install {APT_PACKAGES}"):
        require_commands()
    assert APT_PACKAGES == "krb5-kdc krb5-admin-server krb5-user"


def test_each_tenant_gets_an_addressless_ticket_of_the_lifetime_in_its_secret_then_renews(make_world, tmp_path):
    world = make_world(3)
    vault, writer = clients(world)
    first: dict[str, bytes] = {}
    for tenant in world.tenants:
        ticket = cycle.renew(tenant, vault, writer, LIFETIME, world.work_dir)
        cache = world.cluster.state.value(tenant.namespace, "kerberos-ccache", tenant.cache_key)
        assert cache == ticket.cache and cache
        listing = klist(world, cache, tmp_path)
        assert f"Default principal: {tenant.principal}" in listing
        assert "Addresses: (none)" in listing
        assert "aes256-cts-hmac-sha1-96" in listing
        assert abs(lifetime_of(listing) - LIFETIME) <= 2
        assert abs(ticket.expires - time.time() - LIFETIME) <= 5
        first[tenant.tenant] = cache
        # Nothing left behind: the keytab and the cache were in a directory that is gone.
        assert list(world.work_dir.iterdir()) == []
    time.sleep(1.1)  # klist shows whole seconds: a renewal must show a later start
    for tenant in world.tenants:
        cycle.renew(tenant, vault, writer, LIFETIME, world.work_dir)
        renewed = world.cluster.state.value(tenant.namespace, "kerberos-ccache", tenant.cache_key)
        assert renewed != first[tenant.tenant]
        assert f"Default principal: {tenant.principal}" in klist(world, renewed, tmp_path)
    assert world.cluster.state.patches == 6
    assert world.vault.state.token_requests == 1


def test_a_wrong_keytab_is_a_kinit_failure_and_leaves_nothing_behind(make_world):
    world = make_world(1)
    (tenant,) = world.tenants
    world.realm.rekey(tenant.principal)
    vault, writer = clients(world)
    with pytest.raises(Exception) as raised:
        cycle.renew(tenant, vault, writer, LIFETIME, world.work_dir)
    assert getattr(raised.value, "reason", None) is Reason.KINIT
    assert list(world.work_dir.iterdir()) == []
    assert world.cluster.state.patches == 0


def test_a_keytab_of_another_principal_is_refused_by_kinit(make_world):
    world = make_world(2)
    a, b = world.tenants
    world.vault.state.secrets[a.keytab_secret_id] = world.vault.state.secrets[b.keytab_secret_id]
    vault, writer = clients(world)
    with pytest.raises(Exception, match=f"no suitable keys for {re.escape(a.principal)}") as raised:
        cycle.renew(a, vault, writer, LIFETIME, world.work_dir)
    assert getattr(raised.value, "reason", None) is Reason.KINIT
    assert world.cluster.state.patches == 0


class Running:
    """The renewal loop and health server in this process, for fault injection."""

    def __init__(self, world: World, interval: float) -> None:
        vault, writer = clients(world)
        self.world = world
        self.board = Board([t.tenant for t in world.tenants], interval)
        renew = partial(cycle.renew, vault=vault, writer=writer, lifetime_seconds=LIFETIME, work_dir=world.work_dir)
        self.renewer = Renewer(world.tenants, renew, self.board, interval=interval, jitter=0.1, retry_base=0.2,
                               retry_max=0.5, concurrency=2)
        self.server = health.serve(self.board, lambda: self.renewer.heartbeat, 0, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.renewer.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def readyz(self) -> tuple[int, dict[str, dict[str, object]]]:
        response = requests.get(f"{self.url}/readyz", timeout=5)
        return response.status_code, response.json()["tenants"]

    def metric(self, name: str, **labels: str) -> float:
        text = requests.get(f"{self.url}/metrics", timeout=5).text
        values = [sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                  if sample.name == name and sample.labels == labels]
        assert len(values) == 1, f"{name}{labels} not in /metrics"
        return values[0]

    def until(self, condition: Callable[[], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.05)

    def close(self) -> None:
        self.stop.set()
        self.renewer.wake()
        self.thread.join(timeout=30)
        self.server.shutdown()


@pytest.mark.slow
def test_faults_keep_the_others_fresh_are_reported_per_tenant_and_heal_without_restart(make_world):
    world = make_world(3)
    good, other, bad = world.tenants
    world.realm.rekey(bad.principal)  # the vault now holds a stale keytab for `bad`
    running = Running(world, interval=1.0)
    try:
        # 1. One wrong keytab: the other two get tickets and keep renewing; /readyz and metrics name it.
        running.until(lambda: running.board.snapshot()[good.tenant].last_success is not None
                      and running.board.snapshot()[other.tenant].last_success is not None
                      and running.board.snapshot()[bad.tenant].failing)
        code, tenants = running.readyz()
        assert code == 503 and tenants[good.tenant]["ready"] and tenants[other.tenant]["ready"]
        assert tenants[bad.tenant]["ready"] is False and tenants[bad.tenant]["reason"] == "kinit"
        assert running.metric("kerberos_manager_renewal_failures_total", tenant=bad.tenant, reason="kinit") >= 1
        assert running.metric("kerberos_manager_tenant_ready", tenant=bad.tenant) == 0
        assert running.metric("kerberos_manager_ticket_expiry_seconds", tenant=good.tenant) > LIFETIME - 60
        renewals = running.metric("kerberos_manager_renewals_total", tenant=good.tenant)
        running.until(lambda: running.metric("kerberos_manager_renewals_total", tenant=good.tenant) >= renewals + 2)
        # 2. Fixed in the vault: it recovers on its own.
        world.export_keytab(bad)
        running.until(lambda: running.readyz()[0] == 200)
        assert running.metric("kerberos_manager_tenant_ready", tenant=bad.tenant) == 1

        # 3. The vault answers 500: every tenant reports vault_error, the caches already written stay.
        written = {t.tenant: world.cluster.state.value(t.namespace, "kerberos-ccache", t.cache_key) for t in world.tenants}
        world.vault.state.fail_with = 500
        running.until(lambda: all(s["reason"] == "vault_error" for s in running.readyz()[1].values() if "reason" in s)
                      and running.readyz()[0] == 503 and len([1 for s in running.readyz()[1].values() if "reason" in s]) == 3)
        assert running.metric("kerberos_manager_renewal_failures_total", tenant=good.tenant, reason="vault_error") >= 1
        assert {t.tenant: world.cluster.state.value(t.namespace, "kerberos-ccache", t.cache_key) for t in world.tenants} == written
        world.vault.state.fail_with = None
        running.until(lambda: running.readyz()[0] == 200)

        # 4. The KDC stops mid-run: kdc_unreachable for all; started again, all recover.
        world.realm.stop()
        running.until(lambda: running.board.snapshot()[good.tenant].reason is Reason.KDC_UNREACHABLE
                      and running.readyz()[0] == 503)
        assert running.metric("kerberos_manager_renewal_failures_total", tenant=good.tenant, reason="kdc_unreachable") >= 1
        world.realm.start()
        running.until(lambda: running.readyz()[0] == 200)
        assert running.renewer.heartbeat > time.monotonic() - 10
        assert list(world.work_dir.iterdir()) == []
    finally:
        running.close()


def test_the_service_process_serves_probes_and_metrics_logs_json_without_secrets_and_stops(make_world, tmp_path):
    world = make_world(3)
    port = free_port()
    (world.work_dir / "cycle-left-by-a-killed-run").mkdir()  # a killed process's keytab directory
    process = subprocess.Popen(world.service_command(), env=world.service_env(port), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", 200, timeout=30)
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        for tenant in world.tenants:
            assert f'kerberos_manager_tenant_ready{{tenant="{tenant.tenant}"}} 1.0' in metrics
            assert world.cluster.state.value(tenant.namespace, "kerberos-ccache", tenant.cache_key)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert [line["event"] for line in lines].count("ticket renewed") == 3
    assert {line["tenant"] for line in lines if line["event"] == "ticket renewed"} == {t.tenant for t in world.tenants}
    assert lines[-1]["event"] == "stopping"
    forbidden = [world.password, world.cluster.state.token, *world.vault.state.tokens]
    for tenant in world.tenants:
        keytab = world.keytabs[tenant.principal].read_bytes()
        cache = world.cluster.state.value(tenant.namespace, "kerberos-ccache", tenant.cache_key) or b""
        forbidden += [base64.b64encode(keytab).decode(), keytab.hex(), base64.b64encode(cache).decode()[:40]]
    assert not [secret for secret in forbidden if secret in stdout + stderr]
    assert list(world.work_dir.iterdir()) == []


def read_only_root(command: list[str], work_dir: Path) -> list[str]:
    """``command`` as the pod runs it: the root filesystem read-only, the work directory an in-memory
    volume, no Linux capabilities (a private mount namespace; CI and this suite run as root)."""
    script = ('mount -o remount,bind,ro / && mount -t tmpfs -o mode=0700,size=16m tmpfs "$0" '
              '&& exec setpriv --inh-caps=-all --bounding-set=-all -- "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(work_dir), *command]


def test_the_service_runs_with_a_read_only_root_filesystem_and_no_capabilities(make_world):
    world = make_world(2)
    port = free_port()
    process = subprocess.Popen(read_only_root(world.service_command(), world.work_dir), env=world.service_env(port),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", 200, timeout=30)
        for tenant in world.tenants:
            assert world.cluster.state.value(tenant.namespace, "kerberos-ccache", tenant.cache_key)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    events = [json.loads(line)["event"] for line in stdout.splitlines()]
    assert events.count("ticket renewed") == 2 and "Read-only file system" not in stderr
    # The check is real: the same sandbox refuses a write outside the work directory.
    refused = subprocess.run(read_only_root(["touch", str(world.directory / "outside")], world.work_dir),
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
