"""Everything the manager talks to, on 127.0.0.1: a realm with one principal per tenant, the vault
stand-in holding their keytabs, the Kubernetes stand-in holding their empty cache Secrets, and the
environment (tenants file, krb5.conf, work dir) the Deployment would give the manager."""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from pathlib import Path

import requests
from kerberos_manager.settings import Tenant

from standins.kerberos.delinea import DelineaStandIn
from standins.kerberos.kubernetes import KubernetesStandIn
from standins.kerberos.realm import REALM, Realm

CACHE_SECRET = "kerberos-ccache"
USERNAME = "svc-kerberos-test"


class World:
    def __init__(self, directory: Path, tenant_count: int, *, renew_interval: float = 3600,
                 lifetime: int = 36000) -> None:
        self.directory = directory
        self.realm = Realm(directory / "realm")
        names = [f"t{index:03d}" for index in range(tenant_count)]
        self.tenants = tuple(Tenant(name, f"airflow-{name}", f"svc-airflow-{name}@{REALM}", 5000 + index,
                                    CACHE_SECRET, f"krb5cc_{name}") for index, name in enumerate(names))
        self.keytabs = self.realm.add_principals([t.principal.removesuffix(f"@{REALM}") for t in self.tenants],
                                                 directory / "keytabs")
        self.password = secrets.token_urlsafe(18)
        self.vault = DelineaStandIn(USERNAME, self.password)
        self.cluster = KubernetesStandIn(directory / "cluster")
        for tenant in self.tenants:
            self.publish_keytab(tenant)
            self.cluster.state.create_secret(tenant.namespace, CACHE_SECRET)
        self.tenants_file = directory / "tenants.json"
        self.tenants_file.write_text(json.dumps([
            {"tenant": t.tenant, "namespace": t.namespace, "principal": t.principal,
             "keytabSecretId": t.keytab_secret_id, "cacheSecret": t.cache_secret, "cacheKey": t.cache_key}
            for t in self.tenants]))
        self.work_dir = directory / "work"
        self.work_dir.mkdir()
        self.renew_interval = renew_interval
        self.lifetime = lifetime
        self.realm.start()

    def publish_keytab(self, tenant: Tenant) -> None:
        """Put the tenant's current keytab (as kadmin exported it) in the vault."""
        self.vault.state.secrets[tenant.keytab_secret_id] = {"keytab": self.keytabs[tenant.principal].read_bytes()}

    def export_keytab(self, tenant: Tenant) -> None:
        """Export the principal's current keys again (after a rekey) and publish them."""
        self.keytabs[tenant.principal].unlink()
        self.realm.kadmin([f"ktadd -k {self.keytabs[tenant.principal]} -norandkey {tenant.principal}"])
        self.publish_keytab(tenant)

    def service_env(self, health_port: int) -> dict[str, str]:
        """The Deployment's environment, pointed at the stand-ins."""
        return {
            **os.environ,
            "DELINEA_VAULT_URL": self.vault.url, "DELINEA_USERNAME": USERNAME, "DELINEA_PASSWORD": self.password,
            "KRB5_CONFIG": str(self.realm.krb5_conf), "TENANTS_FILE": str(self.tenants_file),
            "RENEW_INTERVAL_SECONDS": str(self.renew_interval), "TICKET_LIFETIME_SECONDS": str(self.lifetime),
            "WORK_DIR": str(self.work_dir), "HEALTH_PORT": str(health_port),
            "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.cluster.port),
            "SERVICE_ACCOUNT_DIR": str(self.cluster.account_dir),
        }

    def service_command(self) -> list[str]:
        return [sys.executable, "-m", "kerberos_manager"]

    def close(self) -> None:
        self.realm.stop()
        self.vault.close()
        self.cluster.close()


def wait_for(url: str, status: int, timeout: float, interval: float = 0.02) -> float:
    """Poll ``url`` until it answers ``status``; returns when (monotonic), or raises on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == status:
                return time.monotonic()
        except requests.ConnectionError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"{url} did not answer {status} within {timeout} s")
