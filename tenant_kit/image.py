"""The kit's base image: the platform's Kerberos-enabled Runtime in Artifactory, named as the program names it."""

from __future__ import annotations

from components.datakit_image import runtime_image_args
from components.registry import RegistryLogin
from config.stack import StackConfig
from config.tenant import TenantConfig
from tenant_kit.errors import KitError

# The Runtime image's home for the project (its user astro, uid 50000).
AIRFLOW_HOME = "/usr/local/airflow"


def runtime_version(config: StackConfig, tenant: TenantConfig) -> str:
    """The Runtime version the tenant's deployment runs (``__main__``'s default included)."""
    return tenant.deployment.runtime_version or config.images.runtime_version


def runtime_image(config: StackConfig, tenant: TenantConfig, login: RegistryLogin) -> str:
    """The exact reference of the Kerberos-enabled Runtime image the tenant's deployment is built on."""
    version = runtime_version(config, tenant)
    if version != config.images.runtime_version:
        # The program publishes the Kerberos-enabled Runtime for images.runtimeVersion only.
        raise KitError(f"tenant {tenant.name}: its deployment runs Runtime {version}, but the platform publishes the "
                       f"Kerberos-enabled Runtime only for images.runtimeVersion {config.images.runtime_version}")
    artifactory = config.artifactory
    return runtime_image_args(login, artifactory.repositories.platform, artifactory.repositories.certified,
                              version, config.images.python_version, config.images.build).reference


def dockerfile(base_image: str) -> str:
    # The Runtime's ONBUILD steps ran when the platform built its Kerberos image; Docker does not pass
    # them on to images built from that one, so the kit installs its own packages explicitly.
    return (
        "# The platform's vetted, Kerberos-enabled Astro Runtime (the base of your deployment's image).\n"
        f"FROM {base_image}\n"
        "\n"
        "USER root\n"
        "COPY packages.txt /tmp/packages.txt\n"
        "# Package versions follow the Runtime's Debian release; nothing runs when packages.txt lists none.\n"
        "# hadolint ignore=DL3008,SC2046\n"
        "RUN if grep -Evq '^(#|$)' /tmp/packages.txt; then \\\n"
        "      apt-get update \\\n"
        "      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        "$(grep -Ev '^(#|$)' /tmp/packages.txt) \\\n"
        "      && apt-get clean && rm -rf /var/lib/apt/lists/*; \\\n"
        "    fi\n"
        "USER astro\n"
        f"WORKDIR {AIRFLOW_HOME}\n"
        "COPY --chown=astro:astro requirements.txt /tmp/requirements.txt\n"
        "RUN pip install --no-cache-dir -r /tmp/requirements.txt\n"
        "COPY --chown=astro:astro . .\n"
    )
