"""The fleet against simulated endpoints: one process (the asyncio engine, and the fleet
without a broker) vs. two worker processes on Redis.

    .venv/bin/python bench/fleet.py [--addresses 250] [--snis 8] [--delay 0.05]   # as root

The simulated endpoints: a tiny SMTP server (``serve`` below, in a child process) listens
on port 2525 of ``--addresses`` loopback addresses 127.77.X.Y; it waits ``--delay`` before
each reply (greeting, EHLO, STARTTLS, EHLO, QUIT) and does real TLS with the lab's "good"
certificate. Each address is scanned under ``--snis`` names, so the endpoints are
addresses x SNIs, as an MX address serving many domains is.

Runs, each on the same endpoints:

    engine      mailtls.scan.run_scan, per_address=1, concurrency --concurrency, targets in
                address order (an address's SNIs one after another)
    engine-interleaved  the same, targets sorted by SNI first (addresses interleaved)
    fleet-1     mailtls fleet enqueue without --broker (stub broker, one process)
    fleet-redis mailtls fleet enqueue --broker redis://... and two `fleet worker` processes;
                with --kill, one worker is SIGKILLed at a third and a new one started

Every fleet run checks its politeness log (no address with two connections at once, none
over ``--rate``) and its results (exactly one per endpoint: none lost, none twice).
Markdown goes to stdout; copy it into bench/results-fleet.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mailtls.fleet.plan import Plan  # noqa: E402
from mailtls.fleet.polite import Politeness, check_log, lock_ttl  # noqa: E402
from mailtls.fleet.queue import enqueue, make_fleet, run_local  # noqa: E402
from mailtls.fleet.storage import DirStorage  # noqa: E402
from mailtls.fleet.worker import Settings  # noqa: E402
from mailtls.lab.pki import build_lab_pki  # noqa: E402
from mailtls.model import Target  # noqa: E402
from mailtls.scan import ScanOptions, run_scan  # noqa: E402
from mailtls.verify import TrustStore  # noqa: E402
from servers.ports import free_ports  # noqa: E402

PORT = 2525
MAILTLS = [sys.executable, "-m", "mailtls", "fleet"]


def address(i: int) -> str:
    return f"127.77.{i // 250}.{i % 250 + 1}"


# --- the simulated endpoints (child process) -------------------------------------------


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   ctx: ssl.SSLContext, delay: float) -> None:  # fmt: skip
    async def reply(*lines: str) -> None:
        await asyncio.sleep(delay)
        writer.write("".join(lines).encode())
        await writer.drain()

    tls = False
    try:
        await reply("220 sim.example ESMTP\r\n")
        while line := await asyncio.wait_for(reader.readline(), 30):
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250-sim.example\r\n", "" if tls else "250-STARTTLS\r\n",
                            "250 8BITMIME\r\n")  # fmt: skip
            elif verb == "STARTTLS" and not tls:
                await reply("220 2.0.0 Ready to start TLS\r\n")
                await writer.start_tls(ctx)
                tls = True
            elif verb == "QUIT":
                await reply("221 2.0.0 Bye\r\n")
                break
            else:
                await reply("250 2.0.0 OK\r\n")
    except (OSError, TimeoutError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def _serve(count: int, cert: str, key: str, delay: float) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    servers = [await asyncio.start_server(
        lambda r, w: _session(r, w, ctx, delay), address(i), PORT, backlog=64)
        for i in range(count)]  # fmt: skip
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


# --- the runs -----------------------------------------------------------------------------


def plan_targets(addresses: int, snis: int) -> list[Target]:
    return [Target("smtp", f"s{j}.localhost", PORT, address(i))
            for i in range(addresses) for j in range(snis)]  # fmt: skip


def settings(work: Path, tag: str, args: argparse.Namespace, ca: Path) -> Settings:
    polite = Politeness(rate=args.rate, window=60, per_address=1, lock_ttl=lock_ttl(10))
    return Settings(str(work / f"results-{tag}"), "none", (str(ca),), timeout=10,
                    polite=polite, log=str(work / f"polite-{tag}.log"))  # fmt: skip


def run_engine(targets: list[Target], ca: Path, concurrency: int, shuffle: bool) -> float:
    options = ScanOptions(store=TrustStore.build("none", [ca]), timeout=10,
                          concurrency=concurrency, per_address=1)  # fmt: skip
    if shuffle:  # addresses interleaved, as the fleet's seeded order does
        targets = sorted(targets, key=lambda t: (t.host, t.address or ""))
    t0 = time.perf_counter()
    results = run_scan(targets, options)
    elapsed = time.perf_counter() - t0
    assert len(results) == len(targets)
    return elapsed


def make_plan(tag: str, targets: list[Target]) -> Plan:
    plan = Plan(tag)
    for t in targets:
        plan.add(t)
    return plan


def run_fleet_local(targets: list[Target], s: Settings, threads: int, batch: int) -> float:
    fleet = make_fleet(None)
    store = DirStorage(Path(s.results))
    plan = make_plan("local", targets)
    t0 = time.perf_counter()
    run_local(fleet, lambda: enqueue(fleet, plan, store, s, seed=1, batch=batch), threads)
    return time.perf_counter() - t0


def _worker(redis_url: str, threads: int, work: Path, n: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*MAILTLS, "worker", "--broker", redis_url, "--threads",
                             str(threads), "--heartbeat", "10"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=(work / f"w{n}.err").open("wb"))


def run_fleet_redis(targets: list[Target], s: Settings, args: argparse.Namespace,
                    redis_url: str, work: Path) -> tuple[float, str]:  # fmt: skip
    workers = [_worker(redis_url, args.threads, work, i) for i in range(2)]
    fleet = make_fleet(redis_url)
    store = DirStorage(Path(s.results))
    plan = make_plan("redis", targets)
    killed = ""
    time.sleep(3)  # the workers' start-up (imports) is not the queue's cost
    t0 = time.perf_counter()
    try:
        enqueue(fleet, plan, store, s, seed=1, batch=args.batch)
        while (done := len(store.done_keys("redis"))) < len(targets):
            if args.kill and not killed and done >= len(targets) // 3:
                os.kill(workers[0].pid, signal.SIGKILL)
                workers[0].wait()
                workers.append(_worker(redis_url, args.threads, work, 2))
                killed = f"worker {workers[0].pid} killed at {done} done; a new one started"
            if time.perf_counter() - t0 > args.limit:
                raise SystemExit(f"fleet-redis: {done} of {len(targets)} after {args.limit} s")
            time.sleep(1)
        return time.perf_counter() - t0, killed
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(60)


def audit(s: Settings, tag: str, targets: list[Target], rate: int) -> tuple[int, int, int]:
    """(violations, results, distinct keys) from the log and the stored results."""
    violations = check_log(Path(s.log or ""), rate=rate, window=60)
    for v in violations[:5]:
        print(f"  {tag}: {v}", file=sys.stderr)
    keys = [k for k, _ in DirStorage(Path(s.results)).results(tag)]
    expected = {(t.address or "", t.port, t.host) for t in targets}
    assert set(keys) <= expected
    return len(violations), len(keys), len(set(keys) & expected)


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_ports(1)[0]
    binary = shutil.which("redis-server") or "redis-server"
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(1)
    return proc, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--addresses", type=int, default=250)
    ap.add_argument("--snis", type=int, default=8)
    ap.add_argument("--delay", type=float, default=0.05)
    ap.add_argument("--rate", type=int, default=6000, help="connections/min per address")
    ap.add_argument("--concurrency", type=int, default=128)
    ap.add_argument("--threads", type=int, default=64, help="per worker process")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--kill", action="store_true")
    ap.add_argument("--limit", type=float, default=3600)
    ap.add_argument("--only", default="engine,fleet-1,fleet-redis")
    ap.add_argument("serve", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        _, count, cert, key = args.serve
        asyncio.run(_serve(int(count), cert, key, args.delay))
        return
    work = Path(tempfile.mkdtemp(prefix="mailtls-bench-fleet-"))
    pki = build_lab_pki()
    cert, key = pki.situations["good"].issued.write(work, "good")
    ca = work / "ca.pem"
    ca.write_bytes(pki.ca_pem())
    server = subprocess.Popen([sys.executable, __file__, "--delay", str(args.delay), "serve",
                               str(args.addresses), str(cert), str(key)],
                              stdout=subprocess.PIPE, stderr=(work / "server.err").open("wb"))
    assert server.stdout is not None and server.stdout.readline().strip() == b"ready"
    redis_proc, redis_url = start_redis(work)
    targets = plan_targets(args.addresses, args.snis)
    n = len(targets)
    rows: list[str] = []
    try:
        for run in args.only.split(","):
            note = ""
            if run in ("engine", "engine-interleaved"):
                interleave = run == "engine-interleaved"
                elapsed, audited = run_engine(targets, ca, args.concurrency, interleave), None
            elif run == "fleet-1":
                s = settings(work, "local", args, ca)
                elapsed = run_fleet_local(targets, s, args.threads, args.batch)
                audited = audit(s, "local", targets, args.rate)
            else:
                s = settings(work, "redis", args, ca)
                elapsed, note = run_fleet_redis(targets, s, args, redis_url, work)
                audited = audit(s, "redis", targets, args.rate)
            v, got, distinct = audited if audited else ("-", n, n)
            rows.append(f"| {run} | {n} | {elapsed:.1f} | {n / elapsed * 60:,.0f} | {v} | "
                        f"{n - distinct} | {got - distinct} | {note} |")  # fmt: skip
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        server.terminate()
        redis_proc.terminate()
    print(f"{args.addresses} addresses x {args.snis} SNIs = {n} endpoints, {args.delay * 1000:.0f}"
          f" ms per reply, rate {args.rate}/min and 1 at a time per address, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")
    print("| run | endpoints | seconds | endpoints/min | politeness violations | lost | "
          "duplicated | note |\n|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
