"""``python -m kerberos_manager``: load settings, serve health and metrics, renew until SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from functools import partial
from types import FrameType

from kerberos_manager import cycle, health, kerberos, logs
from kerberos_manager.delinea import VaultClient
from kerberos_manager.kubernetes import SecretWriter
from kerberos_manager.scheduler import Renewer
from kerberos_manager.settings import SettingsError, load
from kerberos_manager.status import Board


def main() -> int:
    logs.configure()
    try:
        settings = load(os.environ)
        writer = SecretWriter.in_cluster(os.environ)
    except (SettingsError, ValueError) as error:
        logs.log(logging.ERROR, "cannot start", error=str(error))
        return 2
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    kerberos.remove_leftovers(settings.work_dir)
    vault = VaultClient(settings.vault_url, settings.username, settings.password, settings.keytab_field)
    board = Board([tenant.tenant for tenant in settings.tenants], settings.renew_interval_seconds)
    renew = partial(cycle.renew, vault=vault, writer=writer, lifetime_seconds=settings.ticket_lifetime_seconds,
                    work_dir=settings.work_dir)
    renewer = Renewer(settings.tenants, renew, board, interval=settings.renew_interval_seconds,
                      jitter=settings.jitter_fraction, retry_base=settings.retry_base_seconds,
                      retry_max=settings.retry_max_seconds, concurrency=settings.concurrency)
    server = health.serve(board, lambda: renewer.heartbeat, settings.health_port)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logs.log(logging.INFO, "stopping", signal=signal.Signals(signum).name)
        stop.set()
        renewer.wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logs.log(logging.INFO, "started", tenants=len(settings.tenants), port=server.server_address[1],
             renewIntervalSeconds=settings.renew_interval_seconds,
             ticketLifetimeSeconds=settings.ticket_lifetime_seconds)
    renewer.run(stop)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
