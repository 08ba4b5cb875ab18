"""How a tenant's pods find their Kerberos ticket cache and krb5.conf, from the platform's own names.

The ticket manager writes the cache into Secret ``kerberos-ccache``; pods mount the whole Secret as a
directory at ``kerberos.cacheMountPath`` (a subPath mount never sees a renewed ticket) and read
``KRB5CCNAME`` from ConfigMap ``kerberos-mount-config`` and ``krb5.conf`` from ConfigMap ``krb5-config``.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.kerberos_files import (
    CACHE_SECRET_NAME,
    KRB5_CONFIG_NAME,
    MOUNT_CONFIG_NAME,
    Krb5Settings,
    cache_key,
    krb5_conf,
)
from config.stack import StackConfig
from config.tenant import TenantConfig
from tenant_kit.image import AIRFLOW_HOME

# The platform fixes no path for krb5.conf in a pod: the kit's DAG mounts ConfigMap krb5-config here.
KRB5_CONFIG_DIR = "/etc/krb5-config"
# In the local project krb5.conf travels in the image (COPY . . into AIRFLOW_HOME).
LOCAL_KRB5_CONF = "include/krb5.conf"


@dataclass(frozen=True)
class KerberosWiring:
    cache_secret: str
    mount_config: str
    krb5_config_map: str
    mount_path: str
    """where the cache Secret is mounted, as a directory"""
    ccname: str
    """KRB5CCNAME exactly as ConfigMap kerberos-mount-config holds it"""
    krb5_conf: str
    """krb5.conf exactly as ConfigMap krb5-config holds it"""


def wiring(config: StackConfig, tenant: TenantConfig) -> KerberosWiring:
    mount_path = config.kerberos.cache_mount_path
    krb5 = Krb5Settings(config.kerberos.realm, tuple(config.kerberos.kdcs), config.kerberos.ticket_lifetime_seconds)
    return KerberosWiring(
        cache_secret=CACHE_SECRET_NAME, mount_config=MOUNT_CONFIG_NAME, krb5_config_map=KRB5_CONFIG_NAME,
        mount_path=mount_path, ccname=f"FILE:{mount_path}/{cache_key(tenant.name)}", krb5_conf=krb5_conf(krb5),
    )


def env_example(kerberos: KerberosWiring) -> str:
    return (
        "# Copy to .env (never commit .env): `astro dev start` passes these to every Airflow container.\n"
        "# The ticket cache where the platform's pods find it: the kerberos-ccache Secret mounted as a\n"
        f"# directory at {kerberos.mount_path}. Locally, mount a directory holding your own cache there\n"
        "# (README.md, \"Kerberos\").\n"
        f"KRB5CCNAME={kerberos.ccname}\n"
        "# krb5.conf as the platform's krb5-config ConfigMap holds it, copied into the image.\n"
        f"KRB5_CONFIG={AIRFLOW_HOME}/{LOCAL_KRB5_CONF}\n"
    )
