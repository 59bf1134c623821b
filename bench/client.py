"""mailtls.client against smtplib (verifying context) and aiosmtplib, on one local Postfix.

    .venv/bin/python bench/client.py [--messages 1000] [--reps 3]     # as root

Starts a private Postfix (tests/servers/postfix.py) on loopback with one STARTTLS listener
presenting the lab's "good" chain; mail from mynetworks is relayed to ``discard:``, so
the numbers are the SMTP sessions, not disk delivery. Every tool verifies the certificate
against the lab CA (TLS 1.2+, host name checked) and sends the same 2 KiB message:

    one connection      1 session, N messages, then QUIT
    10 connections      10 sessions at once, N/10 messages each

Each timing covers the whole session (connect, STARTTLS, verification, EHLO, messages,
QUIT). aiosmtplib runs from its own venv (bench/.peers/client: ``python3 -m venv
bench/.peers/client && bench/.peers/client/bin/pip install aiosmtplib``) in a child
process started before its timer; the tools alternate, repeated ``--reps`` times, median
reported. Markdown goes to stdout; copy it into bench/results-client.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mailtls.client import AsyncClient  # noqa: E402
from mailtls.lab.pki import build_lab_pki  # noqa: E402
from servers.ports import free_ports  # noqa: E402
from servers.postfix import Listener, PostfixInstance  # noqa: E402

PEER_PY = ROOT / "bench" / ".peers" / "client" / "bin" / "python"
HOST = "127.0.0.1"
SENDER, RCPT = "bench@localhost", "sink@bench.example"

AIOSMTPLIB = """
import asyncio, json, ssl, sys, time
import aiosmtplib
port, ca, conns, per, path = sys.argv[1:6]
data = open(path, "rb").read()
ctx = ssl.create_default_context(cafile=ca)

async def session(n):
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=int(port), start_tls=True,
                           tls_context=ctx, timeout=30)
    await smtp.connect()
    ok = 0
    for _ in range(n):
        errors, _ = await smtp.sendmail("bench@localhost", ["sink@bench.example"], data)
        ok += not errors
    await smtp.quit()
    return ok

async def main():
    sys.stdin.readline()                      # start signal: the timer runs from here
    t = time.perf_counter()
    oks = await asyncio.gather(*(session(int(per)) for _ in range(int(conns))))
    print(json.dumps({"seconds": time.perf_counter() - t, "ok": sum(oks)}))

