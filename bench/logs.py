"""Throughput and peak memory of ``mailtls logs`` on a large generated log, against a
grep/awk pipeline computing the same verified / unverified / clear delivery counts, and
pygrok (a Logstash-free grok) when it is importable.

    .venv/bin/python bench/logs.py [--size-mb 1024] [--dir /tmp] [--pygrok-mb 50] [--keep]

The log is generated in --dir at run time (never committed) from the real lines of
tests/logs/data/ (Postfix 3.7 and Dovecot 2.3 logs written by the test lab), with varied
peers, times, process ids and queue ids; its expected counts are known from the generator
and every tool's answer is checked against them. Each tool runs as its own process, pinned
to one CPU (``taskset -c 0`` when available); peak memory is that process tree's maximum
resident set (``wait4``). Prints a Markdown report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TLS_OUT = ("{h} postfix/smtp[{pid}]: {trust} TLS connection established to {peer}: TLSv1.{v} "
           "with cipher {cipher} (256/256 bits) key-exchange X25519 server-signature ECDSA "
           "(prime256v1) server-digest SHA256")
SENT = ("{h} postfix/smtp[{pid}]: {qid}: to=<user{n}@{dom}>, relay={peer}, delay=0.14, "
        "delays=0.01/0.09/0.01/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {qid2})")
INBOUND = (
    "{h} postfix/smtpd[{pid}]: connect from {client}",
    "{h} postfix/smtpd[{pid}]: Anonymous TLS connection established from {client}: TLSv1.3 "
    "with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature "
    "ECDSA (prime256v1) server-digest SHA256",
    "{h} postfix/smtpd[{pid}]: {qid}: client={client}",
    "{h} postfix/cleanup[{pid2}]: {qid}: message-id=<{qid}.{n}@{dom}>",
    "{h} postfix/qmgr[77]: {qid}: from=<sender{n}@{dom}>, size=3201, nrcpt=1 (queue active)",
    "{h} postfix/smtpd[{pid}]: disconnect from {client} ehlo=2 starttls=1 mail=1 rcpt=1 "
    "data=1 quit=1 commands=7",
    "{h} postfix/qmgr[77]: {qid}: removed",
)
DOVECOT = ("{h} dovecot: imap-login: Login: user=<user{n}>, method=PLAIN, rip={ip}, "
           "lip=192.0.2.1, mpid={pid}, TLS, session=<Q4ieVqJhLpB/AAAB>")

AWK = r"""
/ TLS connection established to / {
  pid = $5; sub(/^.*\[/, "", pid); sub(/\]:$/, "", pid)
  pid = $4 " " pid; peer = $11; sub(/:$/, "", peer); trust[pid] = $6; tpeer[pid] = peer; next }
