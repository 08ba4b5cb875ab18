"""Kerberos client settings and file contents shared by the tenant namespaces and the ticket manager."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CACHE_SECRET_NAME = "kerberos-ccache"
MOUNT_CONFIG_NAME = "kerberos-mount-config"
KRB5_CONFIG_NAME = "krb5-config"


@dataclass(frozen=True)
class Krb5Settings:
    """What ``krb5.conf`` needs: the realm, its KDCs and the ticket lifetime."""

    realm: str
    """Kerberos realm, upper case"""
    kdcs: Sequence[str]
    """KDC hosts (host or host:port), in the order clients try them"""
    ticket_lifetime_seconds: int
    """lifetime requested for every ticket"""


def cache_key(tenant: str) -> str:
    """Key of the ticket cache inside the tenant's cache Secret (and its file name when mounted)."""
    return f"krb5cc_{tenant}"


def krb5_conf(settings: Krb5Settings) -> str:
    # noaddresses: tickets are written by one pod and used by others (kinit -A).
    # rdns and DNS lookups off: pod and service names do not reverse-resolve to the hosts in SPNs.
    kdcs = "".join(f"    kdc = {kdc}\n" for kdc in settings.kdcs)
    return (
        "[libdefaults]\n"
        f"  default_realm = {settings.realm}\n"
        "  dns_lookup_realm = false\n"
        "  dns_lookup_kdc = false\n"
        "  rdns = false\n"
        "  noaddresses = true\n"
        "  forwardable = true\n"
        f"  ticket_lifetime = {settings.ticket_lifetime_seconds}s\n"
        "\n[realms]\n"
        f"  {settings.realm} = {{\n{kdcs}  }}\n"
    )
