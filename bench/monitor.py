"""One ``mailtls monitor run`` pass over 2,000 local endpoints, and its peers.

    .venv/bin/python bench/monitor.py [--endpoints 2000] [--labs 125] [--passes 2]
                                      [--peer-sample 200] [--profile FILE]

What runs:
- ``--labs`` built-in labs (``mailtls.lab``), each on its own loopback address
  (127.0.1.1 upwards; one lab CA for all), all in one helper process apart from the
  scanner, so the servers' TLS work does not share the scanner's interpreter (as real
  servers would not); with the default 125 labs, each address serves 16 endpoints (a
  fleet has many addresses: the scan engine's per-address limit of 2 is not the bottleneck);
- an inventory of ``--endpoints`` entries ``SCHEME://mxI.bench.test:PORT`` with ``resolve``
  to a lab address (every endpoint a distinct history series; the lab certificates are
  issued for "localhost", so most are name mismatches: the full verification still runs);
- ``mailtls monitor run`` as a child process, ``--passes`` times on one history (the first
  pass writes 2,000 observations and baselines, the next ones judge over history): wall
  time and the child's peak RSS (``wait4``);
- ``mailtls exporter --inventory`` over the same inventory: its first scheduled pass
  (``mailtls_exporter_last_pass_duration_seconds``) and ``/metrics`` scrape latency;
- ``check_ssl_cert``-style checking, one process per endpoint: ``openssl s_client``
  (with ``-starttls``) and ``mailtls check`` over a sample, 4 at a time (a Nagios with
  4 workers), extrapolated to ``--endpoints``;
- ``--profile FILE``: one pass in this process under cProfile (pstats written to FILE).

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MAILTLS = [PYTHON, "-m", "mailtls"]
STARTTLS = {"smtp": "smtp", "submission": "smtp", "imap": "imap", "pop3": "pop3"}


def serve_labs(count: int, directory: Path) -> None:
    """The helper process: ``count`` labs on 127.0.0.11.. until stdin closes."""
    sys.path.insert(0, str(ROOT / "src"))
    import mailtls.lab.servers as servers
    from mailtls.lab.run import quiet_exception_handler

    pki = servers.build_lab_pki()
    servers.build_lab_pki = lambda now=None: pki  # one CA for every address: cheaper to start

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(quiet_exception_handler)
        labs = [servers.Lab(directory / f"lab{i}", host=address(i)) for i in range(count)]
        for lab in labs:
            await lab.start()
        info = [{"ca": str(lab.ca_file),
                 "endpoints": [[e.scheme, e.host, e.port, e.situation] for e in lab.endpoints]}
                for lab in labs]
        (directory / "labs.json").write_text(json.dumps(info))
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for lab in labs:
            await lab.stop()

    asyncio.run(main())


def address(i: int) -> str:
    """The loopback address of lab ``i``: 127.0.1.0 upwards (no clash with 127.0.0.1)."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def start_labs(count: int, directory: Path) -> tuple[subprocess.Popen[bytes], list[dict]]:
    helper = subprocess.Popen([PYTHON, __file__, "--serve-labs", str(count), str(directory)],
                              stdin=subprocess.PIPE)
    info = directory / "labs.json"
    while not info.exists():
        if helper.poll() is not None:
            sys.exit("lab helper failed")
        time.sleep(0.1)
    time.sleep(0.2)
    return helper, json.loads(info.read_text())


