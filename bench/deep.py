"""mailtls scan --deep against sslyze (all TLS checks) and testssl.sh (matching checks).

Starts the truth listeners of tests/deep/truth/listeners.py (private Postfix and Dovecot on
127.0.0.1, as root), puts a counting TCP proxy on loopback in front of each one, and runs,
in one go and one tool at a time, each tool against each listener as a user would (a
subprocess, interpreter start-up included). Prints per listener and tool: wall time, TCP
connections (counted by the proxy; Postfix's own ``connect from`` lines as a cross-check)
and the number of accepted cipher suites each tool reported, then the totals and ratios.
The markdown goes to stdout and to bench/results/deep-latest.md; bench/results-deep.md
holds a copy with commentary.

    .venv/bin/python bench/deep.py [--reps 1] [--only LISTENER ...] [--tools mailtls sslyze testssl]

mailtls runs only when ``mailtls scan --help`` shows ``--deep``; until then the table says
so and the peers are measured alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "tests" / "deep")]

from run import MAILTLS, SSLYZE_PY, bench_env, machine  # noqa: E402
from truth.listeners import BY_NAME, LISTENERS, TruthLab, truth_lab  # noqa: E402
from truth.testssl import load as load_testssl  # noqa: E402

from mailtls.policy.base import suite_for  # noqa: E402
from mailtls.proto.tls.registry import by_name  # noqa: E402


def _truth_tool() -> Any:
    """tools/truth.py (its name clashes with the tests' truth package)."""
    spec = importlib.util.spec_from_file_location("truth_tool", ROOT / "tools" / "truth.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TRUTH_TOOL = _truth_tool()

TESTSSL_CHECKS = ("-p", "-E", "-P", "-f", "-S", "-H", "-I", "-R", "-C", "-Z")
SSLYZE_CHECKS = ("--certinfo", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2",
                 "--tlsv1_3", "--elliptic_curves", "--ems", "--reneg", "--resum",
                 "--fallback", "--heartbleed", "--openssl_ccs", "--compression", "--robot",
                 "--early_data", "--mozilla_config", "disable")
SSLYZE_PROTOCOLS = {"ssl_2_0_cipher_suites": "SSLv2", "ssl_3_0_cipher_suites": "SSLv3",
                    "tls_1_0_cipher_suites": "TLSv1", "tls_1_1_cipher_suites": "TLSv1.1",
                    "tls_1_2_cipher_suites": "TLSv1.2", "tls_1_3_cipher_suites": "TLSv1.3"}


class CountingProxy:
    """A TCP proxy on 127.0.0.1 that counts the connections it accepts, in its own thread."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.count = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.count += 1
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


@dataclass
class Run:
    tool: str
    listener: str
    walls: list[float] = field(default_factory=list)
    conns: list[int] = field(default_factory=list)
    logged: list[int] = field(default_factory=list)  # Postfix "connect from" lines
    reported: list[int] = field(default_factory=list)  # mailtls's own connections_used
    suites: dict[str, set[int]] | None = None
    error: str | None = None


def mailtls_ready() -> bool:
    out = subprocess.run([str(MAILTLS), "scan", "--help"], capture_output=True, text=True,
                         check=False).stdout
    return "--deep" in out


def command(tool: str, name: str, port: int, out: Path) -> list[str]:
    listener = BY_NAME[name]
    if tool == "mailtls":
        return [str(MAILTLS), "scan", "--deep", "--json", "--timeout", "60",
                "--resolve", f"localhost:{port}:127.0.0.1", f"{listener.scheme}://localhost:{port}"]
    if tool == "sslyze":
        return [str(SSLYZE_PY), "-m", "sslyze", "--quiet", "--json_out", str(out),
                "--starttls", listener.starttls, *SSLYZE_CHECKS, f"localhost:{port}{{127.0.0.1}}"]
    return list(TRUTH_TOOL.testssl_command(TRUTH_TOOL.testssl_binary(), listener.starttls, port,
                                           out, TESTSSL_CHECKS))


def suites_of(tool: str, out: Path, stdout: str) -> dict[str, set[int]]:
    """Protocol -> accepted cipher suites, as the tool reported them."""
    if tool == "testssl":
        return {p: set(c) for p, c in load_testssl(out).suites.items()}
    if tool == "sslyze":
        (server,) = json.loads(out.read_text())["server_scan_results"]
        found: dict[str, set[int]] = {}
        for key, protocol in SSLYZE_PROTOCOLS.items():
            result = (server.get("scan_result") or {}).get(key, {}).get("result") or {}
            names = [a["cipher_suite"]["name"] for a in result.get("accepted_cipher_suites", [])]
            if names:
                found[protocol] = {by_name(n).code for n in names}
        return found
    (result,) = json.loads(stdout)["results"]
    return {p: {int(s["code"], 16) for s in listed}
            for p, listed in result["tls"]["cipher_suites"].items() if listed}


def run_one(run: Run, lab: TruthLab, proxy: CountingProxy, env: dict[str, str],
            tmp: Path) -> None:
    out = tmp / f"{run.tool}-{run.listener}.json"
    out.unlink(missing_ok=True)
    before, logged = proxy.count, lab.connections(run.listener)
    start = time.perf_counter()
    proc = subprocess.run(command(run.tool, run.listener, proxy.port, out), env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=1800, check=False)
    run.walls.append(time.perf_counter() - start)
    time.sleep(0.3)  # let the last proxied connections and log lines land
    run.conns.append(proxy.count - before)
    run.logged.append(lab.connections(run.listener) - logged)
    try:
        run.suites = suites_of(run.tool, out, proc.stdout)
        if run.tool == "mailtls":
            (result,) = json.loads(proc.stdout)["results"]
            run.reported.append(int(result["connections_used"]))
    except (OSError, ValueError, KeyError) as exc:
        run.error = f"exit {proc.returncode}: {exc!r} {proc.stderr[-300:]!r}"


def render(runs: Sequence[Run], reps: int, tools: Sequence[str], skipped: str | None) -> str:
    lines = [f"### mailtls scan --deep vs sslyze vs testssl.sh, {reps} run(s) each", "",
             *machine(), f"- testssl.sh checks: `{' '.join(TESTSSL_CHECKS)}`",
             f"- sslyze checks: `{' '.join(SSLYZE_CHECKS)}`", ""]
    if skipped:
        lines += [f"**{skipped}**", ""]
    lines += ["| listener | tool | wall s (median) | connections (proxy) | Postfix `connect "
              "from` | connections_used (mailtls) | suites reported | over suites |",
              "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        n = sum(len(s) for s in r.suites.values()) if r.suites is not None else "-"
        logged = statistics.median(r.logged) if BY_NAME[r.listener].server == "postfix" else "-"
        reported = f"{statistics.median(r.reported):.0f}" if r.reported else "-"
        conns = statistics.median(r.conns)
        over = f"+{conns - n:.0f}" if isinstance(n, int) else "-"
        lines.append(f"| {r.listener} | {r.tool} | {statistics.median(r.walls):.2f} | "
                     f"{conns:.0f} | {logged} | {reported} | {n}"
                     f"{' (' + r.error + ')' if r.error else ''} | {over} |")
    lines += ["", "| tool | total wall s | total connections | mean connections/listener |",
              "|---|---|---|---|"]
    totals: dict[str, tuple[float, float]] = {}
    for tool in tools:
        mine = [r for r in runs if r.tool == tool]
        if not mine:
            continue
        wall = sum(statistics.median(r.walls) for r in mine)
        conns = sum(statistics.median(r.conns) for r in mine)
        totals[tool] = (wall, conns)
        lines.append(f"| {tool} | {wall:.1f} | {conns:.0f} | {conns / len(mine):.1f} |")
    if "mailtls" in totals:
        mw, mc = totals["mailtls"]
        for peer in ("sslyze", "testssl"):
            if peer in totals:
                pw, pc = totals[peer]
                lines.append(f"\n**{peer} / mailtls: {pw / mw:.1f}x the time, "
                             f"{pc / max(mc, 1):.1f}x the connections**")
    lines += ["", *agreement(runs)]
    return "\n".join(lines) + "\n"


def _names(codes: set[int]) -> str:
    return " ".join(suite_for("", c).openssl or suite_for("", c).name for c in sorted(codes))


def agreement(runs: Sequence[Run]) -> list[str]:
    """Per listener: do the tools report the same accepted suites per protocol?"""
    out = ["### Same suites?", "", "| listener | pair | agree | differences |", "|---|---|---|---|"]
    by: dict[str, dict[str, Run]] = {}
    for r in runs:
        by.setdefault(r.listener, {})[r.tool] = r
    for name, tools in by.items():
        for left, right in (("testssl", "mailtls"), ("sslyze", "mailtls"), ("testssl", "sslyze")):
            a_run, b_run = tools.get(left), tools.get(right)
            if a_run is None or b_run is None or a_run.suites is None or b_run.suites is None:
                continue
            diff = []
            for p in sorted(set(a_run.suites) | set(b_run.suites)):
                a, b = a_run.suites.get(p, set()), b_run.suites.get(p, set())
                if a != b:
                    diff.append(f"{p}: {left} only [{_names(a - b)}], {right} only "
                                f"[{_names(b - a)}]")
            out.append(f"| {name} | {left} vs {right} | {'yes' if not diff else 'no'} | "
                       f"{'; '.join(diff)} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--only", nargs="*", help="these listeners only")
    ap.add_argument("--tools", nargs="*", default=["mailtls", "sslyze", "testssl"])
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/deep.py starts private Postfix and Dovecot instances: run it as root")
    if not SSLYZE_PY.exists():
        subprocess.run(["bash", str(ROOT / "bench" / "peers.sh")], check=True)
    tools = list(args.tools)
    skipped = None
    if "mailtls" in tools and not mailtls_ready():
        tools.remove("mailtls")
        skipped = "mailtls scan --deep does not exist yet: peers measured alone"
    names = args.only or [x.name for x in LISTENERS]
    env = bench_env()
    runs = [Run(tool, name) for name in names for tool in tools]
    with truth_lab() as lab, tempfile.TemporaryDirectory(prefix="mailtls-bench-deep-") as tmp:
        for _ in range(args.reps):
            for name in names:
                with CountingProxy(lab.ports[name]) as proxy:
                    for r in (r for r in runs if r.listener == name):
                        run_one(r, lab, proxy, env, Path(tmp))
                        print(f"{r.tool} {name}: {r.walls[-1]:.2f} s, {r.conns[-1]} conns",
                              file=sys.stderr, flush=True)
    report = render(runs, args.reps, tools, skipped)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "deep-latest.md").write_text(report)


if __name__ == "__main__":
    main()