asyncio.run(main())
"""


def message() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = SENDER, RCPT, "mailtls bench"
    msg.set_content(("The quick brown fox jumps over the lazy dog. " * 40 + "\n") * 1)
    return msg.as_bytes()


def run_mailtls(port: int, ca: Path, conns: int, per: int, data: bytes) -> tuple[float, int]:
    async def session() -> int:
        ok = 0
        async with AsyncClient(f"submission://{HOST}:{port}", ca_file=ca, timeout=30) as c:
            for _ in range(per):
                r = await c.send_message(data, sender=SENDER, recipients=[RCPT])
                ok += r.queue_id is not None
        return ok

    async def main() -> int:
        return sum(await asyncio.gather(*(session() for _ in range(conns))))

    t = time.perf_counter()
    ok = asyncio.run(main())
    return time.perf_counter() - t, ok


def run_smtplib(port: int, ca: Path, conns: int, per: int, data: bytes) -> tuple[float, int]:
    import smtplib

    ctx = ssl.create_default_context(cafile=str(ca))

    def session() -> int:
        ok = 0
        with smtplib.SMTP(HOST, port, timeout=30) as s:
            s.starttls(context=ctx)
            for _ in range(per):
                ok += not s.sendmail(SENDER, [RCPT], data)
        return ok

    t = time.perf_counter()
    with ThreadPoolExecutor(conns) as pool:
        ok = sum(pool.map(lambda _: session(), range(conns)))
    return time.perf_counter() - t, ok


def run_aiosmtplib(port: int, ca: Path, conns: int, per: int, data: bytes) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile(suffix=".eml") as f:
        f.write(data)
        f.flush()
        p = subprocess.Popen([str(PEER_PY), "-c", AIOSMTPLIB, str(port), str(ca), str(conns),
                              str(per), f.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        time.sleep(0.5)  # interpreter and imports, outside the timer
        out, _ = p.communicate("go\n", timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"aiosmtplib peer failed ({p.returncode})")
    d = json.loads(out)
    return float(d["seconds"]), int(d["ok"])


TOOLS: dict[str, Callable[[int, Path, int, int, bytes], tuple[float, int]]] = {
    "mailtls.client": run_mailtls,
    "smtplib + verifying context": run_smtplib,
    "aiosmtplib": run_aiosmtplib,
}


def versions() -> dict[str, str]:
    peer = subprocess.run([str(PEER_PY), "-c", "import aiosmtplib; print(aiosmtplib.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    pf = subprocess.run(["postconf", "-h", "mail_version"], capture_output=True, text=True)
    return {"python": platform.python_version(), "openssl": ssl.OPENSSL_VERSION,
            "aiosmtplib": peer, "postfix": pf.stdout.strip(),
            "cpu": _cpu(), "cores": str(os.cpu_count())}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    if not PEER_PY.exists():
        sys.exit(f"missing {PEER_PY}: python3 -m venv bench/.peers/client && "
                 "bench/.peers/client/bin/pip install aiosmtplib")
    tmp = Path(tempfile.mkdtemp(prefix="mailtls-bench-client-"))
    tmp.chmod(0o755)
    pki = build_lab_pki()
    ca = tmp / "ca.pem"
    ca.write_bytes(pki.ca_pem())
    cert, key = pki.situations["good"].issued.write(tmp, "good")
    [port] = free_ports(1)
    pf = PostfixInstance(
        [Listener("bench", port, cert, key, {"smtpd_relay_restrictions": "permit_mynetworks,reject",
                                               "smtpd_client_connection_count_limit": "0"})],
        main_cf={"default_transport": "discard:bench", "relay_transport": "discard:bench",
                 "in_flow_delay": "0", "smtpd_tls_loglevel": "0"})
    data = message()
    results: dict[tuple[str, int], list[float]] = {}
    try:
        pf.start()
        for conns in (1, 10):
            per = args.messages // conns
            for rep in range(args.reps):
                order = list(TOOLS) if rep % 2 == 0 else list(reversed(TOOLS))
                for name in order:
                    seconds, ok = TOOLS[name](port, ca, conns, per, data)
                    if ok != per * conns:
                        raise RuntimeError(f"{name}: {ok} of {per * conns} accepted")
                    results.setdefault((name, conns), []).append(seconds)
                    print(f"  {name:30} {conns:2} conn  {seconds:7.3f} s", file=sys.stderr)
        report(results, args.messages, args.reps, versions())
    finally:
        pf.cleanup()


def report(results: dict[tuple[str, int], list[float]], n: int, reps: int,
           info: dict[str, str]) -> None:
    print(f"# mailtls.client benchmark\n\n{n} messages (2 KiB) to a local Postfix "
          f"(discard transport), median of {reps} runs; each run is whole sessions "
          "(connect, STARTTLS, certificate verification, EHLO, messages, QUIT).\n")
    print(" | ".join(f"{k} {v}" for k, v in info.items()) + "\n")
    print("| tool | connections | median s | min s | messages/s | vs aiosmtplib |")
    print("|---|---:|---:|---:|---:|---:|")
    for conns in (1, 10):
        base = statistics.median(results[("aiosmtplib", conns)])
        for name in TOOLS:
            xs = results[(name, conns)]
            med = statistics.median(xs)
            print(f"| {name} | {conns} | {med:.3f} | {min(xs):.3f} | {n / med:,.0f} | "
                  f"{base / med:.2f}x |")


if __name__ == "__main__":
    main()