def endpoints(labs: list[dict], count: int) -> list[tuple[str, str, int]]:
    """(scheme, address, port) of every lab endpoint that has TLS, round robin over labs."""
    pools = [[(s, h, p) for s, h, p, situation in lab["endpoints"] if situation != "none"]
             for lab in labs]
    out = []
    for i in range(count):
        pool = pools[i % len(pools)]
        out.append(pool[(i // len(pools)) % len(pool)])
    return out


def write_inventory(path: Path, labs: list[dict], count: int) -> list[tuple[str, str, int]]:
    cas = json.dumps(labs[0]["ca"])  # one CA for all labs (see serve_labs)
    lines = ["[scan]", "timeout = 10", "trust = \"none\"", "concurrency = 50", "",
             "[notify]", "stdout = false", ""]
    eps = endpoints(labs, count)
    for i, (scheme, address, port) in enumerate(eps):
        lines += ["[[endpoint]]", f'target = "{scheme}://mx{i}.bench.test:{port}"',
                  f'resolve = "{address}"', f"ca_file = [{cas}]", ""]
    path.write_text("\n".join(lines))
    return eps


def run_child(argv: list[str]) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in MB, exit status and stdout of one child."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, child.returncode, text


def monitor_passes(inventory: Path, passes: int) -> list[tuple[float, float, float, int, int]]:
    rows = []
    for _ in range(passes):
        argv = [*MAILTLS, "monitor", "run", "-i", str(inventory), "--json"]
        seconds, cpu, rss, status, text = run_child(argv)
        observed = len(json.loads(text)["results"]) if text.strip().startswith("{") else -1
        rows.append((seconds, cpu, rss, status, observed))
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric(text: str, name: str) -> float | None:
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


def exporter_run(inventory: Path, scrapes: int) -> dict[str, float]:
    port = free_port()
    child = subprocess.Popen([*MAILTLS, "exporter", "--inventory", str(inventory), "--listen",
                              f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        while True:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    text = reply.read().decode()
            except OSError:
                continue
            if (metric(text, "mailtls_exporter_passes") or 0) >= 1:
                break
        seconds, size = [], 0
        for _ in range(scrapes):
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=30) as reply:
                size = len(reply.read())
            seconds.append(time.perf_counter() - started)
        rss = metric(text, "process_resident_memory_bytes") or 0
        return {"pass": metric(text, "mailtls_exporter_last_pass_duration_seconds") or 0,
                "median": statistics.median(seconds), "worst": max(seconds),
                "size": size, "rss": rss / 2**20}
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(10)


def openssl_one(endpoint: tuple[str, str, int], ca: str) -> bool:
    scheme, address, port = endpoint
    argv = ["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", "localhost",
            "-CAfile", ca, "-verify_return_error", "-brief"]
    if scheme in STARTTLS:
        argv += ["-starttls", STARTTLS[scheme]]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return done.returncode == 0


def check_one(endpoint: tuple[str, str, int], ca: str) -> int:
    scheme, address, port = endpoint
    return subprocess.run([*MAILTLS, "check", f"{scheme}://localhost:{port}", "--resolve",
                           f"localhost:{port}:{address}", "--ca-file", ca, "-w", "30", "-c",
                           "14"], capture_output=True, timeout=60, cwd=ROOT).returncode


def peer(eps: list[tuple[str, str, int]], labs: list[dict], sample: int, one: object,
         workers: int = 4) -> float:
    """Seconds for ``sample`` endpoints, one process each, ``workers`` at a time."""
    picked = eps[:sample]
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda e: one(e, labs[0]["ca"]), picked))  # type: ignore[operator]
    return time.perf_counter() - started


def profile_pass(inventory: Path, out: Path) -> float:
    import cProfile

    sys.path.insert(0, str(ROOT / "src"))
    from mailtls.monitor import load_inventory, run_pass
    from mailtls.store import HistoryStore

    inv = load_inventory(inventory)
    store = HistoryStore.open(inv.history_url)
    profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
    started = time.perf_counter()
    profiler.enable()
    asyncio.run(run_pass(inv, store))
    profiler.disable()
    seconds = time.perf_counter() - started
    profiler.dump_stats(str(out))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=2000)
    parser.add_argument("--labs", type=int, default=125)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--peer-sample", type=int, default=200)
    parser.add_argument("--no-exporter", action="store_true")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mailtls-bench-monitor-"))
    helper, labs = start_labs(args.labs, work)
    try:
        inventory = work / "bench.toml"
        eps = write_inventory(inventory, labs, args.endpoints)
        if args.profile:
            print(f"profiled pass: {profile_pass(inventory, args.profile):.2f} s "
                  f"-> {args.profile}")
            return
        rows = monitor_passes(inventory, args.passes)
        exporter = None if args.no_exporter else exporter_run(work / "bench.toml",
                                                               args.scrapes)
        n = min(args.peer_sample, len(eps))
        ossl = peer(eps, labs, n, openssl_one) if shutil.which("openssl") and n else None
        chk = peer(eps, labs, max(1, n // 4), check_one) if n else None
    finally:
        helper.stdin.close()  # type: ignore[union-attr]
        helper.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    report(args, rows, exporter, ossl, chk)


def report(args: argparse.Namespace, rows: list[tuple[float, float, float, int, int]],
           exporter: dict[str, float] | None, ossl: float | None, chk: float | None) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from mailtls import __version__

    load = os.getloadavg()[0]
    print(f"mailtls {__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPUs, load average {load:.1f}\n")
    print(f"{args.endpoints} endpoints over {args.labs} lab addresses\n")
    print("| measure | value |\n|---|---|")
    for i, (seconds, cpu, rss, status, observed) in enumerate(rows, 1):
        print(f"| `monitor run` pass {i} ({observed} observations written, exit {status}) | "
              f"{seconds:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB |")
    if exporter:
        print(f"| exporter: first scheduled pass | {exporter['pass']:.1f} s "
              f"(RSS {exporter['rss']:.0f} MB) |")
        print(f"| exporter: /metrics ({exporter['size'] / 1024:.0f} KiB), median of "
              f"{args.scrapes} | {exporter['median'] * 1000:.1f} ms "
              f"(worst {exporter['worst'] * 1000:.1f} ms) |")
    n = min(args.peer_sample, args.endpoints)
    if ossl is not None:
        print(f"| `openssl s_client` per endpoint, 4 at a time: {n} endpoints | {ossl:.1f} s "
              f"(-> {ossl / n * args.endpoints:.0f} s for {args.endpoints}) |")
    if chk is not None:
        m = max(1, n // 4)
        print(f"| `mailtls check` per endpoint, 4 at a time: {m} endpoints | {chk:.1f} s "
              f"(-> {chk / m * args.endpoints:.0f} s for {args.endpoints}) |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-labs":
        serve_labs(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
