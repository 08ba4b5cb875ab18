"""Writes a tenant's credential cache into its Secret through the Kubernetes API.

Plain HTTPS with ``requests``: one merge PATCH of one named Secret is all the Role allows, and the
official client would add tens of MB of generated models and untyped code for that one call.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

import requests

from kerberos_manager.failures import CycleError, Reason

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class SecretWriter:
    """PATCHes ``data[key]`` of an existing Secret; never lists or creates (the Role forbids both)."""

    def __init__(self, api_url: str, token_file: Path, ca_file: Path, *, timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:
        self._api = api_url.rstrip("/")
        self._token_file = token_file
        self._ca_file = ca_file
        self._timeout = timeout
        self._session = session or requests.Session()

    @classmethod
    def in_cluster(cls, env: Mapping[str, str]) -> SecretWriter:
        """The API server and service account the kubelet gives every pod (SERVICE_ACCOUNT_DIR moves
        the token and CA, for running outside a pod)."""
        host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
        account_dir = Path(env.get("SERVICE_ACCOUNT_DIR") or SERVICE_ACCOUNT_DIR)
        if not host or not port:
            raise ValueError("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not in a cluster")
        if ":" in host:
            host = f"[{host}]"
        return cls(f"https://{host}:{port}", account_dir / "token", account_dir / "ca.crt")

    def write(self, namespace: str, name: str, key: str, data: bytes) -> None:
        patch = {"data": {key: base64.b64encode(data).decode()}}
        url = f"{self._api}/api/v1/namespaces/{namespace}/secrets/{name}"
        try:
            # The kubelet rotates bound service account tokens: read the file on every request.
            token = self._token_file.read_text().strip()
            response = self._session.patch(
                url, data=json.dumps(patch), timeout=self._timeout, verify=str(self._ca_file),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"})
        except requests.RequestException as error:  # first: it is an OSError too
            raise CycleError(Reason.KUBERNETES, f"API server unreachable: {type(error).__name__}") from None
        except OSError as error:
            raise CycleError(Reason.KUBERNETES, f"service account files unreadable: {error}") from None
        if response.status_code != 200:
            raise CycleError(Reason.KUBERNETES, f"PATCH secret {namespace}/{name}: HTTP {response.status_code} "
                                                f"{_status_message(response)}".rstrip())


def _status_message(response: requests.Response) -> str:
    """The API server's Status message (it names the object and the verb, never Secret data)."""
    try:
        body: object = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return message if isinstance(message, str) else ""
