"""mailtls scan against sslyze --certinfo on the built-in lab: wall time and diagnosis.

Starts the lab in-process (loopback only), then, in one run, invokes each tool as a user
would (a subprocess, interpreter start-up included) on the same endpoints, several times,
alternating the tools. Prints median/min wall time, child CPU time and connections per
endpoint, the ratio, and a table of what each tool says about each endpoint. The markdown
goes to stdout and to bench/results/latest.md (git-ignored); bench/README.md holds a copy.

    .venv/bin/python bench/run.py [--reps 5]      # or: make bench

Both tools run with the same bytecode cache (PYTHONPYCACHEPREFIX under bench/.peers/):
this environment sets PYTHONDONTWRITEBYTECODE, which would leave the editable mailtls
compiling its sources at every start while pip had compiled sslyze's at install time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtls.lab.run import LabThread
from mailtls.lab.servers import Endpoint

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / ".peers"
SSLYZE_PY = PEERS / "sslyze" / "bin" / "python"
MAILTLS = ROOT / ".venv" / "bin" / "mailtls"
STARTTLS = {"smtp": "smtp", "imap": "imap", "pop3": "pop3"}  # sslyze --starttls per scheme
CA_STORE = "Supplied CA file"  # sslyze's name for --certinfo_ca_file


@dataclass
class Timing:
    label: str
    invocations: int
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    conns: list[int] = field(default_factory=list)


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PEERS / "pycache")
    return env


def mailtls_cmds(eps: Sequence[Endpoint], ca: Path, extra: Sequence[str] = ()) -> list[list[str]]:
    return [[str(MAILTLS), "scan", "--json", "--ca-file", str(ca), "--timeout", "10",
             *extra, *(e.url for e in eps)]]


def sslyze_cmds(eps: Sequence[Endpoint], ca: Path, out: Path) -> list[list[str]]:
    """One invocation per STARTTLS protocol: sslyze's --starttls applies to all targets."""
    groups: dict[str | None, list[Endpoint]] = {}
    for e in eps:
        groups.setdefault(STARTTLS.get(e.scheme), []).append(e)
    cmds = []
    for mode, group in groups.items():
        cmd = [str(SSLYZE_PY), "-m", "sslyze", "--quiet", "--certinfo",
               "--certinfo_ca_file", str(ca), "--json_out", str(out / f"sslyze-{mode}.json")]
        cmd += ["--starttls", mode] if mode else []
        cmds.append(cmd + [f"localhost:{e.port}{{127.0.0.1}}" for e in group])
    return cmds


