"""Every validation rule has a failing case that names the key path and the rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.secrets import HOUSTON_API_KEY, REQUIRED_SECRETS, TENANT_SECRETS
from config.validation import validate
from stackfile.read import validate_file
from tests.helpers import ROOT, STACKS, stack_document

ALL_SECRETS = {*REQUIRED_SECRETS, *TENANT_SECRETS}


def problems(document, present=frozenset(ALL_SECRETS), secure=None) -> list[str]:
    try:
        validate(document, set(present), set(present) if secure is None else secure)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def tenant(doc, index=0):
    return doc["tenants"][index]


def set_path(doc, path, value):
    *parents, last = path
    target = doc
    for part in parents:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target[part]
    target[last] = value


# (description, key path in the document, bad value, expected error path, expected rule fragment)
RULES = [
    ("tenant name RFC 1035", ("tenants", 0, "name"), "Finance", "tenants[0].name", "RFC 1035"),
    ("tenant name too long", ("tenants", 0, "name"), "a" * 64, "tenants[0].name", "at most 63"),
    ("namespace RFC 1123", ("tenants", 1, "namespace"), "Airflow_Mkt", "tenants[1].namespace", "RFC 1123"),
    ("name too long for a Helm release", ("tenants", 0, "name"), "f" * 54, "tenants[0].name", "53 characters Helm"),
    ("platform namespace RFC 1123", ("platform", "namespace"), "Astro!", "platform.namespace", "RFC 1123"),
    ("maxWorkers zero", ("tenants", 0, "maxWorkers"), 0, "tenants[0].maxWorkers", "positive integer"),
    ("maxWorkers negative", ("tenants", 0, "maxWorkers"), -3, "tenants[0].maxWorkers", "positive integer"),
    ("maxWorkers string", ("tenants", 0, "maxWorkers"), "10", "tenants[0].maxWorkers", "integer"),
    ("maxWorkers float", ("tenants", 0, "maxWorkers"), 2.5, "tenants[0].maxWorkers", "integer"),
    ("quota cpu syntax", ("tenants", 0, "quota"), {"cpu": "lots", "memory": "64Gi"}, "tenants[0].quota.cpu",
     "Kubernetes quantity"),
    ("quota memory syntax", ("tenants", 0, "quota"), {"cpu": "60", "memory": "64GB"},
     "tenants[0].quota.memory", "Kubernetes quantity"),
    ("quota below the platform", ("tenants", 0, "quota"), {"cpu": "2", "memory": "512Gi"},
     "tenants[0].quota.cpu", "below the platform's own quota"),
    ("host with scheme", ("artifactory", "host"), "https://artifactory.company.com", "artifactory.host",
     "without a scheme"),
    ("host with path", ("artifactory", "host"), "artifactory.company.com/astronomer", "artifactory.host",
     "without a path"),
    ("API server CIDR not a CIDR", ("tenancy", "egress", "apiServerCidrs"), ["apiserver.corp"],
     "tenancy.egress.apiServerCidrs[0]", "CIDR"),
    ("API server anywhere", ("tenancy", "egress", "apiServerCidrs"), ["0.0.0.0/0"], "tenancy.egress.apiServerCidrs",
     "reaches every address"),
    ("API server CIDRs empty", ("tenancy", "egress", "apiServerCidrs"), [], "tenancy.egress.apiServerCidrs",
     "must not be empty"),
    ("API server port zero", ("tenancy", "egress", "apiServerPort"), 0, "tenancy.egress.apiServerPort", ""),
    ("vault CIDRs empty", ("tenancy", "egress", "vaultCidrs"), [], "tenancy.egress.vaultCidrs", "must not be empty"),
    ("chart version latest", ("platform", "chartVersion"), "latest", "platform.chartVersion", "exact chart version"),
    ("chart version range", ("platform", "chartVersion"), "^2.1.0", "platform.chartVersion", "exact chart version"),
    ("chart version wildcard", ("platform", "chartVersion"), "2.1.x", "platform.chartVersion", "exact chart version"),
    ("chart line unsupported", ("platform", "chartVersion"), "0.36.4", "platform.chartVersion",
     "supported chart line"),
    ("base domain with scheme", ("platform", "baseDomain"), "https://astro.company.com", "platform.baseDomain",
     "valid DNS domain"),
    ("base domain single label", ("platform", "baseDomain"), "astro", "platform.baseDomain", "valid DNS domain"),
    ("base domain bad label", ("platform", "baseDomain"), "astro_dev.company.com", "platform.baseDomain",
     "valid DNS domain"),
    ("tenant image from another registry", ("tenants", 0, "image"), "docker.io/library/airflow:2.9",
     "tenants[0].image", "names a registry"),
    ("tenant image without tag", ("tenants", 0, "image"), "finance-airflow", "tenants[0].image", "name:tag"),
    ("tenant image with host", ("tenants", 0, "image"), "artifactory.company.com/deployments/finance:1",
     "tenants[0].image", "names a registry"),
    ("manager image from another registry", ("kerberos", "managerImage"), "quay.io/x/krb:1",
     "kerberos.managerImage", "names a registry"),
    ("renew interval not positive", ("kerberos", "renewIntervalSeconds"), 0, "kerberos.renewIntervalSeconds",
     "positive integer"),
    ("renew too close to lifetime", ("kerberos", "renewIntervalSeconds"), 35800,
     "kerberos.renewIntervalSeconds", "at least 300 s below ticketLifetimeSeconds"),
    ("empty KDC list", ("kerberos", "kdcs"), [], "kerberos.kdcs", "must not be empty"),
    ("KDC with scheme", ("kerberos", "kdcs"), ["tcp://kdc1"], "kerberos.kdcs[0]", "host name"),
    ("realm lower case", ("kerberos", "realm"), "corp.company.com", "kerberos.realm", "Kerberos realm"),
    ("principal with _HOST", ("tenants", 0, "kerberos", "principal"), "svc/_HOST@CORP.COMPANY.COM",
     "tenants[0].kerberos.principal", "_HOST"),
    ("principal without realm", ("tenants", 0, "kerberos", "principal"), "svc-airflow",
     "tenants[0].kerberos.principal", "name[/instance]@REALM"),
    ("python version as a number", ("images", "pythonVersion"), 3.1, "images.pythonVersion", "string"),
    ("helm repo not https", ("artifactory", "helmRepoUrl"), "http://artifactory.company.com/helm",
     "artifactory.helmRepoUrl", "https://"),
    ("reserved Airflow variable", ("tenants", 1, "airflow", "variables", "environment"), "x",
     "tenants[1].airflow.variables", "set by the platform"),
    ("egress CIDR", ("tenancy", "egress", "kdcCidrs"), ["10.20.0.300/32"], "tenancy.egress.kdcCidrs[0]",
     "CIDR block"),
    ("pod security level", ("tenancy", "podSecurity", "enforce"), "strict", "tenancy.podSecurity.enforce",
     "'privileged', 'baseline' or 'restricted'"),
    ("release name too long for Helm", ("platform", "releaseName"), "a" * 54, "platform.releaseName", "53"),
    ("datakit version tag", ("datakits", "oracle-bronze", "version"), "2.0 beta", "datakits.oracle-bronze.version",
     "image tag"),
    # A rule matches the whole value: no trailing newline, no label over 63 characters in a host.
    ("tenant name with a newline", ("tenants", 0, "name"), "finance\n", "tenants[0].name", "RFC 1035"),
    ("KDC label too long", ("kerberos", "kdcs"), ["k" * 64 + ".corp.company.com"], "kerberos.kdcs[0]", "host name"),
    ("quantity in other digits", ("tenants", 0, "quota"), {"cpu": "\u0663", "memory": "64Gi"}, "tenants[0].quota.cpu",
     "Kubernetes quantity"),
    ("helm repo URL unparsable", ("artifactory", "helmRepoUrl"), "https://[::1/helm", "artifactory.helmRepoUrl",
     "is not an https:// URL with a host"),
    # --- registries and URLs: a public registry never gets the Artifactory password, a URL never a login
    *[(f"public registry {host}", ("artifactory", "host"), host, "artifactory.host", "is a public registry")
      for host in ("docker.io", "index.docker.io", "quay.io", "ghcr.io", "gcr.io", "eu.gcr.io", "registry.k8s.io",
                   "public.ecr.aws", "mcr.microsoft.com", "docker.io:443", "europe-docker.pkg.dev", "nvcr.io")],
    *[(f"login in {'.'.join(map(str, key))}", key, url, ".".join(map(str, key)), "has a login in it")
      for key, url in ((("artifactory", "helmRepoUrl"), "https://svc:hunter2@artifactory.company.com/helm"),
                       (("kerberos", "delinea", "url"), "https://svc-kerberos:hunter2@vault.company.com/SecretServer"),
                       (("houston", "url"), "https://admin:hunter2@houston.astro-dev.company.com/v1"),
                       (("houston", "url"), "http://admin:hunter2@localhost:8871/v1"),
                       (("artifactory", "helmRepoUrl"), "https://ghp_token@artifactory.company.com/helm"))],
    ("login in a datakit's build context", ("datakits", "oracle-bronze", "context"),
     "https://ci:hunter2@git.company.com/datakits.git", "datakits.oracle-bronze.context", "holds a URL with a password"),
    ("login in a connection's host", ("tenants", 0, "airflow", "connections", 0, "host"),
     "mssql://sa:hunter2@sqlfin01.corp.company.com", "tenants[0].airflow.connections[0].host",
     "holds a URL with a password"),
    # --- egress: what the CIDRs cover together, not how they are written
    ("two halves of IPv4", ("tenants", 0, "egress", 0, "cidrs"), ["0.0.0.0/1", "128.0.0.0/1"],
     "tenants[0].egress[0].cidrs", "reaches every address"),
    ("two halves of IPv6", ("tenants", 0, "egress", 0, "cidrs"), ["::/1", "8000::/1"], "tenants[0].egress[0].cidrs",
     "every IPv6 address"),
    ("every public IPv6 address", ("tenants", 0, "egress", 0, "cidrs"), ["2000::/3"], "tenants[0].egress[0].cidrs",
     "every public IPv6 address"),
    ("three blocks that cover IPv4", ("tenants", 0, "egress", 0, "cidrs"), ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"],
     "tenants[0].egress[0].cidrs", "reaches every address"),
    ("KDC CIDRs covering everything", ("tenancy", "egress", "kdcCidrs"), ["0.0.0.0/1", "128.0.0.0/1"],
     "tenancy.egress.kdcCidrs", "reaches every address"),
    ("vault CIDRs covering everything", ("tenancy", "egress", "vaultCidrs"), ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
     "tenancy.egress.vaultCidrs", "reaches every address"),
    ("database CIDRs covering everything", ("tenancy", "egress", "databaseCidrs"), ["::/0"],
     "tenancy.egress.databaseCidrs", "reaches every address"),
    ("blank reason", ("tenants", 0, "egress", 0, "anywhereReason"), "   ", "tenants[0].egress[0].anywhereReason",
     "is not a reason"),
    ("placeholder reason", ("tenants", 0, "egress", 0, "anywhereReason"), "TODO", "tenants[0].egress[0].anywhereReason",
     "is not a reason"),
    ("one-word reason", ("tenants", 0, "egress", 0, "anywhereReason"), "needed", "tenants[0].egress[0].anywhereReason",
     "is not a reason"),
    # --- overrides: Go templates read false, 0, "" and null alike, and Helm deletes a key set to null
    *[(f"network policies off with {value!r}", ("platform", "valuesOverrides"),
       {"global": {"networkPolicy": {"enabled": value}}}, "platform.valuesOverrides.global.networkPolicy.enabled",
       "must stay true") for value in (False, 0, "", None, "false", [], {})],
    *[(f"default deny off with {value!r}", ("platform", "valuesOverrides"), {"global": {"defaultDenyNetworkPolicy": value}},
       "platform.valuesOverrides.global.defaultDenyNetworkPolicy", "must stay true") for value in (0, "", None)],
    ("network policy section deleted", ("platform", "valuesOverrides"), {"global": {"networkPolicy": None}},
     "platform.valuesOverrides.global.networkPolicy", "must stay a mapping"),
    ("global section deleted", ("platform", "valuesOverrides"), {"global": None}, "platform.valuesOverrides.global",
     "must stay a mapping"),
    *[(f"private registry {name}", ("platform", "valuesOverrides"), {"global": {"privateRegistry": value}},
       f"platform.valuesOverrides.global.privateRegistry{suffix}", rule) for name, value, suffix, rule in (
        ("deleted", None, "", "null deletes it in Helm"),
        ("replaced", "artifactory.company.com", "", "must stay a mapping"),
        ("enabled 0", {"enabled": 0}, ".enabled", "must stay true"),
        ("enabled empty", {"enabled": ""}, ".enabled", "must stay true"),
        ("enabled null", {"enabled": None}, ".enabled", "must stay true"),
        ("repository null", {"repository": None}, ".repository", "null deletes the key in Helm"),
        ("secret name null", {"secretName": None}, ".secretName", "must stay the platform's pull Secret"))],
    ("an image repository deleted", ("platform", "valuesOverrides"),
     {"global": {"airflow": {"images": {"redis": {"repository": None}}}}},
     "platform.valuesOverrides.global.airflow.images.redis.repository", "null deletes the key in Helm"),
    # --- tenancy
    ("privileged tenant namespaces", ("tenancy", "podSecurity", "enforce"), "privileged", "tenancy.podSecurity.enforce",
     "take over its node"),
    ("a tenant's service account as deployer", ("tenancy", "deployers", "users"),
     ["system:serviceaccount:airflow-finance:default"], "tenancy.deployers.users[0]", "is a service account of "
     "tenants[0]'s namespace"),
    ("a tenant's admin group as deployer", ("tenancy", "deployers", "groups"), ["astro-finance-admins"],
     "tenancy.deployers.groups[0]", "is bound in a tenant namespace (tenants[0].adminGroups[0]"),
    ("a tenant's view group, in other case, as deployer", ("tenancy", "deployers", "groups"), ["ASTRO-Finance-Analysts"],
     "tenancy.deployers.groups[0]", "is bound in a tenant namespace (tenants[0].viewGroups[0]"),
    ("a group bound twice in other case", ("tenants", 0, "viewGroups"), ["astro-finance-analysts", "Astro-Finance-Admins"],
     "tenants[0].viewGroups[1]", "is already bound as adminGroups[0]"),
    *[(f"cache mount over {path}", ("kerberos", "cacheMountPath"), path, "kerberos.cacheMountPath",
       "system directory") for path in ("/", "/etc", "/usr", "/var", "/var/run/secrets", "/var/run",
                                        "/run/secrets/kubernetes.io", "/etc/krb5", "/usr/local/airflow", "/tmp", "/home",
                                        "/proc", "/dev/shm", "/lib64")],
    ("cache mount through '..'", ("kerberos", "cacheMountPath"), "/krb5/../etc", "kerberos.cacheMountPath", "'..'"),
    *[(f"reserved namespace {name}", key, name, ".".join(map(str, key)).replace(".0.", "[0]."), "keeps for itself")
      for key in (("tenants", 0, "namespace"), ("platform", "namespace"))
      for name in ("kube-finance", "openshift-finance", "openshift", "default", "kube-system")],
    ("tenant name with a leading digit", ("tenants", 0, "name"), "9finance", "tenants[0].name", "RFC 1035"),
    ("release name with a leading digit", ("platform", "releaseName"), "1astro", "platform.releaseName", "RFC 1035"),
    # --- references and sizes: a bound and the reason for it
    ("a shard no stack declares", ("tenants", 0, "shard"), "batch-1", "tenants[0].shard", "is not a shard of this stack"),
    ("a trillion workers", ("tenants", 0, "maxWorkers"), 10**12, "tenants[0].maxWorkers", "is above 200"),
    ("a 400-digit worker count", ("tenants", 0, "maxWorkers"), 10**400, "tenants[0].maxWorkers", "is above 200"),
    ("scheduler replicas", ("tenants", 2, "deployment", "triggerer", "replicas"), 11,
     "tenants[2].deployment.triggerer.replicas", "is above 10"),
    ("ticket manager replicas", ("kerberos", "replicas"), 50, "kerberos.replicas", "is above 10"),
    ("a pod of 65 cores", ("tenants", 2, "deployment", "triggerer", "cpu"), "65",
     "tenants[2].deployment.triggerer.cpu", "more than 64 cores"),
    ("a pod of 1e3 cores", ("tenants", 2, "deployment", "triggerer", "cpu"), "1e3",
     "tenants[2].deployment.triggerer.cpu", "more than 64 cores"),
    ("a pod of a terabyte", ("tenants", 2, "deployment", "triggerer", "memory"), "1Ti",
     "tenants[2].deployment.triggerer.memory", "more than 512Gi"),
    ("a quantity beyond Kubernetes'", ("tenants", 0, "quota"), {"cpu": "1e99", "memory": "64Gi"}, "tenants[0].quota.cpu",
     "larger than a Kubernetes quantity"),
    ("a quantity of 400 digits", ("tenants", 0, "quota"), {"cpu": "9" * 400, "memory": "64Gi"}, "tenants[0].quota.cpu",
     "larger than a Kubernetes quantity"),
    ("a quantity with a long exponent", ("tenants", 0, "quota"), {"cpu": "1e999999999", "memory": "64Gi"},
     "tenants[0].quota.cpu", "is not a Kubernetes quantity"),
    ("a quota of a million cores", ("tenants", 0, "quota"), {"cpu": "1000000", "memory": "64Gi"},
     "tenants[0].quota.cpu", "more than 2000 cores"),
    ("a quota of a petabyte", ("tenants", 0, "quota"), {"cpu": "100", "memory": "1Pi"}, "tenants[0].quota.memory",
     "more than 16Ti"),
    ("a ticket living a year", ("kerberos", "ticketLifetimeSeconds"), 31_536_000, "kerberos.ticketLifetimeSeconds",
     "no KDC grants"),
    ("a keytab id beyond 32 bits", ("tenants", 0, "kerberos", "keytabSecretId"), 2**31,
     "tenants[0].kerberos.keytabSecretId", "32-bit"),
    ("a wait of a month", ("houston", "timeouts"), {"deploySeconds": 2_592_000}, "houston.timeouts.deploySeconds",
     "is above 86400"),
    ("a poll slower than the wait", ("houston", "timeouts"), {"deleteSeconds": 60, "pollIntervalSeconds": 60},
     "houston.timeouts.pollIntervalSeconds", "not below the shortest wait"),
    ("a number beyond 64 bits in overrides", ("platform", "valuesOverrides"), {"houston": {"replicas": 10**30}},
     "platform.valuesOverrides.houston.replicas", "beyond 64-bit integers"),
    ("an infinite number in overrides", ("platform", "valuesOverrides"), {"houston": {"ratio": float("inf")}},
     "platform.valuesOverrides.houston.ratio", "not a finite number"),
    ("a number beyond 64 bits in a connection's extra", ("tenants", 0, "airflow", "connections", 0, "extra"),
     {"timeout": 10**30}, "tenants[0].airflow.connections[0].extra.timeout", "beyond 64-bit integers"),
    *[(f"a CIDR spelt {cidr}", ("tenancy", "egress", "kdcCidrs"), [cidr], "tenancy.egress.kdcCidrs[0]",
       f"write {canonical}") for cidr, canonical in (("0.0.0.0/0.0.0.0", "0.0.0.0/0"), ("10.20.0.0/016", "10.20.0.0/16"),
                                                     ("2001:DB8::/32", "2001:db8::/32"))],
    ("renewals every second", ("kerberos", "renewIntervalSeconds"), 1, "kerberos.renewIntervalSeconds",
     "is below 60, the least this key takes: each renewal asks the vault"),
    # --- rules in words, never a regular expression
    ("houston URL not https", ("houston", "url"), "ftp://houston.company.com", "houston.url",
     "is not an https:// URL with a host"),
    ("pod security version", ("tenancy", "podSecurity", "version"), "1.33", "tenancy.podSecurity.version",
     "a Kubernetes minor version such as 'v1.33'"),
]


@pytest.mark.parametrize(("key", "value", "path", "rule"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule_names_key_path_and_rule(document, key, value, path, rule):
    doc = document("dev")
    set_path(doc, key, value)
    found = problems(doc)
    assert any(p.startswith(f"{path}: ") and rule in p for p in found), found


def test_committed_values_pass(document):
    assert problems(document("dev")) == []


@pytest.mark.parametrize(("where", "typo", "suggestion"), [
    (("tenants", 0), "maxWorker", "maxWorkers"),
    (("platform",), "chartVersions", "chartVersion"),
    ((), "tenant", "tenants"),
    (("kerberos", "delinea"), "user", "username"),
])
def test_unknown_keys_are_rejected_with_a_suggestion(document, where, typo, suggestion):
    doc = document("dev")
    target = doc
    for part in where:
        target = target[part]
    target[typo] = 1
    prefix = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
    path = f"{prefix}.{typo}" if prefix else typo
    found = problems(doc)
    hint = f"did you mean {suggestion!r}"
    assert any(p.startswith(f"{path}: is not a known key") and hint in p for p in found), found


def test_unknown_key_never_echoes_its_value(document):
    doc = document("dev")
    doc["artifactory"]["password"] = "hunter2-plaintext"
    found = problems(doc)
    assert any(p.startswith("artifactory.password: is not a known key") for p in found)
    assert not any("hunter2" in p for p in found)


def test_duplicate_tenant_name_and_namespace(document):
    doc = document("dev")
    doc["tenants"][2]["name"] = "finance"
    doc["tenants"][1]["namespace"] = "airflow-finance"
    found = problems(doc)
    assert any(p.startswith("tenants[2].name: 'finance' is already used by tenants[0]") for p in found), found
    assert any(p.startswith("tenants[1].namespace: 'airflow-finance' is already used by tenants[0]") for p in found)


def test_tenant_in_platform_namespace(document):
    doc = document("dev")
    doc["tenants"][0]["namespace"] = "astronomer"
    assert any(p.startswith("tenants[0].namespace: 'astronomer' is the platform namespace") for p in problems(doc))


def test_tenant_datakit_must_be_defined(document):
    doc = document("dev")
    doc["tenants"][1]["datakits"].append("hubspot-bronze")
    found = problems(doc)
    assert any(p.startswith("tenants[1].datakits[2]: 'hubspot-bronze' is not defined under 'datakits'") for p in found)


def test_kubernetes_needs_exactly_one_target(document):
    doc = document("dev")
    doc["kubernetes"] = {"context": "a", "kubeconfig": "/tmp/k"}
    assert any(p.startswith("kubernetes: ") and "exactly one" in p for p in problems(doc))
    doc["kubernetes"] = {}
    assert any(p.startswith("kubernetes: ") and "exactly one" in p for p in problems(doc))


@pytest.mark.parametrize("missing", REQUIRED_SECRETS)
def test_required_secret_missing(document, missing):
    found = problems(document("dev"), present=ALL_SECRETS - {missing})
    assert f"{missing}: is required: set it with `pulumi config set --secret {missing}`" in found


def test_the_api_server_endpoints_are_required(document):
    doc = document("dev")
    del doc["tenancy"]["egress"]["apiServerCidrs"]
    assert "tenancy.egress.apiServerCidrs: is required" in problems(doc)


def test_the_read_only_pull_user_is_required_once_the_stack_has_tenants(document):
    doc = document("dev")
    del doc["artifactory"]["pullUsername"]
    assert any(p.startswith("artifactory.pullUsername: is required once the stack has tenants") for p in problems(doc))
    found = problems(document("dev"), present=ALL_SECRETS - {"artifactoryPullPassword"})
    assert any(p.startswith("artifactoryPullPassword: is required once the stack has tenants") for p in found)
    doc["tenants"] = []
    doc["tenancy"]["allowNoTenants"] = True
    assert problems(doc, present=set(REQUIRED_SECRETS)) == []


def test_the_houston_key_is_required_once_the_stack_has_tenants(document):
    found = problems(document("dev"), present=ALL_SECRETS - {HOUSTON_API_KEY})
    assert any(p.startswith("houstonApiKey: is required once the stack has tenants") for p in found), found
    # The first install of a platform: no tenants yet, so no Houston to make a key in.
    doc = document("dev")
    doc["tenants"] = []
    doc["tenancy"]["allowNoTenants"] = True
    assert problems(doc, present=ALL_SECRETS - {HOUSTON_API_KEY}) == []


def test_tls_certificate_without_key(document):
    found = problems(document("dev"), present=ALL_SECRETS | {"tlsCertificate"})
    assert any(p.startswith("tlsKey: is required when tlsCertificate is set") for p in found)


def test_secure_value_inside_structured_key_is_refused(document):
    found = problems(document("dev"), secure=ALL_SECRETS | {"artifactory"})
    assert any(p.startswith("artifactory: holds a secure value") for p in found), found


def test_override_switching_off_private_registry(document):
    doc = document("dev")
    doc["platform"]["valuesOverrides"] = {"global": {"privateRegistry": {"enabled": False}}}
    found = problems(doc)
    assert any(p.startswith("platform.valuesOverrides.global.privateRegistry.enabled: must stay true") for p in found)


def test_override_pointing_an_image_elsewhere(document):
    doc = document("dev")
    doc["platform"]["valuesOverrides"] = {"global": {"airflow": {"images": {"redis": {"repository": "quay.io/x"}}}}}
    found = problems(doc)
    path = "platform.valuesOverrides.global.airflow.images.redis.repository"
    assert any(p.startswith(f"{path}: 'quay.io/x' is not") for p in found), found


@pytest.mark.parametrize(("version", "gate", "refused"), [
    ("0.37.7", {"networkNSLabels": True}, True),  # the labeller hook Job has no pull secret on 0.37
    ("2.1.0", {"networkNSLabels": {"enabled": True}}, False),  # it has one on 1.x and 2.x
    ("1.2.0", {"pgbouncer": {"enabled": True}}, True),  # pgbouncer has none on any line
])
def test_override_rendering_a_pod_without_the_pull_secret(document, version, gate, refused):
    doc = document("dev")
    doc["platform"]["chartVersion"] = version
    doc["platform"]["valuesOverrides"] = {"global": gate}
    found = [p for p in problems(doc) if p.startswith("platform.valuesOverrides.global.")]
    assert bool(found) is refused, found
    if refused:
        assert "without the Artifactory pull secret" in found[0] and "leave it off" in found[0]


def test_local_chart_version_must_match(document, tmp_path):
    (tmp_path / "Chart.yaml").write_text("name: astronomer\nversion: 2.0.3\n")
    doc = document("dev")
    doc["platform"]["chartPath"] = str(tmp_path)
    assert any(p.startswith("platform.chartPath: ") and "is version 2.0.3, but chartVersion is 2.1.0" in p
               for p in problems(doc))


def test_all_problems_are_reported_at_once(document):
    doc = document("dev")
    doc["tenants"][0]["maxWorker"] = 10
    doc["platform"]["namespace"] = "Bad_NS"
    doc["tenants"][2]["name"] = "marketing"
    doc["artifactory"]["host"] = "https://artifactory.company.com"
    doc["kerberos"]["kdcs"] = []
    found = problems(doc, present=ALL_SECRETS - {"delineaPassword"})
    expected = ["tenants[0].maxWorker", "platform.namespace", "tenants[2].name", "artifactory.host",
                "kerberos.kdcs", "delineaPassword"]
    for path in expected:
        assert any(p.startswith(f"{path}: ") for p in found), (path, found)


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_files_validate(stack):
    config = validate_file(ROOT / f"Pulumi.{stack}.yaml")
    assert [t.name for t in config.tenants] == ["finance", "marketing", "analytics"]
    assert config.artifactory.host == "artifactory.company.com"


def test_prod_is_stricter_than_dev():
    dev, prod = (validate_file(ROOT / f"Pulumi.{s}.yaml") for s in STACKS)
    assert prod.tenancy.protect_namespaces and not dev.tenancy.protect_namespaces
    assert prod.platform.protect_namespace
    assert prod.kerberos.replicas > 1
    assert all(t.quota is not None for t in prod.tenants)
    assert prod.tenancy.pod_security.version != "latest"


def test_design_tenants_are_in_both_stacks():
    for stack in STACKS:
        tenants = {t["name"]: t for t in stack_document(stack)["tenants"]}
        assert tenants["finance"]["maxWorkers"] == 10
        assert tenants["finance"]["datakits"] == ["sqlserver-bronze", "oracle-bronze"]
        assert tenants["marketing"]["maxWorkers"] == 5
        assert tenants["marketing"]["datakits"] == ["salesforce-bronze", "mailchimp-bronze"]
        assert "analytics" in tenants


def test_invalid_config_stops_the_program_before_any_resource(document):
    """The real program under mocks: a bad stack registers nothing and raises a clean error."""
    from standins import mock_engine as engine
    from tests.helpers import runtime_config

    doc = document("dev")
    doc["tenants"][0]["maxWorkers"] = 0
    config, secret_keys = runtime_config(doc)
    with pytest.raises(ConfigError) as raised:
        engine.run(config, secret_keys)
    assert "tenants[0].maxWorkers: 0 must be a positive integer" in str(raised.value)
    assert raised.value.recording.resources == []


def test_cli_reports_errors_without_traceback(tmp_path):
    stack = (ROOT / "Pulumi.dev.yaml").read_text().replace("maxWorkers: 10", "maxWorker: 10")
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(stack)
    result = subprocess.run(
        [sys.executable, "-m", "stackfile.check", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "tenants[0].maxWorker: is not a known key" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_accepts_committed_stacks():
    paths = [str(ROOT / f"Pulumi.{s}.yaml") for s in STACKS]
    result = subprocess.run([sys.executable, "-m", "stackfile.check", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(paths[0]).name in result.stdout


# --- what would undo a tenant's isolation is refused ---------------------------------------------

@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_a_system_namespace_is_never_a_tenants(document, namespace):
    doc = document("dev")
    tenant(doc)["namespace"] = namespace
    assert any(p.startswith(f"tenants[0].namespace: {namespace!r} is a namespace Kubernetes or OpenShift keeps for itself")
               for p in problems(doc))


@pytest.mark.parametrize("group", ["system:authenticated", "system:unauthenticated", "system:serviceaccounts",
                                   "system:masters"])
def test_kubernetes_system_groups_are_never_bound(document, group):
    doc = document("dev")
    tenant(doc)["viewGroups"] = ["astro-finance-analysts", group]
    assert any(p.startswith(f"tenants[0].viewGroups[1]: {group!r} is a Kubernetes system group") for p in problems(doc))


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_egress_to_anywhere_needs_a_reason(document, cidr):
    doc = document("dev")
    tenant(doc)["egress"][0]["cidrs"].append(cidr)
    assert any(p.startswith("tenants[0].egress[0].cidrs: ") and "reaches every address" in p and "anywhereReason" in p
               for p in problems(doc))
    tenant(doc)["egress"][0]["anywhereReason"] = "SaaS endpoints without fixed addresses (RISK-1234)"
    assert problems(doc) == []


def test_shared_egress_to_anywhere_is_refused(document):
    doc = document("dev")
    doc["tenancy"]["egress"]["vaultCidrs"] = ["0.0.0.0/0"]
    assert any(p.startswith("tenancy.egress.vaultCidrs: ") and "reaches every address" in p for p in problems(doc))


@pytest.mark.parametrize("path", ["global.networkPolicy.enabled", "global.defaultDenyNetworkPolicy"])
def test_overrides_cannot_switch_network_policies_off(document, path):
    doc = document("dev")
    overrides: dict = {}
    set_nested = overrides
    *parents, last = path.split(".")
    for part in parents:
        set_nested = set_nested.setdefault(part, {})
    set_nested[last] = False
    doc["platform"]["valuesOverrides"] = overrides
    assert any(p.startswith(f"platform.valuesOverrides.{path}: must stay true") for p in problems(doc))


@pytest.mark.parametrize(("path", "value"), [
    (("tenants", 0, "image"), "finance-airflow:latest"),
    (("kerberos", "managerImage"), "kerberos-manager:latest"),
    (("datakits", "oracle-bronze", "version"), "latest"),
])
def test_latest_tags_are_refused(document, path, value):
    doc = document("dev")
    set_path(doc, path, value)
    assert any("uses the tag 'latest'" in p for p in problems(doc)), problems(doc)


def test_two_tenants_never_share_a_kerberos_identity(document):
    doc = document("dev")
    tenant(doc, 1)["kerberos"] = dict(tenant(doc, 0)["kerberos"])
    found = problems(doc)
    assert any(p.startswith("tenants[1].kerberos.principal: 'svc-airflow-finance@CORP.COMPANY.COM' is already used by "
                            "tenants[0]") for p in found), found
    assert any(p.startswith("tenants[1].kerberos.keytabSecretId: 4101 is already used by tenants[0]") for p in found)


def test_a_principal_outside_the_realm_needs_a_trusted_realm(document):
    doc = document("dev")
    tenant(doc)["kerberos"]["principal"] = "svc-airflow-finance@PARTNER.EXAMPLE.COM"
    assert any(p.startswith("tenants[0].kerberos.principal: ") and "neither kerberos.realm nor" in p
               for p in problems(doc))
    doc["kerberos"]["trustedRealms"] = ["PARTNER.EXAMPLE.COM"]
    assert problems(doc) == []


@pytest.mark.parametrize(("where", "key"), [("variables", "db_password"), ("variables", "API_KEY"),
                                            ("extra", "access_token"), ("extra", "client_secret")])
def test_secret_looking_airflow_settings_are_refused(document, where, key):
    doc = document("dev")
    airflow = tenant(doc)["airflow"]
    if where == "variables":
        airflow["variables"][key] = "x"
        path = f"tenants[0].airflow.variables.{key}"
    else:
        airflow["connections"][0]["extra"] = {key: "x"}
        path = f"tenants[0].airflow.connections[0].extra.{key}"
    assert any(p.startswith(f"{path}: looks like a secret") for p in problems(doc)), problems(doc)


@pytest.mark.parametrize("tenants", [[], None])
def test_no_tenants_is_refused_unless_allowed(document, tenants):
    doc = document("dev")
    if tenants is None:
        del doc["tenants"]
    else:
        doc["tenants"] = tenants
    assert any(p.startswith("tenants: is empty or missing, which would delete every tenant namespace")
               and "tenancy.allowNoTenants" in p for p in problems(doc))
    doc["tenancy"]["allowNoTenants"] = True
    assert problems(doc) == []


# --- what is accepted beside what is refused -----------------------------------------------------------------

@pytest.mark.parametrize(("key", "value"), [
    (("tenants", 0, "egress"), [{"cidrs": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], "ports": [443]}]),
    (("tenants", 0, "egress"), [{"cidrs": ["0.0.0.0/1", "128.0.0.0/1"], "ports": [443],
                                 "anywhereReason": "SaaS endpoints without fixed addresses (RISK-1234)"}]),
    (("kerberos", "cacheMountPath"), "/opt/krb5/cache"),
    (("kerberos", "cacheMountPath"), "/var/krb5cc"),
    (("tenants", 0, "airflow", "variables"), {"auth_mechanism": "GSSAPI", "compass_region": "emea",
                                              "runbook_url": "https://wiki.company.com/password-rotation"}),
    (("tenants", 0, "quota"), {"cpu": "2000", "memory": "16Ti"}),
    (("tenants", 0, "maxWorkers"), 200),
    (("kerberos", "ticketLifetimeSeconds"), 604_800),
    (("artifactory", "host"), "artifactory.docker.company.com"),
    (("houston", "url"), "http://localhost:8871/v1"),
    (("platform", "valuesOverrides"), {"global": {"networkPolicy": {"enabled": True}, "privateRegistry": {
        "enabled": True}}, "houston": {"replicas": 3}}),
])
def test_what_a_user_could_mean_is_accepted(document, key, value):
    doc = document("dev")
    set_path(doc, key, value)
    assert problems(doc) == []


def test_a_declared_shard_is_accepted(document):
    doc = document("dev")
    doc["tenancy"]["shards"] = ["batch-1"]
    tenant(doc)["shard"] = "batch-1"
    assert problems(doc) == []
    doc["tenancy"]["shards"] = ["batch-1", "batch-1"]
    assert "tenancy.shards[1]: 'batch-1' is listed twice" in problems(doc)


# --- egress judged together --------------------------------------------------------------------------------

@pytest.mark.parametrize(("shared", "own", "path"), [
    ({"databaseCidrs": ["0.0.0.0/1"]}, [["128.0.0.0/1"]], "tenants[0].egress"),  # a tenant rule and a shared list
    ({}, [["0.0.0.0/1"], ["128.0.0.0/1"]], "tenants[0].egress"),  # two rules of one tenant
    ({"apiServerCidrs": ["0.0.0.0/1"], "databaseCidrs": ["128.0.0.0/1"]}, [["10.50.1.0/24"]], "tenancy.egress"),
    ({"kdcCidrs": ["2000::/4"], "vaultCidrs": ["3000::/4"]}, [["10.50.1.0/24"]], "tenancy.egress"),  # the manager's
])
def test_cidr_lists_that_cover_everything_together_are_refused(document, shared, own, path):
    doc = document("dev")
    doc["tenancy"]["egress"] |= shared
    tenant(doc)["egress"] = [{"cidrs": cidrs, "ports": [443]} for cidrs in own]
    assert any(p.startswith(f"{path}: reaches every address") for p in problems(doc)), problems(doc)


# --- secrets in plain settings -----------------------------------------------------------------------------

SECRET = "hunter2-Sup3r"


@pytest.mark.parametrize("name", ["pwd", "dsn", "db_passwd", "sftp_pass", "Authorization", "jwt", "clientSecret",
                                  "ORACLE_CONN_STR", "privateKey", "x-api-key"])
def test_variable_names_that_say_secret_are_refused(document, name):
    doc = document("dev")
    tenant(doc)["airflow"]["variables"][name] = "x"
    assert any(p.startswith(f"tenants[0].airflow.variables.{name}: looks like a secret") for p in problems(doc))


@pytest.mark.parametrize(("extra", "path"), [
    ({"auth": {"private_key": "x"}}, "auth.private_key"),
    ({"headers": {"Authorization": "x"}}, "headers.Authorization"),
    ({"proxies": [{"https": "x", "password": "x"}]}, "proxies[0].password"),
    ({"keyfile_dict": {"client_secret": "x"}}, "keyfile_dict.client_secret"),
])
def test_nested_connection_extras_that_say_secret_are_refused(document, extra, path):
    doc = document("dev")
    tenant(doc)["airflow"]["connections"][0]["extra"] = extra
    found = problems(doc)
    assert any(p.startswith(f"tenants[0].airflow.connections[0].extra.{path}: looks like a secret") for p in found)


@pytest.mark.parametrize(("value", "kind"), [
    (f"postgresql://airflow:{SECRET}@db.corp.company.com:5432/finance", "a URL with a password"),
    (f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{SECRET}\n-----END RSA PRIVATE KEY-----", "a private key"),
    (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}", "a private key"),
    (f"Driver={{ODBC}};Server=sqlfin01;Uid=svc;PWD={SECRET};", "a password or key assignment"),
    (f"password={SECRET}", "a password or key assignment"),
    (f'{{"user": "svc", "password": "{SECRET}"}}', "a password or key assignment"),
    (f"Bearer {SECRET}abcdefgh", "an Authorization header value"),
    ("AKIAIOSFODNN7EXAMPLE", "an access token"),
])
def test_secret_values_in_plain_settings_are_refused_unseen(document, value, kind):
    for where in ("variable", "extra", "description"):
        doc = document("dev")
        connection = tenant(doc)["airflow"]["connections"][0]
        if where == "variable":
            tenant(doc)["airflow"]["variables"]["source"] = value
            path = "tenants[0].airflow.variables.source"
        elif where == "extra":
            connection["extra"] = {"options": {"dsn": "x", "note": value}}
            path = "tenants[0].airflow.connections[0].extra.options.note"
        else:
            connection["description"] = value
            path = "tenants[0].airflow.connections[0].description"
        found = problems(doc)
        assert any(p.startswith(f"{path}: holds {kind}") for p in found), found
        assert not any(SECRET in p or "AKIAIOSFODNN7EXAMPLE" in p for p in found)


@pytest.mark.parametrize(("key", "value"), [
    (("tenants", 0, "airflow", "connections", 0, "password"), SECRET),  # the password where the flag goes
    (("tenants", 0, "kerberos", "keytabSecretId"), f"BQIAAABH{SECRET}"),  # a keytab where its id goes
    (("artifactory", "helmRepoUrl"), f"https://svc:{SECRET}@artifactory.company.com/helm"),
    (("artifactory", "host"), f"https://svc:{SECRET}@artifactory.company.com"),
    (("tenants", 0, "image"), f"postgres://u:{SECRET}@db/x"),
    (("tenants", 0, "airflow", "variables", "x"), {"nested": SECRET}),
    (("tenancy", "egress", "kdcCidrs"), [f"postgres://u:{SECRET}@db/x"]),
    (("platform", "valuesOverrides"), {"postgresql": {"password": f"password={SECRET}"}}),
    (("monitoring", "receivers", "platform-team", "email", "smarthost"), f"relay:{SECRET}@smtp.company.com:587"),
])
def test_a_value_refused_where_a_secret_may_be_is_never_printed(document, key, value):
    doc = document("dev")
    set_path(doc, key, value)
    found = problems(doc)
    assert found, "refused"
    assert not any(SECRET in p for p in found), found


# --- every problem in one run ------------------------------------------------------------------------------

def test_a_typo_an_open_egress_and_a_duplicate_tenant_in_one_run(document):
    doc = document("dev")
    tenant(doc, 0)["maxWorker"] = tenant(doc, 0).pop("maxWorkers")
    tenant(doc, 1)["egress"] = [{"cidrs": ["0.0.0.0/1", "128.0.0.0/1"], "ports": [443]}]
    tenant(doc, 2)["name"] = "finance"
    found = problems(doc)
    for path in ("tenants[0].maxWorker: is not a known key", "tenants[0].maxWorkers: is required",
                 "tenants[1].egress[0].cidrs: reaches every address",
                 "tenants[2].name: 'finance' is already used by tenants[0]"):
        assert any(p.startswith(path) for p in found), (path, found)


def test_a_tenant_with_a_bad_key_is_still_held_to_every_other_rule(document):
    doc = document("dev")
    bad = tenant(doc, 2)
    bad["image"] = "docker.io/library/airflow:latest"  # its own problem
    bad["name"] = "finance"  # and a duplicate
    bad["namespace"] = "astronomer"  # and the platform's namespace
    bad["kerberos"]["principal"] = "SVC-AIRFLOW-FINANCE@CORP.COMPANY.COM"  # and finance's principal, in other case
    bad["quota"] = {"cpu": "1", "memory": "1Gi"}  # and a quota below the platform's
    bad["airflow"] = {"variables": {"pwd": "x", "dsn": "y"}}  # and two secret names
    found = problems(doc)
    for path in ("tenants[2].image: ", "tenants[2].name: 'finance' is already used",
                 "tenants[2].namespace: 'astronomer' is the platform namespace",
                 "tenants[2].kerberos.principal: 'SVC-AIRFLOW-FINANCE@CORP.COMPANY.COM' is already used by tenants[0]",
                 "tenants[2].quota.cpu: '1' is below", "tenants[2].quota.memory: '1Gi' is below",
                 "tenants[2].airflow.variables.pwd: ", "tenants[2].airflow.variables.dsn: "):
        assert any(p.startswith(path) for p in found), (path, found)


def test_a_rule_over_several_keys_runs_beside_a_bad_key_of_its_section(document):
    doc = document("dev")
    doc["kerberos"]["delinea"]["url"] = "http://vault.company.com"
    doc["kerberos"]["renewIntervalSeconds"] = 35_900
    doc["platform"]["baseDomain"] = "astro"
    doc["platform"]["valuesOverrides"] = {"global": {"networkPolicy": {"enabled": 0}}}
    found = problems(doc)
    for path in ("kerberos.delinea.url: ", "kerberos.renewIntervalSeconds: 35900 must be at least 300 s below",
                 "platform.baseDomain: ", "platform.valuesOverrides.global.networkPolicy.enabled: must stay true"):
        assert any(p.startswith(path) for p in found), (path, found)


# --- rules in words, whatever the value ------------------------------------------------------------------------

ODD_VALUES = [10**400, -1, 0, 2**63, float("inf"), None, True, "", " ", "\u0663", "9" * 300, "1e99999", "2024-06-01",
              [], {}, [1, {"a": None}], f"postgres://u:{SECRET}@db:5432/x"]


def _leaf_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    if path:
        yield path


@pytest.mark.slow
def test_any_value_at_any_key_is_a_clean_problem_or_accepted(document):
    """Every key of the dev stack, given each odd value in turn: a ConfigError of one-line problems, never another
    exception, never a regular expression, never the secret."""
    for key in list(_leaf_paths(document("dev"))):
        for value in ODD_VALUES:
            doc = document("dev")
            set_path(doc, key, value)
            for problem in problems(doc):
                assert "\n" not in problem and SECRET not in problem, (key, value, problem)
                assert "pattern" not in problem and "(?:" not in problem and "^" not in problem, (key, problem)
