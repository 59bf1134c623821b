"""Scrape latency of ``mailtls exporter`` at 2,000 endpoints (target: under 1 s).

    .venv/bin/python bench/exporter.py [--endpoints 2000] [--scrapes 20]

The built-in lab serves its endpoints on loopback; 2,000 distinct targets are made from
them with names ``mxN.bench.test`` forced to 127.0.0.1 (as --resolve does), so every
target is a real TLS handshake with a real certificate (most of them a name mismatch,
which still gives every certificate metric). The exporter's own pieces run as
``mailtls exporter`` runs them (scan loop, scheduled pass, the threaded WSGI server), and
the scrapes are real HTTP requests on loopback. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path
from wsgiref.simple_server import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mailtls import __version__
from mailtls.cli.exporter import _Quiet, _Server
from mailtls.cli.exporter_app import (
    Allow,
    App,
    ChangeMemory,
    Limits,
    ScanLoop,
    Schedule,
)
from mailtls.lab.run import LabThread
from mailtls.model import Target
from mailtls.scan import ScanOptions
from mailtls.verify import TrustStore


def targets(lab_endpoints: list[tuple[str, int]], count: int) -> list[Target]:
    out = []
    for i in range(count):
        scheme, port = lab_endpoints[i % len(lab_endpoints)]
        out.append(Target(scheme, f"mx{i}.bench.test", port, "127.0.0.1"))
    return out


def timed_get(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as reply:
        size = len(reply.read())
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=2000)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    with LabThread(Path(tempfile.mkdtemp(prefix="mailtls-bench-"))) as lab:
        eps = [(e.scheme, e.port) for e in lab.endpoints]
        options = ScanOptions(store=TrustStore.build("none", [lab.ca_file]), timeout=30,
                              concurrency=100, per_address=100)
        loop = ScanLoop(options, ChangeMemory())
        passes: list[str] = []
        schedule = Schedule(loop, targets(eps, args.endpoints), 3600, passes.append)
        app = App(loop, Allow(("*.bench.test",)), Limits(timeout=30, max_targets=100), schedule)
        server = make_server("127.0.0.1", 0, app, _Server, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        started = time.perf_counter()
        schedule.start()
        while schedule.passes == 0:
            time.sleep(0.05)
        pass_seconds = time.perf_counter() - started
        scrapes = [timed_get(base + "/metrics") for _ in range(args.scrapes)]
        seconds = sorted(s for s, _ in scrapes)
        one = [timed_get(f"{base}/probe?target=smtp://mx1.bench.test:{eps[0][1]}")[0]
               for _ in range(args.scrapes)]
        many = "&".join(f"target={t.url}" for t in targets(eps, 50))
        fifty = [timed_get(f"{base}/probe?{many}")[0] for _ in range(5)]
        server.shutdown()
        schedule.stop()
        loop.stop()
    print(f"mailtls {__version__}, prometheus-client {version('prometheus-client')}, "
          f"Python {platform.python_version()}, {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPUs\n")
    print("| measure | value |\n|---|---|")
    print(f"| endpoints | {args.endpoints} |")
    print(f"| scheduled pass (scan of every endpoint) | {pass_seconds:.2f} s |")
    print(f"| /metrics size | {scrapes[0][1] / 1024:.0f} KiB |")
    median = statistics.median(seconds) * 1000
    print(f"| /metrics scrape, median of {args.scrapes} | {median:.1f} ms |")
    print(f"| /metrics scrape, worst of {args.scrapes} | {seconds[-1] * 1000:.1f} ms |")
    print(f"| /probe 1 target, median of {args.scrapes} | {statistics.median(one) * 1000:.1f} ms |")
    print(f"| /probe 50 targets, median of 5 | {statistics.median(fifty) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
