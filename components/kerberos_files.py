"""Kerberos file contents shared by the tenant namespaces and the ticket manager."""

from __future__ import annotations

from config.models import KerberosConfig

CACHE_SECRET_NAME = "kerberos-ccache"
MOUNT_CONFIG_NAME = "kerberos-mount-config"
KRB5_CONFIG_NAME = "krb5-config"


def cache_key(tenant: str) -> str:
    """Key of the ticket cache inside the tenant's cache Secret (and its file name when mounted)."""
    return f"krb5cc_{tenant}"


def krb5_conf(kerberos: KerberosConfig) -> str:
    # noaddresses: tickets are written by one pod and used by others (kinit -A).
    # rdns and DNS lookups off: pod and service names do not reverse-resolve to the hosts in SPNs.
    kdcs = "".join(f"    kdc = {kdc}\n" for kdc in kerberos.kdcs)
    return (
        "[libdefaults]\n"
        f"  default_realm = {kerberos.realm}\n"
        "  dns_lookup_realm = false\n"
        "  dns_lookup_kdc = false\n"
        "  rdns = false\n"
        "  noaddresses = true\n"
        "  forwardable = true\n"
        f"  ticket_lifetime = {kerberos.ticket_lifetime_seconds}s\n"
        "\n[realms]\n"
        f"  {kerberos.realm} = {{\n{kdcs}  }}\n"
    )
