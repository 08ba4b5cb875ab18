"""Time to first ticket and memory of the real service process against a local KDC.

    .venv/bin/python -m benchmarks.ticket_manager --tenants 3 100

For each size: a fresh realm with one principal per tenant, the vault and Kubernetes stand-ins,
then ``python -m kerberos_manager`` started; it reports the time from start until the first cache
Secret is written and until /readyz says every tenant holds a ticket, and the process's peak
resident memory (VmHWM) at that point and after a renewal round.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from standins.kerberos.realm import free_port
from standins.kerberos.world import World, wait_for


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def measure(tenants: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as directory:
        # A 5 s interval: the second round (renewals) is measured too.
        world = World(Path(directory), tenants, renew_interval=5, lifetime=3600)
        port = free_port()
        env = {**world.service_env(port), "CONCURRENCY": str(concurrency)}
        try:
            started = time.monotonic()
            process = subprocess.Popen(world.service_command(), env=env, stdout=subprocess.DEVNULL)
            while world.cluster.state.patches == 0:
                if process.poll() is not None or time.monotonic() - started > 120:
                    raise RuntimeError("the service wrote no cache")
                time.sleep(0.005)
            first = time.monotonic() - started
            all_ready = wait_for(f"http://127.0.0.1:{port}/readyz", 200, timeout=600, interval=0.01) - started
            rss_ready = _peak_rss_mib(process.pid)
            while world.cluster.state.patches < 2 * tenants:
                time.sleep(0.05)
            rss_renewed = _peak_rss_mib(process.pid)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        finally:
            world.close()
    return {"first": first, "all": all_ready, "rss_ready": rss_ready, "rss_renewed": rss_renewed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, nargs="+", default=[3, 100])
    parser.add_argument("--concurrency", type=int, default=4, help="the service's CONCURRENCY (default 4)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for tenants in args.tenants:
        for run in range(1, args.runs + 1):
            result = measure(tenants, args.concurrency)
            print(f"{tenants} tenants (run {run}, concurrency {args.concurrency}): first ticket written "
                  f"{result['first']:.2f} s after start, every tenant ready {result['all']:.2f} s; "
                  f"peak RSS {result['rss_ready']:.1f} MiB when ready, {result['rss_renewed']:.1f} MiB "
                  "after a renewal round", flush=True)


if __name__ == "__main__":
    main()
