"""The plumbing both HTTP stand-ins share: a threaded server (on 127.0.0.1 unless told another address)
and JSON/bytes replies."""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer


class Handler(BaseHTTPRequestHandler):
    def reply(self, code: int, body: bytes | object, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def bearer(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        return header.removeprefix("Bearer ") if header.startswith("Bearer ") else None

    def log_message(self, format: str, *args: object) -> None:  # the tests assert on state, not on logs
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer looks its own name up (a reverse DNS query) here; the stand-ins need no name.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class StandIn:
    """Serves ``handler`` on ``address`` (TLS when ``cert`` and ``key`` are given) until ``close()``."""

    def __init__(self, handler: type[Handler], cert: Path | None = None, key: Path | None = None,
                 address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self._server = _Server(address, handler)
        scheme = "http"
        if cert is not None and key is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.port = int(self._server.server_address[1])
        self.url = f"{scheme}://{address[0]}:{self.port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
