"""The HTTP endpoints the Deployment probes: /healthz (the renewal loop is alive), /readyz (every
tenant holds a fresh ticket; the body says which do not and why) and /metrics (Prometheus)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kerberos_manager.status import Board

# A loop that has not ticked for this long is stuck (it ticks every few seconds).
_STALE_SECONDS = 60.0


def serve(board: Board, heartbeat: Callable[[], float], port: int, host: str = "") -> ThreadingHTTPServer:
    """Start serving on a daemon thread; ``server.server_address`` has the port (0 picks one)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            if self.path == "/healthz":
                alive = time.monotonic() - heartbeat() < _STALE_SECONDS
                self._send(200 if alive else 503, "text/plain", b"ok\n" if alive else b"renewal loop stalled\n")
            elif self.path == "/readyz":
                ready, tenants = board.readiness()
                body = json.dumps({"ready": ready, "tenants": tenants}, indent=1).encode()
                self._send(200 if ready else 503, "application/json", body)
            elif self.path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(board.registry))
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # probes come every few seconds: no access log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
