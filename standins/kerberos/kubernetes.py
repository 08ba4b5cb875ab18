"""A stand-in for the Kubernetes API server on 127.0.0.1 (TLS with a throwaway certificate): only
the cache Secrets, and only ``get`` and merge ``patch`` of an existing one by name, as the
manager's Role allows. It checks the bearer token the way the API server would (401 when wrong)
and answers a missing Secret with 404 and a Status message."""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from standins.kerberos.http import Handler, StandIn

_SECRET_PATH = re.compile(r"^/api/v1/namespaces/([a-z0-9-]+)/secrets/([a-z0-9.-]+)$")


def _status(code: int, message: str) -> dict[str, object]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}


@dataclass
class ClusterState:
    token: str
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict[tuple[str, str], dict[str, str]])
    """(namespace, name) -> data (base64 values)"""
    fail_with: int | None = None
    patches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create_secret(self, namespace: str, name: str) -> None:
        with self.lock:
            self.secrets[(namespace, name)] = {}

    def value(self, namespace: str, name: str, key: str) -> bytes | None:
        with self.lock:
            encoded = self.secrets.get((namespace, name), {}).get(key)
        return None if encoded is None else base64.b64decode(encoded)


class KubernetesStandIn(StandIn):
    """Writes its certificate, CA and token as a service account directory (``account_dir``)."""

    def __init__(self, directory: Path) -> None:
        self.account_dir = directory / "serviceaccount"
        self.account_dir.mkdir(parents=True)
        key = directory / "apiserver.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                        "-out", str(self.account_dir / "ca.crt")], check=True, capture_output=True)
        self.state = ClusterState(secrets.token_urlsafe(24))
        (self.account_dir / "token").write_text(self.state.token)
        state = self.state

        class ApiHandler(Handler):
            def _secret(self) -> tuple[str, str] | None:
                match = _SECRET_PATH.match(self.path)
                return None if match is None else (match.group(1), match.group(2))

            def _refused(self) -> bool:
                if state.fail_with is not None:
                    self.reply(state.fail_with, _status(state.fail_with, "stand-in fault"))
                    return True
                if self.bearer() != state.token:
                    self.reply(401, _status(401, "Unauthorized"))
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802 - http.server's dispatch name
                with state.lock:
                    if self._refused():
                        return
                    where = self._secret()
                    data = None if where is None else state.secrets.get(where)
                    if where is None or data is None:
                        return self.reply(404, _status(404, "not found"))
                    return self.reply(200, {"kind": "Secret", "apiVersion": "v1",
                                            "metadata": {"namespace": where[0], "name": where[1]}, "data": data})

            def do_PATCH(self) -> None:  # noqa: N802 - http.server's dispatch name
                body = self.body()
                with state.lock:
                    if self._refused():
                        return
                    where = self._secret()
                    if where is None or where not in state.secrets:
                        name = "?" if where is None else where[1]
                        return self.reply(404, _status(404, f'secrets "{name}" not found'))
                    if self.headers.get("Content-Type") != "application/merge-patch+json":
                        return self.reply(415, _status(415, "unsupported media type"))
                    patch = cast(dict[str, Any], json.loads(body))
                    state.secrets[where].update(cast(dict[str, str], patch.get("data") or {}))
                    state.patches += 1
                    return self.reply(200, {"kind": "Secret", "metadata": {"namespace": where[0], "name": where[1]}})

        super().__init__(ApiHandler, cert=self.account_dir / "ca.crt", key=key)
