"""One tenant's renewal: keytab from the vault, ticket from the KDC, cache into the tenant's Secret."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from kerberos_manager.kerberos import Ticket, obtain_ticket
from kerberos_manager.settings import Tenant


class KeytabSource(Protocol):
    def fetch_keytab(self, secret_id: int) -> bytes: ...


class CacheWriter(Protocol):
    def write(self, namespace: str, name: str, key: str, data: bytes) -> None: ...


def renew(tenant: Tenant, vault: KeytabSource, writer: CacheWriter, lifetime_seconds: int, work_dir: Path) -> Ticket:
    """kinit names the principal, so a keytab filed under the wrong secret id fails instead of
    handing the tenant another identity."""
    keytab = vault.fetch_keytab(tenant.keytab_secret_id)
    ticket = obtain_ticket(keytab, tenant.principal, lifetime_seconds, work_dir)
    writer.write(tenant.namespace, tenant.cache_secret, tenant.cache_key, ticket.cache)
    return ticket
