"""Helm values for the Astronomer platform chart: a pure function of typed chart settings.

Key paths follow the pinned chart's line (the chart's values and templates at each pinned tag). The chart has no values
schema, so a misspelled key would be silently ignored by Helm: every path here was read from the
chart's own values and templates.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from components.monitoring_specs import MonitoringSpec, monitoring_values
from components.sign_in_specs import SignInSpec, sign_in_values
from domain.chart_lines import chart_line
from domain.dag_deploys import DagMechanism
from domain.planes import PlaneMode

PULL_SECRET_NAME = "artifactory-pull-secret"
BOOTSTRAP_SECRET_NAME = "astronomer-bootstrap"

# Namespace for the control-plane id: one fixed UUID per project and stack.
_CP_ID_NAMESPACE = uuid.UUID("6f1f4bb2-4f43-5a43-9a3b-1c1d7c2e0a11")

# Repositories (basenames) of the images Airflow deployments run, which global.privateRegistry
# does not rewrite: they are written into Houston's config verbatim.
_AIRFLOW_IMAGES = {
    "statsd": "ap-statsd-exporter",
    "redis": "ap-redis",
    "pgbouncer": "ap-pgbouncer",
    "pgbouncerExporter": "ap-pgbouncer-exporter",
    "gitSync": "ap-git-sync",
}
_GIT_SYNC_RELAY_IMAGES = {"gitDaemon": "ap-git-daemon", "gitSync": "ap-git-sync-relay"}
# The xcom sidecar image: ap-alpine on 0.37, ap-init from 1.x on.
_XCOM_IMAGE = {"0.37": "ap-alpine"}
_XCOM_IMAGE_DEFAULT = "ap-init"
# Lines whose namespace-labeller hook Job carries no pull secret.
_UNPULLABLE_LABELLER = frozenset({"0.37"})


@dataclass(frozen=True)
class DeploymentRegistry:
    """Where Airflow deployments' images come from, and the pull Secret every deployment namespace holds
    for them (Houston's ``registry.protectedCustomRegistry``, the same key on every line)."""

    base_repository: str
    """registry and repository of the Runtime images deployments start from"""
    update_repository: str
    """registry and repository of the deployments' own images"""
    secret_name: str
    """the dockerconfigjson Secret in each deployment namespace that pulls both"""


@dataclass(frozen=True)
class PlaneSpec:
    """Which part of a split platform a release runs (``global.plane``, chart 1.0 and later)."""

    mode: PlaneMode
    """unified: Houston and Airflow; control: Houston only; data: Airflow only"""
    domain_prefix: str = ""
    """a data plane's DNS label under the base domain (its hosts: <prefix>.<base> and *.<prefix>.<base>)"""
    ca_secret_name: str | None = None
    """a data plane's Secret (key cert.pem) with the CA of Houston's certificate, trusted by its pods"""


@dataclass(frozen=True)
class ChartSettings:
    """What the chart values are made of."""

    chart_version: str
    """exact chart version; its line (0.37, 1, 2) decides the key layout"""
    image_repository: str
    """registry host and repository that mirror Astronomer's certified images"""
    helm_repo_url: str
    """the Helm repository that mirrors the Astronomer charts"""
    base_domain: str
    """DNS domain the platform serves"""
    tls_secret_name: str
    """TLS Secret for the base domain and its wildcard"""
    pool_namespaces: Sequence[str]
    """pre-created namespaces the platform places Airflow deployments in"""
    control_plane_id: str
    """a stable UUID for the 2.x templates that would otherwise generate one per render"""
    values_overrides: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """values deep-merged last"""
    monitoring: MonitoringSpec | None = None
    """alert rules, routes and receivers, Prometheus retention; None leaves the chart's defaults"""
    deployment_registry: DeploymentRegistry | None = None
    """the registry and pull Secret of deployments' images; None leaves Houston's own registry"""
    sign_in: SignInSpec | None = None
    """identity providers, local and social logins, system roles from IdP groups; None leaves the chart's"""
    dag_mechanisms: frozenset[DagMechanism] = frozenset()
    """the DAG deploy mechanisms the tenants use besides image deploys: exactly these are switched on"""
    plane: PlaneSpec | None = None
    """the release's part of a split platform; None: a platform without data planes (the chart's unified)"""

    @property
    def chart_line(self) -> str:
        return chart_line(self.chart_version)


def _line_keys(line: str) -> dict[str, Any]:
    """Values whose key paths differ between the 0.37/1.x layout and the 2.x layout."""
    nested = line == "2"

    def flag(legacy_key: str, nested_key: str, value: bool) -> dict[str, Any]:
        return {nested_key: {"enabled": value}} if nested else {legacy_key: value}

    return {
        "global": {
            **flag("postgresqlEnabled", "postgresql", False),
            **flag("rbacEnabled", "rbac", True),
            # The platform namespace carries the 'platform' label (set by this program), so
            # deployment network policies can select it by label. The global also renders the
            # chart's namespace-labeller hook Job, which on 0.37 has no imagePullSecrets
            # (charts/astronomer/templates/add-labels-to-namespace.yaml, v0.37.7) and cannot pull
            # from an authenticated Artifactory: off there, as this program labels the namespace.
            **flag("networkNSLabels", "networkNSLabels", line not in _UNPULLABLE_LABELLER),
        },
        "houston": {
            "publicSignups": {"enabled": False} if nested else False,
            "emailConfirmation": {"enabled": False} if nested else False,
        },
    }


def _namespace_management(line: str, namespaces: Sequence[str]) -> dict[str, Any]:
    pools = {
        "enabled": True,
        "createRbac": True,
        "namespaces": {"create": False, "names": list(namespaces)},
    }
    if line == "2":
        return {
            "namespaceManagement": {
                "namespacePools": pools,
                "namespaceFreeFormEntry": {"enabled": False},
                "manualNamespaceNames": {"enabled": False},
            }
        }
    return {
        "features": {"namespacePools": pools},
        "namespaceFreeFormEntry": False,
        "manualNamespaceNames": False,
    }


def _provider_switches(line: str) -> dict[str, Any]:
    """Houston's deployment settings the tenants' Houston provider relies on (docs/houston.md):
    release names it sets (the tenant's name, so a deployment is found again), hard deletes that
    return a pool namespace at once (2.x deletes only so), and on 0.37 the upsert mutation its updates
    use with CPU and memory in place of Astronomer Units."""
    if line == "2":
        return {"namespaceManagement": {"manualReleaseNames": {"enabled": True}}}
    switches: dict[str, Any] = {"manualReleaseNames": True, "hardDeleteDeployment": True,
                                "enableUpdateDeploymentImageEndpoint": True}
    if line == "0.37":
        switches |= {"upsertDeploymentEnabled": True, "astroUnitsEnabled": False}
    return switches


def dag_mechanism_values(line: str, mechanisms: frozenset[DagMechanism]) -> dict[str, Any]:
    """The switches of the DAG deploy mechanisms in use (image deploys need none): ``global`` and Houston's
    ``deployments`` keys. 2.x nests them under deployMechanisms with .enabled (the chart's values migration,
    bin/helm_chart_values_migration_shared.py at v2.1.0); Houston lets a deployment pick a mechanism other
    than image only with configureDagDeployment on."""
    if not mechanisms:
        return {}
    nested = line == "2"

    def switch(key: str) -> dict[str, Any]:
        return {key: {"enabled": True}} if nested else {key: True}

    deployments = switch("configureDagDeployment")
    if "gitSync" in mechanisms:
        deployments |= switch("gitSyncDagDeployment")
    values: dict[str, Any] = {"astronomer": {"houston": {"config": {"deployments": (
        {"deployMechanisms": deployments} if nested else deployments)}}}}
    if "dagOnly" in mechanisms:
        only = {"dagOnlyDeployment": {"enabled": True}}
        values["global"] = {"deployMechanisms": only} if nested else only
    return values


def plane_values(plane: PlaneSpec | None) -> dict[str, Any]:
    """``global.plane`` and, on a data plane, the CA trust (templates/_helpers.yaml custom_ca_volumes at v1.2.0 and
    v2.1.0: each listed Secret's cert.pem is mounted into the platform's pods)."""
    if plane is None:
        return {}
    values: dict[str, Any] = {"plane": {"mode": plane.mode, "domainPrefix": plane.domain_prefix}}
    if plane.ca_secret_name is not None:
        values["privateCaCerts"] = [plane.ca_secret_name]
    return {"global": values}


def control_plane_id(project: str, stack: str) -> str:
    return str(uuid.uuid5(_CP_ID_NAMESPACE, f"{project}/{stack}"))


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` merged into a copy of ``base``: maps merge key by key, anything else replaces."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], cast(Mapping[str, Any], value))
        else:
            merged[key] = copy.deepcopy(overrides[key])
    return merged


def platform_values(settings: ChartSettings) -> dict[str, Any]:
    line = settings.chart_line
    prefix = settings.image_repository
    layout = _line_keys(line)

    def repo(basename: str) -> dict[str, str]:
        return {"repository": f"{prefix}/{basename}"}

    global_values: dict[str, Any] = {
        "baseDomain": settings.base_domain,
        "tlsSecret": settings.tls_secret_name,
        "privateRegistry": {"enabled": True, "repository": prefix, "secretName": PULL_SECRET_NAME},
        # Commander renders deployments from the chart in its image; helmRepo is the internal
        # mirror for anything that still looks a chart up.
        "helmRepo": settings.helm_repo_url,
        "networkPolicy": {"enabled": True},
        "defaultDenyNetworkPolicy": True,
        "airflow": {
            "images": {
                **{key: repo(name) for key, name in _AIRFLOW_IMAGES.items()},
                "xcom": repo(_XCOM_IMAGE.get(line, _XCOM_IMAGE_DEFAULT)),
            }
        },
        "gitSyncRelay": {"images": {k: repo(n) for k, n in _GIT_SYNC_RELAY_IMAGES.items()}},
        # 0.37 copies this one into Houston's config without the private-registry rewrite.
        "certgenerator": {"images": repo("ap-certgenerator")},
        **_namespace_management(line, settings.pool_namespaces),
        **layout["global"],
    }
    if line == "2":
        # Several 2.x templates generate random ids; a fixed one keeps renders reproducible.
        global_values["controlPlaneHA"] = {"cpId": settings.control_plane_id}

    houston_config = {
        **layout["houston"],
        "deployments": {
            **_provider_switches(line),
            "helm": {
                # What global.networkNSLabels gives Airflow deployments (network policies that
                # select the platform namespace by its label), set in Houston's own config so it
                # holds on every line, also where the global is off (0.37).
                "networkNSLabels": True,
                "airflow": {
                    "defaultAirflowRepository": f"{prefix}/ap-airflow",
                    "defaultRuntimeRepository": f"{prefix}/astro-runtime",
                    "images": {"airflow": repo("ap-airflow")},
                },
                "runtimeImages": {"airflow": repo("astro-runtime"), "flower": repo("astro-runtime")},
            }
        },
    }
    if settings.deployment_registry is not None:
        registry = settings.deployment_registry
        houston_config["registry"] = {"protectedCustomRegistry": {
            "enabled": True,
            "baseRegistry": {"enabled": True, "host": registry.base_repository, "secretName": registry.secret_name},
            "updateRegistry": {"enabled": True, "host": registry.update_repository,
                               "secretName": registry.secret_name},
        }}
    values = {
        "global": global_values,
        "astronomer": {
            "commander": {"airGapped": {"enabled": True}},
            "houston": {
                "updateCheck": {"enabled": False},
                "updateRuntimeCheck": {"enabled": False},
                "config": houston_config,
            },
        },
    }
    if settings.monitoring is not None:
        values |= monitoring_values(settings.monitoring)
    if settings.sign_in is not None:
        values = deep_merge(values, {"astronomer": {"houston": sign_in_values(settings.sign_in, line)}})
    values = deep_merge(values, dag_mechanism_values(line, settings.dag_mechanisms))
    values = deep_merge(values, plane_values(settings.plane))
    return deep_merge(values, settings.values_overrides)
