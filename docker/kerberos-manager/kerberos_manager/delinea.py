"""Keytabs from the Delinea Secret Server REST API: OAuth2 password grant, then a secret's file field."""

from __future__ import annotations

import threading
import time

import requests

from kerberos_manager.failures import CycleError, Reason

# Renew the token this long before the vault says it expires, so a request never races its expiry.
_TOKEN_MARGIN_SECONDS = 60.0


class VaultClient:
    """One bearer token shared by all tenants (thread-safe), fetched again when refused or expiring."""

    def __init__(self, base_url: str, username: str, password: str, field: str = "keytab", *,
                 timeout: float = 30.0, session: requests.Session | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._field = field
        self._timeout = timeout
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def fetch_keytab(self, secret_id: int) -> bytes:
        """The raw bytes of the secret's keytab field; a refused token is replaced once."""
        response = self._get_field(secret_id, self._bearer())
        if response.status_code == 401:
            self._forget_token()
            response = self._get_field(secret_id, self._bearer())
        where = f"secret {secret_id} field {self._field}"
        if response.status_code in (401, 403):
            raise CycleError(Reason.VAULT_AUTH, f"vault refused {where}: HTTP {response.status_code}")
        if response.status_code == 404:
            raise CycleError(Reason.VAULT_NOT_FOUND, f"vault has no {where}: HTTP 404")
        if response.status_code != 200:
            raise CycleError(Reason.VAULT_ERROR, f"vault answered HTTP {response.status_code} for {where}")
        if not response.content:
            raise CycleError(Reason.VAULT_NOT_FOUND, f"vault {where} is empty")
        return response.content

    def _get_field(self, secret_id: int, token: str) -> requests.Response:
        url = f"{self._base}/api/v1/secrets/{secret_id}/fields/{self._field}"
        return self._request("GET", url, headers={"Authorization": f"Bearer {token}"})

    def _request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        try:
            return self._session.request(method, url, timeout=self._timeout, **kwargs)  # type: ignore[arg-type]
        except requests.RequestException as error:
            # The exception's text names the URL only; request bodies (the password) are not in it.
            raise CycleError(Reason.VAULT_ERROR, f"vault unreachable: {type(error).__name__}") from None

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                self._token, lifetime = self._authenticate()
                self._token_expires = time.monotonic() + max(lifetime - _TOKEN_MARGIN_SECONDS, 0.0)
            return self._token

    def _authenticate(self) -> tuple[str, float]:
        form = {"username": self._username, "password": self._password, "grant_type": "password"}
        response = self._request("POST", f"{self._base}/oauth2/token", data=form)
        if response.status_code in (400, 401, 403):
            # OAuth2 answers a bad password with 400 invalid_grant, some deployments with 401.
            raise CycleError(Reason.VAULT_AUTH, f"vault refused the credentials: HTTP {response.status_code}")
        if response.status_code != 200:
            raise CycleError(Reason.VAULT_ERROR, f"vault token endpoint answered HTTP {response.status_code}")
        try:
            body: object = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if not isinstance(token, str) or not token:
            raise CycleError(Reason.VAULT_ERROR, "vault token endpoint answered without an access_token")
        expires_in = body.get("expires_in") if isinstance(body, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return token, float(expires_in) if isinstance(expires_in, int | float) else 0.0
