"""Scan files, in parallel on every core, and turn hits into catalogue findings.

One file never stops the run: unreadable, binary, oversized, non-UTF-8, unparsable and
deeply nested files become ``lint.file_skipped`` / ``lint.file_partial`` notes that name
the file. Workers return plain data; findings are built in the parent.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import entry, new_finding
from ..model import Finding, Location, Severity
from .allow import apply, parse_allows
from .base import Hit, Scan
from .files import may_match, scanner

MAX_BYTES = 8 * 1024 * 1024
SNIPPET = 200
#: Machine fixes (a replacement, never prose) for rules that have a one-token answer.
FIXES = {
    "lint.python.smtplib_no_context": "context=ssl.create_default_context()",
    "lint.python.poplib_no_context": "context=ssl.create_default_context()",
    "lint.python.imaplib_no_context": "ssl_context=ssl.create_default_context()",
    "lint.python.unverified_context": "ssl.create_default_context()",
    "lint.python.cert_none": "ssl.CERT_REQUIRED",
    "lint.python.check_hostname_false": "check_hostname = True",
    "lint.python.aiosmtplib_opportunistic": "start_tls=True",
    "lint.js.nodemailer_ignore_tls": "requireTLS: true",
    "lint.csharp.starttls_when_available": "SecureSocketOptions.StartTls",
    "lint.csharp.no_revocation_check": "CheckCertificateRevocation = true",
    "lint.ruby.verify_none": "openssl_verify_mode: 'peer'",
    "lint.msmtp.tls_certcheck_off": "tls_certcheck on",
    "lint.mutt.ssl_verify_host_off": "set ssl_verify_host = yes",
    "lint.mutt.ssl_verify_dates_off": "set ssl_verify_dates = yes",
}


@dataclass(frozen=True)
class Options:
    max_bytes: int = MAX_BYTES
    today: dt.date | None = None  # exceptions expire relative to this; None: today
    jobs: int | None = None  # worker processes; None: every core


@dataclass
class FileResult:
    """What one worker found in one file (plain, picklable data)."""

    path: str
    hits: list[Hit] = field(default_factory=list)
    notes: list[tuple[str, str, int]] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # snippets for the hits' lines


@dataclass
class Report:
    findings: list[Finding]
    notes: list[Finding]
    files_scanned: int
    files_skipped: int

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)


def decode(data: bytes) -> tuple[str, bool]:
    """Text of the file, and whether it was valid UTF-8 (else read as Latin-1)."""
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def scan_file(path: str, kind: str, max_bytes: int, today: dt.date) -> FileResult:
    """Scan one file; never raises."""
    result = FileResult(path)
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            result.notes.append(("lint.file_skipped", "larger than the size limit", 1))
            return result
        data = Path(path).read_bytes()
    except OSError:
        result.notes.append(("lint.file_skipped", "could not be read", 1))
        return result
    if b"\0" in data[:8192]:
        result.notes.append(("lint.file_skipped", "binary file", 1))
        return result
    text, utf8 = decode(data)
    if not utf8:
        result.notes.append(("lint.file_partial", "not UTF-8; read as Latin-1", 1))
        data = text.encode("utf-8")
    try:
        found = scanner(kind, path)(text, data) if may_match(kind, data) else Scan()
    except RecursionError:
        result.notes.append(("lint.file_partial", "nested too deeply to parse", 1))
        return result
    except Exception:  # a scanner bug must not stop the run; the file is named
        result.notes.append(("lint.file_skipped", "internal error while scanning", 1))
        return result
    allows, bad = parse_allows(text)
    result.hits = apply(found.hits, allows, today) + bad
    result.notes += found.notes
    lines = text.splitlines()
    for h in result.hits:
        if 0 < h.line <= len(lines):
            result.lines[h.line] = lines[h.line - 1]
    return result


def _scan_star(args: tuple[str, str, int, dt.date]) -> FileResult:
    return scan_file(*args)


def run(files: Sequence[tuple[str, str]], options: Options) -> list[FileResult]:
    """Scan (path, kind) pairs, in a process pool when there are enough of them."""
    today = options.today or dt.date.today()
    work = [(p, k, options.max_bytes, today) for p, k in files]
    jobs = options.jobs or os.cpu_count() or 1
    if jobs <= 1 or len(work) < 16:
        return [_scan_star(w) for w in work]
    chunk = max(1, min(64, len(work) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_scan_star, work, chunksize=chunk))


def _column(line: str, byte_column: int) -> int:
    """A 1-based UTF-8 byte column turned into a 1-based character column."""
    if line.isascii():
        return byte_column
    return len(line.encode("utf-8")[: byte_column - 1].decode("utf-8", "ignore")) + 1


def to_finding(result: FileResult, hit: Hit) -> Finding:
    line = result.lines.get(hit.line, "")
    location = Location(
        file=result.path,
        line=hit.line,
        column=_column(line, hit.column),
        snippet=line.strip()[:SNIPPET] or None,
    )
    rule = hit.params.get("rule", hit.rule) if hit.rule == "lint.expired_exception" else hit.rule
    return Finding(hit.rule, entry(rule).severity, hit.params, False, location, FIXES.get(hit.rule))


def report(results: Sequence[FileResult]) -> Report:
    findings: list[Finding] = []
    notes: list[Finding] = []
    skipped = 0
    for r in results:
        findings += [to_finding(r, h) for h in r.hits]
        for fid, reason, line in r.notes:
            notes.append(new_finding(fid, location=Location(r.path, line), reason=reason))
            skipped += fid == "lint.file_skipped"
    findings.sort(key=lambda f: (f.location.file, f.location.line) if f.location else ("", 0))
    return Report(findings, notes, len(results) - skipped, skipped)


def lint_files(files: Sequence[tuple[str, str]], options: Options | None = None) -> Report:
    """The whole run over already chosen (path, kind) pairs."""
    return report(run(files, options or Options()))