/ status=sent / && / relay=[^,]*\[/ {
  pid = $5; sub(/^.*\[/, "", pid); sub(/\]:$/, "", pid)
  pid = $4 " " pid; relay = $0; sub(/^.* relay=/, "", relay); sub(/,.*$/, "", relay)
  if ((pid in tpeer) && tpeer[pid] == relay) {
    if (trust[pid] == "Verified") v++; else u++ } else c++ }
END { printf "{\"verified\": %d, \"unverified\": %d, \"clear\": %d}\n", v, u, c }
"""


def _qid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(11))


def _stamp(t: float) -> str:
    tm = time.gmtime(t)
    return (f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}")


def generate(path: Path, size: int, seed: int = 12) -> Counter[str]:
    """Write about ``size`` bytes of log; returns the expected outbound counts."""
    rng = random.Random(seed)
    peers = [f"mx{i}.example{i % 97}.net[198.51.{i % 250}.{i % 200 + 1}]:25" for i in range(5000)]
    clients = [f"client{i}.example.org[203.0.{i % 250}.{i % 190 + 2}]" for i in range(5000)]
    trusts = ("Verified", "Verified", "Untrusted", "Trusted", "Anonymous")
    expected: Counter[str] = Counter()
    t = time.time() - 300 * 86400
    written = 0
    with path.open("w") as fh:
        while written < size:
            block = []
            for _ in range(2000):
                t += rng.random() * 0.02
                h = f"{_stamp(t)} mail{rng.randrange(4)}"
                pid, n = rng.randrange(1000, 99999), rng.randrange(10**6)
                peer = rng.choice(peers)
                kind = rng.random()
                if kind < 0.45:
                    trust = rng.choice(trusts)
                    block.append(TLS_OUT.format(h=h, pid=pid, trust=trust, peer=peer,
                                                v=rng.choice("23"),
                                                cipher="TLS_AES_256_GCM_SHA384"))
                    for _ in range(rng.randrange(1, 3)):
                        block.append(SENT.format(h=h, pid=pid, qid=_qid(rng), n=n, dom="d.test",
                                                 peer=peer, qid2=_qid(rng)))
                        expected["verified" if trust == "Verified" else "unverified"] += 1
                elif kind < 0.55:
                    block.append(SENT.format(h=h, pid=pid, qid=_qid(rng), n=n, dom="d.test",
                                             peer=peer, qid2=_qid(rng)))
                    expected["clear"] += 1
                elif kind < 0.95:
                    client, qid = rng.choice(clients), _qid(rng)
                    block += [x.format(h=h, pid=pid, pid2=pid + 1, client=client, qid=qid, n=n,
                                       dom="d.test") for x in INBOUND]
                else:
                    ip = rng.choice(clients).partition("[")[2][:-1]
                    block.append(DOVECOT.format(h=h, n=n, ip=ip, pid=pid))
            text = "\n".join(block) + "\n"
            fh.write(text)
            written += len(text)
    return expected


def _pin() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


CPU: list[float] = []  # CPU seconds (user + system) of each measure(), in order


def measure(argv: list[str], stdout: int | None = subprocess.PIPE) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS (KiB) of the process tree, stdout; CPU seconds in CPU."""
    start = time.perf_counter()
    before = os.times()
    proc = subprocess.Popen([*_pin(), *argv], stdout=stdout, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, _, usage = os.wait4(proc.pid, 0)
    after = os.times()  # the child and what it waited for (grep and awk under sh)
    CPU.append(after.children_user - before.children_user
               + after.children_system - before.children_system)
    return time.perf_counter() - start, usage.ru_maxrss, out


def run_mailtls(path: Path) -> tuple[float, int, dict[str, int]]:
    wall, rss, out = measure([sys.executable, "-m", "mailtls", "logs", "--json", str(path)])
    return wall, rss, json.loads(out)["totals"]["mail"]["outbound"]


REFERENCE = ("import json, sys; from mailtls.logs.stream import read_all; "
             "print(json.dumps(read_all(sys.argv[1:], reference=True).summary.totals()"
             "['mail']['outbound']))")


def run_reference(path: Path) -> tuple[float, int, dict[str, int]]:
    """The line-by-line loop (the one before the block loop), summary only, no output."""
    wall, rss, out = measure([sys.executable, "-c", REFERENCE, str(path)])
    return wall, rss, json.loads(out)


def run_pipeline(path: Path) -> tuple[float, int, dict[str, int]]:
    script = (f"LC_ALL=C grep -E ' TLS connection established to | status=sent ' {path} "
              f"| LC_ALL=C awk '{AWK}'")
    wall, rss, out = measure(["sh", "-c", script])
    return wall, rss, json.loads(out)


PYGROK = r"""
import json, sys
from pygrok import Grok
tls = Grok(r"%{SYSLOGTIMESTAMP} %{HOSTNAME:host} postfix/smtp\[%{INT:pid}\]: %{WORD:trust} TLS "
           r"connection established to %{DATA:peer}: %{GREEDYDATA}")
sent = Grok(r"%{SYSLOGTIMESTAMP} %{HOSTNAME:host} postfix/smtp\[%{INT:pid}\]: %{WORD:qid}: "
            r"to=<%{DATA}>, relay=%{DATA:relay}, %{GREEDYDATA}status=sent %{GREEDYDATA}")
state, counts = {}, {"verified": 0, "unverified": 0, "clear": 0}
with open(sys.argv[1], errors="replace") as fh:
    for line in fh:
        m = tls.match(line)
        if m:
            state[m["host"], m["pid"]] = (m["trust"], m["peer"]); continue
        m = sent.match(line)
        if m and "[" in m["relay"]:
            t = state.get((m["host"], m["pid"]))
            if t and t[1] == m["relay"]:
                counts["verified" if t[0] == "Verified" else "unverified"] += 1
            else:
                counts["clear"] += 1
print(json.dumps(counts))
"""


def run_pygrok(python: str, path: Path) -> tuple[float, int, dict[str, int]]:
    wall, rss, out = measure([python, "-c", PYGROK, str(path)])
    return wall, rss, json.loads(out)


def head(path: Path, target: Path, size: int) -> Counter[str] | None:
    """The first ``size`` bytes of ``path`` (whole lines) in ``target``."""
    with path.open("rb") as src, target.open("wb") as dst:
        dst.write(src.read(size))
        dst.write(src.readline())
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--pygrok-mb", type=int, default=50)
    ap.add_argument("--pygrok-python", default="/tmp/mailtls-bench-pygrok/bin/python")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    big = Path(args.dir) / "mailtls-bench-logs.log"
    small = Path(args.dir) / "mailtls-bench-logs-small.log"
    started = time.perf_counter()
    expected = generate(big, args.size_mb << 20)
    gen = time.perf_counter() - started
    size = big.stat().st_size
    rows = []
    try:
        wall, rss, got = run_mailtls(big)
        rows.append(("mailtls logs", size, wall, rss, got == dict(expected)))
        wall, rss, got = run_pipeline(big)
        rows.append(("grep -E | awk", size, wall, rss, got == dict(expected)))
        small_size = min(size, 100 << 20)
        head(big, small, small_size)
        small_expected = json.loads(measure(["sh", "-c", f"LC_ALL=C grep -E ' TLS connection "
                                             f"established to | status=sent ' {small} | "
                                             f"LC_ALL=C awk '{AWK}'"])[2])
        CPU.pop()
        wall, rss, got = run_mailtls(small)
        rows.append(("mailtls logs (first 100 MB)", small.stat().st_size, wall, rss,
                     got == small_expected))
        wall, rss, got = run_reference(small)
        rows.append(("line-by-line reference loop (first 100 MB)", small.stat().st_size, wall,
                     rss, got == small_expected))
        if Path(args.pygrok_python).exists():
            head(big, small, args.pygrok_mb << 20)
            mail = run_mailtls(small)[2]
            CPU.pop()
            wall, rss, got = run_pygrok(args.pygrok_python, small)
            rows.append((f"pygrok (first {args.pygrok_mb} MB)", small.stat().st_size, wall,
                         rss, got == mail))
    finally:
        if not args.keep:
            big.unlink(missing_ok=True)
            small.unlink(missing_ok=True)
    _report(rows, expected, gen, size)


def _report(rows: list[tuple[str, int, float, int, bool]], expected: Counter[str],
            gen: float, size: int) -> None:
    print(f"Generated {size / 2**20:.0f} MiB in {gen:.1f} s; expected outbound counts "
          f"{dict(expected)}")
    print(f"Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, pinned: {bool(_pin())}\n")
    print(f"load average after the runs: {os.getloadavg()}")
    print("| tool | input MiB | wall s | MB/s (wall) | CPU s | MB/s (CPU) | peak RSS MiB "
          "| counts right |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, n, wall, rss, ok), cpu in zip(rows, CPU, strict=False):
        print(f"| {name} | {n / 2**20:.0f} | {wall:.2f} | {n / 1e6 / wall:.1f} | {cpu:.2f} | "
              f"{n / 1e6 / cpu:.1f} | {rss / 1024:.0f} | {'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    main()