def run_once(cmds: list[list[str]], env: dict[str, str],
             stdout: Path | None) -> tuple[float, float]:
    """Run the invocations one after the other; (wall seconds, child CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in cmds:
        with open(stdout or os.devnull, "wb") as out:
            proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.PIPE, check=False)
        if proc.returncode not in (0, 1, 2):  # mailtls: 2 = a critical finding, expected here
            sys.exit(f"{cmd[0]} exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def count_connections(thread: LabThread) -> Counter[int]:
    """Count accepted connections per lab port (wraps the lab's per-connection handler)."""
    counts: Counter[int] = Counter()
    serve = thread.lab._serve

    async def counted(spec: Any, stream: Any) -> None:
        counts[stream.writer.get_extra_info("sockname")[1]] += 1
        await serve(spec, stream)

    thread.lab._serve = counted  # type: ignore[method-assign]
    return counts


def mailtls_verdicts(doc: dict[str, Any]) -> dict[int, tuple[str, set[str]]]:
    """port -> (primary id, or cert.verified when nothing is primary; every finding id)."""
    out = {}
    for r in doc["results"]:
        ids = {f["id"] for f in r["findings"]}
        primary = next((f["id"] for f in r["findings"] if f.get("primary")), None)
        out[r["port"]] = (primary or ("cert.verified" if "cert.verified" in ids else "-"), ids)
    return out


def sslyze_verdicts(out: Path) -> dict[int, str]:
    """port -> sslyze's own words for the CA-file trust store, plus the flags it sets."""
    verdicts = {}
    for path in out.glob("sslyze-*.json"):
        for s in json.loads(path.read_text())["server_scan_results"]:
            port = s["server_location"]["port"]
            if s["scan_status"] != "COMPLETED":
                verdicts[port] = f"scan {s['scan_status']}: {s.get('connectivity_error_trace')}"
                continue
            dep = s["scan_result"]["certificate_info"]["result"]["certificate_deployments"][0]
            pv = next(p for p in dep["path_validation_results"]
                      if p["trust_store"]["name"] == CA_STORE)
            if pv["was_validation_successful"]:
                words = "OK - Certificate is trusted"
            else:
                err = pv["validation_error"].removeprefix("validation failed: ")
                words = "NOT trusted: " + err.split(" (encountered processing")[0]
            if dep.get("verified_chain_has_sha1_signature"):
                words += "; SHA1 in verified chain"
            if dep.get("leaf_certificate_subject_matches_hostname") is False:
                words += "; hostname mismatch"
            verdicts[port] = words
    return verdicts


# What counts, in sslyze's words, as naming the lab's cause: (exact, same-words-as-another-cause).
SSLYZE_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cert.verified": (("ok - certificate is trusted",), ()),
    "cert.expired": (("expired",), ("not valid at validation time",)),
    "cert.not_yet_valid": (("not yet valid",), ("not valid at validation time",)),
    "cert.expires_soon": (("expires soon", "expiring"), ()),
    "cert.hostname_mismatch": (("subjectaltname", "hostname mismatch"), ()),
    "cert.self_signed": (("self signed", "self-signed"), ()),
    "cert.untrusted": (("unknown issuer", "untrusted root"), ("candidates exhausted",)),
    "cert.chain_incomplete": (("missing intermediate", "issuer not found"),
                              ("candidates exhausted",)),
    "cert.weak_key": (("key size", "weak key"), ()),
    "cert.weak_signature": (("sha1",), ()),
    "cert.not_for_server": (("eku",), ()),
}


def judge_sslyze(expect: str, words: str) -> str:
    exact, shared = SSLYZE_NAMES.get(expect, ((), ()))
    low = words.lower()
    if any(k in low for k in exact):
        return "yes"
    return "same words for 2 causes" if any(k in low for k in shared) else "no"


def judge_mailtls(expect: str, primary: str, ids: set[str]) -> str:
    if primary == expect:
        return "yes"
    return "not primary" if expect in ids else "no"


def fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} | {min(xs):.3f}"


