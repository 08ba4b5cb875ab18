"""What the program gives a tenant's deployment, resolved to plain text: its environment and image names.

It calls the program's own ``deployment_environment``, ``DatakitImageArgs`` and ``runtime_image_args``,
so the kit cannot drift from what Houston receives. They take Pulumi outputs, which need an event loop:
all of it runs inside one. Connection passwords are never read: each connection with ``password: true``
gets a marked placeholder where the secret would go.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pulumi

from components.datakit_image import DatakitImageArgs
from components.registry import RegistryLogin
from composition.airflow_environment import deployment_environment
from config.stack import StackConfig
from config.tenant import TenantConfig
from tenant_kit.image import runtime_image


def password_placeholder(tenant: str, conn_id: str) -> str:
    """What stands in for a connection's password: says where the real one lives, holds nothing of it."""
    return f"<SECRET NOT IN KIT: airflowConnectionPasswords {tenant}.{conn_id}; set it locally, never commit it>"


@dataclass(frozen=True)
class ResolvedEnvironment:
    base_image: str
    """the Kerberos-enabled Runtime image the deployment is built on"""
    datakit_images: dict[str, str]
    """datakit name -> image reference"""
    plain: dict[str, str]
    """key -> value, as the deployment's plain variables"""
    secret: dict[str, str]
    """key -> value of the deployment's secret variables, the password replaced by its placeholder"""

    @property
    def all(self) -> dict[str, str]:
        return {**self.plain, **self.secret}


def offline_login(config: StackConfig) -> RegistryLogin:
    """The registry login the image names are built with; only names are read, so no password is in it."""
    return RegistryLogin(config.artifactory.host, config.artifactory.username, pulumi.Output.from_input(""))


def _datakit_images(config: StackConfig, tenant: TenantConfig) -> dict[str, str]:
    """Datakit name -> image reference, as ``__main__`` names each datakit's image."""
    artifactory = config.artifactory
    login = offline_login(config)
    return {kit: DatakitImageArgs(login, artifactory.repository("datakits"), kit, config.datakits[kit].version,
                                  config.images.build, config.datakits[kit].context).reference
            for kit in tenant.datakits}


async def _resolve(config: StackConfig, tenant: TenantConfig) -> ResolvedEnvironment:
    # Outputs belong to the event loop they are made in: build them inside this one.
    placeholders = {c.conn_id: pulumi.Output.from_input(password_placeholder(tenant.name, c.conn_id))
                    for c in tenant.airflow.connections if c.password}
    images = _datakit_images(config, tenant)
    environment = deployment_environment(config, tenant, images, placeholders)
    plain = {key: await pulumi.Output.from_input(value).future() for key, value in environment.plain}
    secret = await environment.secret.future()
    return ResolvedEnvironment(runtime_image(config, tenant, offline_login(config)), images,
                               {k: v for k, v in plain.items() if v is not None}, dict(secret or {}))


def resolved_environment(config: StackConfig, tenant: TenantConfig) -> ResolvedEnvironment:
    """The tenant deployment's complete environment and image names, outside any Pulumi run."""
    # A loop of its own, never installed as the thread's: a caller's loop (a Pulumi run's) stays as it was.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_resolve(config, tenant))
    finally:
        loop.close()
