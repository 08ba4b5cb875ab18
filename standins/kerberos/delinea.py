"""A stand-in for the Delinea Secret Server REST API on 127.0.0.1 (not Delinea's software): the two
endpoints the ticket manager calls, with the answers it must handle.

Sources of each behaviour (public; nothing copied):
- ``POST {base}/oauth2/token`` with form fields ``username``, ``password``, ``grant_type=password``
  answering JSON ``access_token``, ``token_type``, ``expires_in``: the standalone Secret Server token
  URL and password grant in Automation Anywhere's Delinea integration guide,
  https://docs.automationanywhere.com/bundle/enterprise-v2019/page/cloud-integration-using-delinea-secret-server.html,
  and a curl example, https://gist.github.com/ksalman/569007b15f01cc725a18a27595266048; the JSON
  fields are those of an OAuth 2.0 token response, RFC 6749 section 5.1.
- Bad credentials: 401 here, configurable to 400 ``invalid_grant``, the OAuth 2.0 error response of
  RFC 6749 section 5.2 (the client must treat both as an authentication failure).
- ``GET {base}/api/v1/secrets/{id}/fields/{slug}`` with ``Authorization: Bearer`` answering the raw
  bytes of a file field: Delinea's Thycotic.SecretServer PowerShell module, Get-TssSecretAttachment,
  https://www.powershellgallery.com/packages/Thycotic.SecretServer/0.61.8/Content/functions%5Csecrets%5CGet-TssSecretAttachment.ps1
- 401 for a missing, unknown or expired bearer token: Delinea's Platform guide to calling Secret
  Server APIs with a bearer token, https://docs.delinea.com/online-help/platform-api/secret-server-apis-from-platform.htm,
  and RFC 6750 section 3.1 (``invalid_token``).
- 404 for an unknown secret id or field and 5xx for a server fault: HTTP semantics, RFC 9110
  sections 15.5.5 and 15.6.1; ``fail_with`` makes every request answer a chosen status.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from standins.kerberos.http import Handler, StandIn

_FIELD_PATH = re.compile(r"^/api/v1/secrets/(\d+)/fields/([\w-]+)$")


@dataclass
class VaultState:
    username: str
    password: str
    secrets: dict[int, dict[str, bytes]] = field(default_factory=dict[int, dict[str, bytes]])
    bad_credentials_status: int = 401
    token_lifetime_seconds: int = 1200
    fail_with: int | None = None
    """answer every request with this status (e.g. 500) while set"""
    tokens: set[str] = field(default_factory=set[str])
    token_requests: int = 0
    field_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()


class DelineaStandIn(StandIn):
    def __init__(self, username: str, password: str, address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.state = VaultState(username, password)
        state = self.state

        class VaultHandler(Handler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's dispatch name
                form = parse_qs(self.body().decode())
                with state.lock:
                    state.token_requests += 1
                    if state.fail_with is not None:
                        return self.reply(state.fail_with, {"message": "stand-in fault"})
                    if self.path != "/oauth2/token":
                        return self.reply(404, {"message": "no such endpoint"})
                    given = {name: values[0] for name, values in form.items()}
                    if (given.get("grant_type") != "password" or given.get("username") != state.username
                            or given.get("password") != state.password):
                        return self.reply(state.bad_credentials_status, {"error": "invalid_grant"})
                    token = secrets.token_urlsafe(24)
                    state.tokens.add(token)
                return self.reply(200, {"access_token": token, "token_type": "bearer",
                                        "expires_in": state.token_lifetime_seconds})

            def do_GET(self) -> None:  # noqa: N802 - http.server's dispatch name
                with state.lock:
                    state.field_requests += 1
                    if state.fail_with is not None:
                        return self.reply(state.fail_with, {"message": "stand-in fault"})
                    match = _FIELD_PATH.match(self.path)
                    if match is None:
                        return self.reply(404, {"message": "no such endpoint"})
                    if self.bearer() not in state.tokens:
                        return self.reply(401, {"message": "Authentication failed or token expired"})
                    value = state.secrets.get(int(match.group(1)), {}).get(match.group(2))
                if value is None:
                    return self.reply(404, {"message": "Secret or field not found"})
                return self.reply(200, value, "application/octet-stream")

        super().__init__(VaultHandler, address=address)
