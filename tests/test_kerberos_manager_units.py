"""The ticket manager's parts without a KDC: settings, timetable, readiness, and its two HTTP clients
against the Delinea and Kubernetes stand-ins (standins.kerberos), including their failure answers."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kerberos_manager.delinea import VaultClient
from kerberos_manager.failures import CycleError, Reason
from kerberos_manager.kerberos import Ticket
from kerberos_manager.kubernetes import SecretWriter
from kerberos_manager.scheduler import Renewer, renewal_delay, retry_delay
from kerberos_manager.settings import SettingsError, Tenant, load
from kerberos_manager.status import Board

from components.kerberos_specs import HEALTH_PORT, RUN_AS_USER, WORK_DIR
from standins.kerberos.delinea import DelineaStandIn
from standins.kerberos.kubernetes import KubernetesStandIn

PASSWORD = "s3cret-pa55word"
KEYTAB = b"\x05\x02keytab-bytes"


@pytest.fixture
def vault() -> Iterator[DelineaStandIn]:
    standin = DelineaStandIn("svc", PASSWORD)
    standin.state.secrets[4101] = {"keytab": KEYTAB}
    yield standin
    standin.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubernetesStandIn]:
    standin = KubernetesStandIn(tmp_path_factory.mktemp("cluster"))
    standin.state.create_secret("airflow-finance", "kerberos-ccache")
    yield standin
    standin.close()


def client(vault: DelineaStandIn, password: str = PASSWORD) -> VaultClient:
    return VaultClient(vault.url, "svc", password, timeout=5)


def reason_of(call: object) -> tuple[Reason, str]:
    with pytest.raises(CycleError) as raised:
        call()  # type: ignore[operator]
    return raised.value.reason, str(raised.value)


# --- settings


def env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    tenants = tmp_path / "tenants.json"
    if not tenants.exists():
        tenants.write_text(json.dumps([{"tenant": "finance", "namespace": "airflow-finance",
                                        "principal": "svc-finance@CORP", "keytabSecretId": 4101,
                                        "cacheSecret": "kerberos-ccache", "cacheKey": "krb5cc_finance"}]))
    return {"DELINEA_VAULT_URL": "https://vault/SecretServer/", "DELINEA_USERNAME": "svc", "DELINEA_PASSWORD": PASSWORD,
            "KRB5_CONFIG": "/etc/kerberos-manager/krb5.conf", "TENANTS_FILE": str(tenants),
            "RENEW_INTERVAL_SECONDS": "3600", "TICKET_LIFETIME_SECONDS": "36000", "WORK_DIR": str(tmp_path),
            "HEALTH_PORT": "8080", **overrides}


def test_settings_read_the_contract_environment_and_tenants_file(tmp_path):
    settings = load(env(tmp_path))
    assert settings.vault_url == "https://vault/SecretServer"
    assert settings.keytab_field == "keytab"
    assert (settings.renew_interval_seconds, settings.ticket_lifetime_seconds, settings.health_port) == (3600, 36000, 8080)
    (tenant,) = settings.tenants
    assert (tenant.tenant, tenant.keytab_secret_id, tenant.cache_key) == ("finance", 4101, "krb5cc_finance")
    assert PASSWORD not in repr(settings)
    assert load(env(tmp_path, DELINEA_KEYTAB_FIELD="file")).keytab_field == "file"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"DELINEA_PASSWORD": ""}, "DELINEA_PASSWORD is required"),
    ({"RENEW_INTERVAL_SECONDS": "soon"}, "RENEW_INTERVAL_SECONDS must be a number"),
    ({"TICKET_LIFETIME_SECONDS": "3600"}, "TICKET_LIFETIME_SECONDS must exceed RENEW_INTERVAL_SECONDS"),
    ({"TENANTS_FILE": "/nonexistent/tenants.json"}, "TENANTS_FILE /nonexistent/tenants.json"),
])
def test_settings_problems_name_the_variable(tmp_path, overrides, message):
    with pytest.raises(SettingsError, match=message):
        load(env(tmp_path, **overrides))


@pytest.mark.parametrize(("document", "message"), [
    ({"tenant": "x"}, "expected a JSON list"),
    ([{"tenant": "finance"}], "entry 0 needs namespace"),
    ([{"tenant": "a", "namespace": "n", "principal": "p", "keytabSecretId": True, "cacheSecret": "s", "cacheKey": "k"}],
     "entry 0 needs keytabSecretId"),
    ([{"tenant": "a", "namespace": "n", "principal": "p", "keytabSecretId": 1, "cacheSecret": "s", "cacheKey": "k"}] * 2,
     r"duplicate tenants \['a'\]"),
])
def test_a_bad_tenants_file_is_refused(tmp_path, document, message):
    (tmp_path / "tenants.json").write_text(json.dumps(document))
    with pytest.raises(SettingsError, match=message):
        load(env(tmp_path))


# --- timetable


def test_renewals_come_early_by_at_most_the_jitter_and_never_late():
    rng = random.Random(7)
    delays = [renewal_delay(3600, 0.1, rng) for _ in range(500)]
    assert 3240 <= min(delays) < 3300 and 3540 < max(delays) <= 3600


def test_retries_back_off_exponentially_with_jitter_capped_by_maximum_and_interval():
    rng = random.Random(7)
    assert [max(retry_delay(n, 10, 300, 3600, rng) for _ in range(200)) for n in (1, 2, 3, 6)] == pytest.approx(
        [10, 20, 40, 300], rel=0.02)
    assert min(retry_delay(1, 10, 300, 3600, rng) for _ in range(200)) >= 5
    assert max(retry_delay(20, 10, 300, 60, rng) for _ in range(200)) <= 60


# --- readiness


def test_readiness_needs_every_tenant_renewed_with_a_ticket_covering_the_interval():
    now = [1_000_000.0]
    board = Board(["a", "b"], renew_interval_seconds=600, clock=lambda: now[0])
    assert board.readiness()[0] is False
    board.succeeded("a", Ticket("a@R", now[0], now[0] + 3600, b""))
    ready, tenants = board.readiness()
    assert not ready and tenants["a"]["ready"] and not tenants["b"]["ready"]
    board.succeeded("b", Ticket("b@R", now[0], now[0] + 300, b""))  # the KDC capped it below the interval
    assert board.readiness()[0] is False
    board.succeeded("b", Ticket("b@R", now[0], now[0] + 3600, b""))
    assert board.readiness()[0] is True
    assert board.failed("a", Reason.VAULT_ERROR, "vault answered HTTP 500") == 1
    ready, tenants = board.readiness()
    assert not ready and tenants["a"] == {"ready": False, "expiresInSeconds": 3600, "reason": "vault_error",
                                          "error": "vault answered HTTP 500", "consecutiveFailures": 1}
    board.succeeded("a", Ticket("a@R", now[0], now[0] + 3600, b""))
    now[0] += 3601  # never renewed again: expired
    assert board.readiness()[0] is False


# --- Delinea client against the stand-in


def test_fetches_the_keytab_with_one_token_for_many_requests(vault):
    vault_client = client(vault)
    assert vault_client.fetch_keytab(4101) == KEYTAB
    assert vault_client.fetch_keytab(4101) == KEYTAB
    assert (vault.state.token_requests, vault.state.field_requests) == (1, 2)


def test_an_expired_token_is_replaced_once(vault):
    vault_client = client(vault)
    vault_client.fetch_keytab(4101)
    vault.state.expire_tokens()
    assert vault_client.fetch_keytab(4101) == KEYTAB
    assert vault.state.token_requests == 2


@pytest.mark.parametrize("status", [401, 400])
def test_bad_credentials_are_a_vault_auth_failure_without_the_password(vault, status):
    vault.state.bad_credentials_status = status
    reason, message = reason_of(lambda: client(vault, "wrong-" + PASSWORD).fetch_keytab(4101))
    assert reason is Reason.VAULT_AUTH and f"HTTP {status}" in message and PASSWORD not in message


def test_an_unknown_secret_id_or_field_is_not_found(vault):
    assert reason_of(lambda: client(vault).fetch_keytab(9999))[0] is Reason.VAULT_NOT_FOUND
    other_field = VaultClient(vault.url, "svc", PASSWORD, "file", timeout=5)
    assert reason_of(lambda: other_field.fetch_keytab(4101))[0] is Reason.VAULT_NOT_FOUND


@pytest.mark.parametrize("status", [500, 503])
def test_a_vault_fault_is_a_vault_error_and_passes(vault, status):
    vault_client = client(vault)
    vault.state.fail_with = status
    reason, message = reason_of(lambda: vault_client.fetch_keytab(4101))
    assert reason is Reason.VAULT_ERROR and str(status) in message
    vault.state.fail_with = None
    assert vault_client.fetch_keytab(4101) == KEYTAB


def test_an_unreachable_vault_is_a_vault_error(vault):
    vault.close()
    assert reason_of(lambda: client(vault).fetch_keytab(4101))[0] is Reason.VAULT_ERROR
    vault.close = lambda: None  # the fixture's teardown: already closed


# --- Kubernetes writer against the stand-in (TLS, bearer token)


def test_writes_the_cache_into_the_secret_key_over_tls(cluster):
    writer = SecretWriter.in_cluster({"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(cluster.port),
                                      "SERVICE_ACCOUNT_DIR": str(cluster.account_dir)})
    writer.write("airflow-finance", "kerberos-ccache", "krb5cc_finance", b"\x05\x04cache")
    assert cluster.state.value("airflow-finance", "kerberos-ccache", "krb5cc_finance") == b"\x05\x04cache"
    assert cluster.state.secrets[("airflow-finance", "kerberos-ccache")]["krb5cc_finance"] == base64.b64encode(
        b"\x05\x04cache").decode()


def test_a_missing_secret_a_wrong_token_or_no_cluster_are_kubernetes_failures(cluster, tmp_path):
    writer = SecretWriter(cluster.url, cluster.account_dir / "token", cluster.account_dir / "ca.crt", timeout=5)
    reason, message = reason_of(lambda: writer.write("airflow-sales", "kerberos-ccache", "krb5cc_sales", b"x"))
    assert reason is Reason.KUBERNETES and 'HTTP 404 secrets "kerberos-ccache" not found' in message
    (tmp_path / "token").write_text("not-the-token")
    stranger = SecretWriter(cluster.url, tmp_path / "token", cluster.account_dir / "ca.crt", timeout=5)
    reason, message = reason_of(lambda: stranger.write("airflow-finance", "kerberos-ccache", "krb5cc_finance", b"x"))
    assert reason is Reason.KUBERNETES and "HTTP 401" in message
    untrusted = SecretWriter(cluster.url, cluster.account_dir / "token", Path("/etc/ssl/certs/ca-certificates.crt"))
    assert reason_of(lambda: untrusted.write("airflow-finance", "kerberos-ccache", "krb5cc_finance", b"x"))[0] is Reason.KUBERNETES
    with pytest.raises(ValueError, match="not in a cluster"):
        SecretWriter.in_cluster({})


# --- the renewal loop, with a fake renewal


def test_one_tenants_exception_never_stops_the_others_and_it_is_retried():
    tenants = [Tenant(name, f"airflow-{name}", f"{name}@R", 1, "kerberos-ccache", f"krb5cc_{name}") for name in "ab"]
    attempts = {"a": 0, "b": 0}

    def renew(tenant: Tenant) -> Ticket:
        attempts[tenant.tenant] += 1
        if tenant.tenant == "b" and attempts["b"] < 3:
            raise ValueError("a bug")
        return Ticket(tenant.principal, time.time(), time.time() + 3600, b"cache")

    board = Board(["a", "b"], renew_interval_seconds=60)
    renewer = Renewer(tenants, renew, board, interval=60, jitter=0.1, retry_base=0.05, retry_max=0.1, concurrency=1)
    stop = threading.Event()
    thread = threading.Thread(target=renewer.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while not board.readiness()[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    renewer.wake()
    thread.join(10)
    assert board.readiness()[0] and not thread.is_alive()
    assert attempts == {"a": 1, "b": 3}  # a renewed once (next in ~60 s); b retried after its failures
    assert board.snapshot()["b"].reason is Reason.INTERNAL


# --- the image


MANAGER = Path(__file__).resolve().parents[1] / "docker/kerberos-manager"


def test_the_image_runs_as_50000_with_every_write_in_the_work_dir_and_the_tested_pins():
    text = (MANAGER / "Dockerfile").read_text()
    assert "FROM ${REGISTRY_HOST}/${CERTIFIED_REPOSITORY}/python:${PYTHON_VERSION}" in text
    assert "krb5-user" in text and "--no-install-recommends" in text and "rm -rf /var/lib/apt/lists/*" in text
    assert text.rstrip().splitlines()[-3:] == ["USER 50000:50000", "EXPOSE 8080", 'ENTRYPOINT ["python", "-m", "kerberos_manager"]']
    work_dir = "/var/run/kerberos-manager"
    for setting in (f"WORK_DIR={work_dir}", f"HOME={work_dir}", f"TMPDIR={work_dir}", f"KRB5CCNAME=FILE:{work_dir}/",
                    "PYTHONDONTWRITEBYTECODE=1"):
        assert setting in text, setting
    # the Deployment the program declares (components/kerberos_specs.py) runs it this way
    assert [work_dir, 8080, 50000] == [WORK_DIR, HEALTH_PORT, RUN_AS_USER]
    image_pins = dict(line.split("==") for line in (MANAGER / "requirements.txt").read_text().splitlines()
                      if "==" in line and not line.startswith("#"))
    project = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    for package in ("requests", "prometheus-client"):
        assert f'"{package}=={image_pins[package]}"' in project, package