def machine() -> list[str]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                .splitlines() if ln.startswith("model name")), platform.processor())
    sslyze = subprocess.run([str(SSLYZE_PY), "-c", "import importlib.metadata as m;"
                             "print(m.version('sslyze'), m.version('cryptography'),"
                             " m.version('nassl'))"], capture_output=True, text=True,
                            check=True).stdout.split()
    return [f"- {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}, {ssl.OPENSSL_VERSION}",
            f"- mailtls {importlib.metadata.version('mailtls')} (cryptography "
            f"{importlib.metadata.version('cryptography')}, pyOpenSSL "
            f"{importlib.metadata.version('pyOpenSSL')})",
            f"- sslyze {sslyze[0]} (cryptography {sslyze[1]}, nassl {sslyze[2]})"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions per tool (5)")
    args = ap.parse_args()
    if not SSLYZE_PY.exists():
        subprocess.run(["bash", str(ROOT / "bench" / "peers.sh")], check=True)
    env = bench_env()
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mailtls-bench-") as tmp:
        thread = LabThread(Path(tmp) / "lab")
        counts = count_connections(thread)
        with thread as lab:
            tls = [e for e in lab.endpoints if e.expect != "starttls.not_offered"]
            smtp = [e for e in tls if e.scheme == "smtp"]
            sets = {"smtp": smtp, "all": tls, "smtp x10": smtp * 10}
            outs = {name: Path(tmp) / name.replace(" ", "") for name in sets}
            for p in outs.values():
                p.mkdir()
            startup = {"mailtls": [[str(MAILTLS), "scan", "--help"]],
                       "sslyze": [[str(SSLYZE_PY), "-m", "sslyze", "--help"]]}
            plans: list[tuple[str, Timing, list[list[str]], Path | None, int]] = []
            for name, eps in sets.items():
                m, s = mailtls_cmds(eps, lab.ca_file), sslyze_cmds(eps, lab.ca_file, outs[name])
                plans += [(name, Timing("mailtls scan", len(m)), m, outs[name] / "m.json",
                           len(eps)),
                          (name, Timing("sslyze --certinfo", len(s)), s, None, len(eps))]
            for name in ("smtp", "smtp x10"):
                plans.append((name, Timing("mailtls scan --per-address 16 (not default)", 1),
                              mailtls_cmds(sets[name], lab.ca_file, ["--per-address", "16"]),
                              None, len(sets[name])))
            for tool, cmds in startup.items():
                plans.append(("start-up", Timing(f"{tool} (--help only)", 1), cmds, None, 0))
            for _, _, cmds, out, _ in plans:  # warm-up: fills the bytecode cache, untimed
                run_once(cmds, env, out)
            for _ in range(args.reps):  # interleaved, so drifts hit every tool alike
                for _, t, cmds, out, _n in plans:
                    counts.clear()
                    wall, cpu = run_once(cmds, env, out)
                    t.walls.append(wall)
                    t.cpus.append(cpu)
                    t.conns.append(sum(counts.values()))
            report = render(args.reps, plans, lab.endpoints, outs["all"])
    print(report)
    (results_dir / "latest.md").write_text(report)


def render(reps: int, plans: list[tuple[str, Timing, list[list[str]], Path | None, int]],
           endpoints: Sequence[Endpoint], all_out: Path) -> str:
    lines = [f"### Wall time, {reps} runs each (seconds)", "", *machine(), "",
             "| endpoints | tool | invocations | median | min | CPU (median) | conns/endpoint |",
             "|---|---|---|---|---|---|---|"]
    by: dict[tuple[str, str], Timing] = {}
    sizes: dict[str, int] = {}
    for name, t, _, _, n in plans:
        by[name, t.label], sizes[name] = t, n
        per = f"{statistics.median(t.conns) / n:.1f}" if n else "-"
        label = f"{name} ({n})" if n else name
        lines.append(f"| {label} | {t.label} | {t.invocations} | {fmt(t.walls)} "
                     f"| {statistics.median(t.cpus):.3f} | {per} |")
    lines.append("")
    for name in ("smtp", "all", "smtp x10"):
        m, s = by[name, "mailtls scan"].walls, by[name, "sslyze --certinfo"].walls
        lines.append(f"**Ratio, {name} endpoints: sslyze median / mailtls median = "
                     f"{statistics.median(s) / statistics.median(m):.2f}x** "
                     f"(min/min {min(s) / min(m):.2f}x)  ")
    extra = sizes["smtp x10"] - sizes["smtp"]
    marginal = [(statistics.median(by["smtp x10", t].walls)
                 - statistics.median(by["smtp", t].walls)) / extra * 1000
                for t in ("mailtls scan", "sslyze --certinfo")]
    lines.append(f"**Per extra endpoint (smtp x10 minus smtp, medians): mailtls "
                 f"{marginal[0]:.1f} ms, sslyze {marginal[1]:.1f} ms, "
                 f"{marginal[1] / marginal[0]:.2f}x**")
    mt = mailtls_verdicts(json.loads((all_out / "m.json").read_text()))
    sv = sslyze_verdicts(all_out)
    lines += ["", "### Diagnosis, every lab endpoint with TLS", "",
              "| endpoint | expected | mailtls primary | names it | sslyze (CA-file store) "
              "| names it |", "|---|---|---|---|---|---|"]
    score: Counter[tuple[str, str]] = Counter()
    for e in endpoints:
        if e.expect == "starttls.not_offered":
            continue
        primary, ids = mt.get(e.port, ("(missing)", set()))
        words = sv.get(e.port, "(missing)")
        jm, js = judge_mailtls(e.expect, primary, ids), judge_sslyze(e.expect, words)
        score["mailtls", jm] += 1
        score["sslyze", js] += 1
        lines.append(f"| {e.scheme} {e.situation} | `{e.expect}` | `{primary}` | {jm} "
                     f"| {words.replace('|', '/')} | {js} |")
    total = sum(v for (tool, _), v in score.items() if tool == "mailtls")
    lines.append("")
    for tool in ("mailtls", "sslyze"):
        parts = ", ".join(f"{k} {v}" for (t, k), v in sorted(score.items()) if t == tool)
        lines.append(f"- {tool}: names the exact cause {score[tool, 'yes']}/{total} ({parts})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
