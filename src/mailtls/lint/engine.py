"""Scan files, in parallel on every core, and turn hits into catalogue findings.

One file never stops the run: unreadable, binary, oversized, non-UTF-8, unparsable and
deeply nested files become ``lint.file_skipped`` / ``lint.file_partial`` notes that name
the file. Workers return plain data; findings are built in the parent.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from . import parallel
from .allow import apply, parse_allows
from .base import Hit
from .files import prefilter, scanner

if TYPE_CHECKING:  # the parent loads these while the workers scan (see _warm_up)
    from ..model import Finding, Severity

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


def _read(path: str, max_bytes: int) -> bytes | str:
    """The file's bytes, or why it is not read (one open, one fstat, one read)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        try:
            too_big = os.path.getsize(path) > max_bytes
        except OSError:
            too_big = False
        return "larger than the size limit" if too_big else "could not be read"
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            return "larger than the size limit"
        data = os.read(fd, size + 1)
        if len(data) > size:  # the file grew since the fstat: read it to the end
            parts = [data]
            while more := os.read(fd, 1 << 20):
                parts.append(more)
            data = b"".join(parts)
        return data
    except OSError:
        return "could not be read"
    finally:
        os.close(fd)


def scan_file(path: str, kind: str, max_bytes: int, today: dt.date) -> FileResult:
    """Scan one file; never raises.

    Cheap tests first, on the bytes: the size, NUL bytes, then the trigger words (and
    ``mailtls:`` for exception comments); only a file that may hold a finding is parsed,
    ASCII is decoded only when a parser or the exceptions need the text, and the text is
    split into lines only when there is a hit to show.
    """
    result = FileResult(path)
    data = _read(path, max_bytes)
    if isinstance(data, str):
        result.notes.append(("lint.file_skipped", data, 1))
        return result
    if b"\0" in data[:8192]:
        result.notes.append(("lint.file_skipped", "binary file", 1))
        return result
    text: str | None = None
    if not data.isascii():  # ASCII is UTF-8 without a BOM: decoding cannot fail
        text, utf8 = decode(data)
        if not utf8:
            result.notes.append(("lint.file_partial", "not UTF-8; read as Latin-1", 1))
            data = text.encode("utf-8")
    match, marker = prefilter(kind, data)
    if not (match or marker):
        return result
    if text is None:
        text = data.decode("ascii")
    hits: list[Hit] = []
    if match:
        try:
            found = scanner(kind, path)(text, data)
        except RecursionError:
            result.notes.append(("lint.file_partial", "nested too deeply to parse", 1))
            return result
        except Exception:  # a scanner bug must not stop the run; the file is named
            result.notes.append(("lint.file_skipped", "internal error while scanning", 1))
            return result
        hits = found.hits
        result.notes += found.notes
    allows, bad = parse_allows(text) if marker else ([], [])
    result.hits = apply(hits, allows, today) + bad
    if result.hits:
        lines = text.splitlines()
        for h in result.hits:
            if 0 < h.line <= len(lines):
                result.lines[h.line] = lines[h.line - 1]
    return result


#: Fewer files than this are scanned in this process: starting workers would cost more.
SERIAL_BELOW = 32
#: Files per chunk handed to a worker at most: small enough that the last chunks even
#: out the workers, large enough that handing them out costs nothing.
CHUNK = 16

Packed = tuple[str, list[tuple[str, int, int, int | None, int | None, dict[str, str]]],
               list[tuple[str, str, int]], dict[int, str]]


def _pack(r: FileResult) -> Packed:
    """A result as marshal-able data (what a worker sends back)."""
    hits = [(h.rule, h.line, h.column, h.end_line, h.end_column, h.params) for h in r.hits]
    return (r.path, hits, r.notes, r.lines)


def _unpack(data: Packed) -> FileResult:
    path, hits, notes, lines = data
    return FileResult(path, [Hit(*h) for h in hits], notes, lines)  # marshal keeps tuples


def _scan_chunk(
    chunk: Sequence[tuple[str, str]], max_bytes: int, today: dt.date
) -> list[FileResult]:
    """Scan a chunk of (path, kind); only results with something in them are kept."""
    out: list[FileResult] = []
    for path, kind in chunk:
        r = scan_file(path, kind, max_bytes, today)
        if r.hits or r.notes:
            out.append(r)
    return out


def _pool_chunk(args: tuple[list[tuple[str, str]], int, dt.date]) -> list[FileResult]:
    return _scan_chunk(*args)


def _warm_up() -> None:
    """What the parent needs after the scan, loaded while the workers scan."""
    from .. import catalog, model  # noqa: F401


def run(files: Sequence[tuple[str, str]], options: Options) -> tuple[list[FileResult], int]:
    """Scan (path, kind) pairs, in worker processes when there are enough of them.

    Returns the results that hold a hit or a note, in the order of ``files``, and how
    many files were looked at. Workers get chunks of paths (never contents), read and
    filter the files themselves, and send back only the files where something was found.
    """
    today = options.today or dt.date.today()
    jobs = min(options.jobs or os.cpu_count() or 1, max(1, len(files) // 8))
    if jobs <= 1 or len(files) < SERIAL_BELOW:
        return _scan_chunk(files, options.max_bytes, today), len(files)
    size = max(1, min(CHUNK, len(files) // (jobs * 8)), -(-len(files) // parallel.MAX_TASKS))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    if parallel.can_fork():

        def work(index: int) -> list[Packed]:
            return [_pack(r) for r in _scan_chunk(chunks[index], options.max_bytes, today)]

        parts = parallel.fork_map(work, len(chunks), jobs, _warm_up)
        packed = cast("list[list[Packed]]", parts)
        return [_unpack(r) for part in packed for r in part], len(files)
    from concurrent.futures import ProcessPoolExecutor

    args = [(list(c), options.max_bytes, today) for c in chunks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [r for part in pool.map(_pool_chunk, args) for r in part], len(files)


def _column(line: str, byte_column: int) -> int:
    """A 1-based UTF-8 byte column turned into a 1-based character column."""
    if line.isascii():
        return byte_column
    return len(line.encode("utf-8")[: byte_column - 1].decode("utf-8", "ignore")) + 1


def to_finding(result: FileResult, hit: Hit) -> Finding:
    from ..catalog import entry
    from ..model import Finding, Location

    line = result.lines.get(hit.line, "")
    location = Location(
        file=result.path,
        line=hit.line,
        column=_column(line, hit.column),
        snippet=line.strip()[:SNIPPET] or None,
    )
    rule = hit.params.get("rule", hit.rule) if hit.rule == "lint.expired_exception" else hit.rule
    return Finding(hit.rule, entry(rule).severity, hit.params, False, location, FIXES.get(hit.rule))


def report(results: Sequence[FileResult], total: int | None = None) -> Report:
    """Findings and notes of the results; ``total``: files looked at (default: the results)."""
    from ..catalog import new_finding
    from ..model import Location

    findings: list[Finding] = []
    notes: list[Finding] = []
    skipped = 0
    for r in results:
        findings += [to_finding(r, h) for h in r.hits]
        for fid, reason, line in r.notes:
            notes.append(new_finding(fid, location=Location(r.path, line), reason=reason))
            skipped += fid == "lint.file_skipped"
    findings.sort(key=lambda f: (f.location.file, f.location.line) if f.location else ("", 0))
    looked_at = len(results) if total is None else total
    return Report(findings, notes, looked_at - skipped, skipped)


def lint_files(files: Sequence[tuple[str, str]], options: Options | None = None) -> Report:
    """The whole run over already chosen (path, kind) pairs."""
    return report(*run(files, options or Options()))
