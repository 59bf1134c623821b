"""Real-world lint benchmark: mailtls lint and semgrep on pinned public mail packages.

    python bench/lint-real/run.py             # fetch (cached), run both tools, score, write README
    python bench/lint-real/run.py --runs 3    # best of N wall-clock runs per tool

Scoring is by (package, path, line) against truth.tsv, written by reading each candidate
line in context (see README.md). verdict ``yes`` lines are the positives; ``optin`` (the
library implementing a switch the user must ask for) and ``tls-off`` (TLS skipped or
optional, not a certificate check) are neutral: a finding there is neither credited nor
counted as a false alarm. A finding on a ``no`` line, or on a line the truth list does not
know yet, is a false alarm: every new finding must be read and added to truth.tsv.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from packages import PACKAGES, SRC, fetch_all  # noqa: E402

MAILTLS = ROOT / ".venv" / "bin" / "mailtls"
PEERS = ROOT / "bench" / ".peers" / "lint"
SEMGREP = PEERS / "bin" / "semgrep"
RULES = ROOT / "bench" / "semgrep-rules" / "tls-real.yml"
README = HERE / "README.md"
MARK = "<!-- results: written by run.py below this line -->"
NEUTRAL = ("optin", "tls-off")
LANG = {".py": "Python", ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript",
        ".ts": "JavaScript", ".php": "PHP", ".inc": "PHP", ".java": "Java", ".go": "Go",
        ".rb": "Ruby", ".rs": "Rust", ".cs": "C#"}

Loc = tuple[str, str, int]  # package key, path inside the package, line


@dataclass
class Truth:
    verdict: dict[Loc, str] = field(default_factory=dict)
    cause: dict[Loc, str] = field(default_factory=dict)


def language(path: str) -> str:
    return LANG.get(Path(path).suffix, "config/scripts" if "." in Path(path).name else "scripts")


def load_truth() -> Truth:
    keys = {(p.name, p.version.split(":")[-1]): p.key for p in PACKAGES}
    truth = Truth()
    lines = (HERE / "truth.tsv").read_text().splitlines()[1:]
    for row in lines:
        pkg, ver, path, line, cause, verdict, _reason = row.split("\t")
        loc = (keys[(pkg, ver)], path, int(line))
        truth.verdict[loc], truth.cause[loc] = verdict, cause
    return truth


def check_truth_lines(truth: Truth) -> list[str]:
    """Each truth row must point at an existing line of the unpacked package."""
    roots = {p.key: p.root for p in PACKAGES}
    bad = []
    for key, path, line in truth.verdict:
        file = roots[key] / path
        if not file.is_file() or len(file.read_bytes().splitlines()) < line:
            bad.append(f"{key}/{path}:{line}")
    return bad


def locate(file: str) -> Loc | None:
    rel = Path(file).resolve().relative_to(SRC.resolve()).parts
    if len(rel) < 3:
        return None
    return (rel[1], "/".join(rel[2:]), 0)


def sh(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=SRC, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, done


def run_mailtls(runs: int) -> tuple[float, set[Loc]]:
    cmd = [str(MAILTLS), "lint", ".", "--json", "--fail-on", "never"]
    best, out = float("inf"), ""
    for _ in range(runs):
        sec, done = sh(cmd)
        best, out = min(best, sec), done.stdout
    found = set()
    for f in json.loads(out)["findings"]:
        loc = locate(str(SRC / f["file"]))
        if loc:
            found.add((loc[0], loc[1], int(f["line"])))
    return best, found


def run_semgrep(runs: int) -> tuple[float, set[Loc]]:
    (SRC / ".semgrepignore").write_text("# empty: scan tests and examples too\n")
    best = float("inf")
    found: set[Loc] = set()
    spans: list[tuple[str, str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "out.json"
        cmd = [str(SEMGREP), "scan", "--config", str(RULES), "--metrics=off",
               "--disable-version-check", "--no-git-ignore", "--json", "-o", str(report),
               "--jobs", str(os.cpu_count() or 1), "--timeout", "0", "."]
        for _ in range(runs):
            sec, _done = sh(cmd)
            best = min(best, sec)
        for r in json.loads(report.read_text())["results"]:
            loc = locate(str(SRC / r["path"]))
            if loc:
                for line in range(int(r["start"]["line"]), int(r["end"]["line"]) + 1):
                    found.add((loc[0], loc[1], line))
                spans.append((loc[0], loc[1], int(r["start"]["line"]), int(r["end"]["line"])))
    # a match spanning lines counts once: drop its non-first lines unless the truth list
    # knows them (they then stand for the match)
    global SEMGREP_SPANS
    SEMGREP_SPANS = spans
    return best, found


SEMGREP_SPANS: list[tuple[str, str, int, int]] = []


def collapse(truth: Truth, found: set[Loc]) -> set[Loc]:
    """One location per semgrep match: a reviewed line inside it if any, else its start."""
    out: set[Loc] = set()
    for key, path, start, end in SEMGREP_SPANS:
        lines = [(key, path, n) for n in range(start, end + 1)]
        known = [loc for loc in lines if loc in truth.verdict]
        out.update(known or lines[:1])
    return out


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def cell(self) -> str:
        found = f"{self.tp}/{self.tp + self.fn} ({self.recall():.0%})"
        return f"{found}, P {self.precision():.0%} ({self.fp} FP)"


def score(truth: Truth, found: set[Loc], group: str) -> dict[str, Score]:
    out: dict[str, Score] = collections.defaultdict(Score)

    def key(loc: Loc) -> str:
        if group == "cause":
            return truth.cause.get(loc, "(unreviewed)")
        return language(loc[1]) if group == "language" else "all"

    for loc, verdict in truth.verdict.items():
        if verdict == "yes":
            s = out[key(loc)]
            if loc in found:
                s.tp += 1
            else:
                s.fn += 1
    for loc in found:
        if truth.verdict.get(loc, "no") == "no":
            out[key(loc)].fp += 1
    return out


def table(title: str, tools: dict[str, dict[str, Score]]) -> list[str]:
    rows = sorted({k for scores in tools.values() for k in scores})
    lines = [f"| {title} | " + " | ".join(tools) + " |", "|---" * (len(tools) + 1) + "|"]
    for row in rows:
        cells = " | ".join(t.get(row, Score()).cell() for t in tools.values())
        lines.append(f"| {row} | {cells} |")
    return lines


def listing(truth: Truth, found: set[Loc], want: str) -> list[str]:
    out = []
    for loc in sorted(truth.verdict):
        if want == "miss" and truth.verdict[loc] == "yes" and loc not in found:
            out.append(f"- `{loc[0]}/{loc[1]}:{loc[2]}` ({truth.cause[loc]})")
    if want == "fp":
        for loc in sorted(found):
            verdict = truth.verdict.get(loc)
            if verdict in (None, "no"):
                out.append(f"- `{loc[0]}/{loc[1]}:{loc[2]}` ({verdict or 'unreviewed'})")
    return out or ["- none"]


def report(truth: Truth, runs: int, speed: dict[str, tuple[float, set[Loc]]]) -> str:
    total = {t: score(truth, f, "all")["all"] for t, (_s, f) in speed.items()}
    per_second = {t: total[t].recall() / speed[t][0] for t in speed}
    ratio = per_second["mailtls"] / per_second["semgrep"] if per_second["semgrep"] else float("inf")
    files = sum(1 for _ in SRC.rglob("*") if _.is_file())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src/mailtls/lint"], cwd=ROOT,
                           capture_output=True, text=True, check=False).stdout.strip()
    neutral = collections.Counter(v for v in truth.verdict.values())
    lines = [
        MARK, "",
        f"## Results ({time.strftime('%Y-%m-%d %H:%M')})", "",
        f"mailtls at {head}{' + uncommitted changes in src/mailtls/lint' if dirty else ''}; "
        f"{len(PACKAGES)} packages, {files} files; {platform.machine()}, {os.cpu_count()} cores, "
        f"load after the runs {load}; best of {runs} run(s).",
        f"Truth list: {neutral['yes']} positive lines, {neutral['no']} reviewed non-findings, "
        f"{neutral['optin']} opt-in and {neutral['tls-off']} TLS-off lines (neutral).", "",
        "| tool | wall time | found / positives | recall | precision | false alarms "
        "| recall per second |",
        "|---|---|---|---|---|---|---|",
    ]
    for t, (sec, _f) in speed.items():
        s = total[t]
        lines.append(f"| {t} | {sec:.2f} s | {s.tp}/{s.tp + s.fn} | {s.recall():.0%} | "
                     f"{s.precision():.0%} | {s.fp} | {per_second[t]:.3f} |")
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    m = total["mailtls"]
    lines += [
        "",
        f"Targets: recall >= 90%: {met(m.recall() >= 0.9)} ({m.recall():.0%}); precision >= 95%: "
        f"{met(m.precision() >= 0.95)} ({m.precision():.0%}); recall per second >= 10x semgrep: "
        f"{met(ratio >= 10)} ({ratio:.1f}x).", "",
        "### Per language (of the file)", "",
        *table("language", {t: score(truth, f, "language") for t, (_s, f) in speed.items()}), "",
        "### Per cause", "",
        *table("cause", {t: score(truth, f, "cause") for t, (_s, f) in speed.items()}), "",
        "### mailtls misses (positive lines without a finding)", "",
        *listing(truth, speed["mailtls"][1], "miss"), "",
        "### mailtls false alarms (and findings not yet in the truth list)", "",
        *listing(truth, speed["mailtls"][1], "fp"), "",
        "### semgrep false alarms (and findings not yet in the truth list)", "",
        *listing(truth, speed["semgrep"][1], "fp"), "",
    ]
    return "\n".join(lines)


def quick(runs: int) -> None:
    """mailtls alone: numbers, misses and false alarms on stdout; README is not touched."""
    truth = load_truth()
    bad = check_truth_lines(truth)
    if bad:
        raise SystemExit("truth.tsv points at lines that do not exist:\n" + "\n".join(bad))
    sec, found = run_mailtls(runs)
    s = score(truth, found, "all")["all"]
    print(f"mailtls {sec:.2f} s: {s.tp}/{s.tp + s.fn} recall {s.recall():.1%}, "
          f"precision {s.precision():.1%}, {s.fp} false alarm(s)")
    print("misses:", *listing(truth, found, "miss"), sep="\n")
    print("false alarms:", *listing(truth, found, "fp"), sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-semgrep", action="store_true",
                        help="run mailtls only, print its numbers, leave README untouched")
    args = parser.parse_args()
    fetch_all()
    if args.no_semgrep:
        quick(args.runs)
        return
    if not SEMGREP.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", "semgrep"], check=True)
    truth = load_truth()
    bad = check_truth_lines(truth)
    if bad:
        raise SystemExit("truth.tsv points at lines that do not exist:\n" + "\n".join(bad))
    speed = {"mailtls": run_mailtls(args.runs), "semgrep": run_semgrep(args.runs)}
    speed["semgrep"] = (speed["semgrep"][0], collapse(truth, speed["semgrep"][1]))
    text = report(truth, args.runs, speed)
    old = README.read_text()
    README.write_text(old.split(MARK)[0].rstrip() + "\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
