"""Scan files, in parallel on every core, and turn hits into catalogue findings.

One file never stops the run: unreadable, binary, oversized, non-UTF-8, unparsable,
deeply nested and too slow files become ``lint.file_skipped`` / ``lint.file_partial``
notes that name the file; a scanner that raises (or a worker that dies) gives the file a
``lint.internal_error`` finding, with the traceback kept for ``--verbose``, and the run
goes on. Workers return plain data; findings are built in the parent.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import budget, parallel
from .allow import apply, parse_allows
from .base import Hit, Scan
from .context import context_of, scope_of, topic
from .files import prefilter, refine, scanner

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
    file_seconds: float = budget.SECONDS  # time one file may take in a scanner; 0: no limit
    scope: str = "all"  # "mail": only findings about mail (see mailtls.lint.context)
    exclude_contexts: frozenset[str] = frozenset()  # e.g. {"test"}: the user's choice
    include_vendored: bool = False  # node_modules/, vendor/...: skipped with a note unless set


@dataclass
class FileResult:
    """What one worker found in one file (plain, picklable data)."""

    path: str
    hits: list[Hit] = field(default_factory=list)
    notes: list[tuple[str, str, int]] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)  # snippets for the hits' lines
    error: str | None = None  # the traceback of a lint.internal_error
    topic: str = "general"  # what a generic rule protects in this file (context.topic)


@dataclass(frozen=True)
class Tag:
    """Where a finding sits and what it protects (:mod:`mailtls.lint.context`)."""

    context: str  # production, test, example, tooling
    scope: str | None  # mail, credentials, general; None for notes


@dataclass
class Report:
    findings: list[Finding]
    notes: list[Finding]
    files_scanned: int
    files_skipped: int
    errors: dict[str, str] = field(default_factory=dict)  # file -> traceback (internal errors)
    tags: list[Tag] = field(default_factory=list)  # one per finding, in the same order
    note_tags: list[Tag] = field(default_factory=list)  # one per note
    excluded: int = 0  # findings left out by --scope / --exclude-context

    def tag(self, index: int) -> Tag:
        return self.tags[index] if index < len(self.tags) else Tag("production", "mail")

    def add_vendored(self, folders: Sequence[str], roots: Sequence[str] = ()) -> None:
        """One ``lint.vendored_skipped`` note per vendored folder that was not entered."""
        from ..catalog import new_finding
        from ..model import Location

        ordered = sorted(roots, key=len, reverse=True)
        for folder in sorted(folders):
            self.notes.append(new_finding("lint.vendored_skipped",
                                          location=Location(folder, 1), folder=folder))
            self.note_tags.append(Tag(context_of(folder, _root_of(folder, ordered)), None))

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
    """The file's bytes, or why it is not read (one open, one fstat, one read).

    Only regular files are read (a FIFO or a device put in place of a file is not,
    and O_NONBLOCK keeps the open itself from waiting on one), and never more than
    ``max_bytes``, even from a file that grows while it is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        try:
            too_big = os.path.getsize(path) > max_bytes
        except OSError:
            too_big = False
        return "larger than the size limit" if too_big else "could not be read"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_size > max_bytes:
            return "larger than the size limit"
        data = os.read(fd, st.st_size + 1)
        if len(data) > st.st_size:  # the file grew since the fstat: read it to the end
            parts, total = [data], len(data)
            while total <= max_bytes and (more := os.read(fd, 1 << 20)):
                parts.append(more)
                total += len(more)
            if total > max_bytes:
                return "larger than the size limit"
            data = b"".join(parts)
        return data
    except OSError:
        return "could not be read"
    finally:
        os.close(fd)


def _parse(kind: str, path: str, text: str, data: bytes, seconds: float,
           result: FileResult) -> Scan | None:
    """The scanner's result, or None with the reason noted in ``result``."""
    try:
        with budget.time_limit(seconds):
            return scanner(kind, path)(text, data)
    except budget.OverBudget:
        result.notes.append(("lint.file_skipped", "took longer than the time limit to scan", 1))
    except RecursionError:
        result.notes.append(("lint.file_partial", "nested too deeply to parse", 1))
    except Exception as exc:  # a scanner bug must not stop the run: the file is named
        result.notes.append(("lint.internal_error", f"{type(exc).__name__}: {exc}", 1))
        result.error = traceback.format_exc()
    return None


def scan_file(path: str, kind: str, max_bytes: int, today: dt.date,
              seconds: float = budget.SECONDS) -> FileResult:
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
    refined = refine(kind, data)  # the content decides when the name lies
    if refined is None:
        return result
    kind = refined
    match, marker = prefilter(kind, data)
    if not (match or marker):
        return result
    if text is None:
        text = data.decode("ascii")
    hits: list[Hit] = []
    if match:
        found = _parse(kind, path, text, data, seconds, result)
        if found is None:
            return result
        hits = found.hits
        result.notes += found.notes
    allows, bad = parse_allows(text) if marker else ([], [])
    result.hits = apply(hits, allows, today) + bad
    if result.hits:
        result.topic = topic(data, path)
        lines = text.splitlines()
        for h in result.hits:
            if 0 < h.line <= len(lines):
                result.lines[h.line] = lines[h.line - 1]
    return result


#: Fewer files than this are scanned in this process: starting workers would cost more.
SERIAL_BELOW = 32
#: Chunks per worker: enough that the last ones even out the workers, few enough that
#: the pool's cost per task (a pickle and a queue round trip in the parent) stays small.
CHUNKS_PER_JOB = 8
#: Files per chunk at least.
CHUNK = 16

Packed = tuple[str, list[tuple[str, int, int, int | None, int | None, dict[str, str]]],
               list[tuple[str, str, int]], dict[int, str], str | None, str]
#: What a worker is given: (path, kind) pairs, the size limit, the date, the time budget.
Task = tuple[tuple[tuple[str, str], ...], int, dt.date, float]


def _pack(r: FileResult) -> Packed:
    """A result as plain data (what a worker sends back: no class to pickle)."""
    hits = [(h.rule, h.line, h.column, h.end_line, h.end_column, h.params) for h in r.hits]
    return (r.path, hits, r.notes, r.lines, r.error, r.topic)


def _unpack(data: Packed) -> FileResult:
    path, hits, notes, lines, error, file_topic = data
    return FileResult(path, [Hit(*h) for h in hits], notes, lines, error, file_topic)


def _scan_chunk(task: Task) -> list[Packed]:
    """Scan a chunk of (path, kind); only results with something in them are kept."""
    chunk, max_bytes, today, seconds = task
    out: list[Packed] = []
    for path, kind in chunk:
        r = scan_file(path, kind, max_bytes, today, seconds)
        if r.hits or r.notes:
            out.append(_pack(r))
    return out


def _warm_up() -> None:
    """What the parent needs after the scan, loaded while the workers scan."""
    from .. import catalog, model  # noqa: F401


def _lost(path: str, reason: str) -> FileResult:
    return FileResult(path, notes=[("lint.internal_error", reason, 1)], error=reason)


def _gather(outcomes: Sequence[list[Packed] | parallel.Lost[Task]]) -> list[FileResult]:
    """Results in order; a chunk that failed is scanned again one file at a time, alone,
    so that only the file that breaks its worker is lost, and it is named."""
    out: list[FileResult] = []
    for outcome in outcomes:
        if not isinstance(outcome, parallel.Lost):
            out += [_unpack(r) for r in outcome]
            continue
        chunk, *rest = outcome.item
        singles: list[Task] = [((f,), *rest) for f in chunk]  # type: ignore[misc]
        for single, again in zip(singles, parallel.alone(_scan_chunk, singles), strict=True):
            if isinstance(again, parallel.Lost):
                out.append(_lost(single[0][0][0], again.reason))
            else:
                out += [_unpack(r) for r in again]
    return out


def run(files: Sequence[tuple[str, str]], options: Options) -> tuple[list[FileResult], int]:
    """Scan (path, kind) pairs, in worker processes when there are enough of them.

    Returns the results that hold a hit or a note, in the order of ``files``, and how
    many files were looked at. Workers get chunks of paths (never contents), read and
    filter the files themselves, and send back only the files where something was found.
    """
    today = options.today or dt.date.today()
    jobs = min(options.jobs or parallel.cores(), max(1, len(files) // 8))
    if jobs <= 1 or len(files) < SERIAL_BELOW:
        task: Task = (tuple(files), options.max_bytes, today, options.file_seconds)
        return [_unpack(r) for r in _scan_chunk(task)], len(files)
    size = max(CHUNK, len(files) // (jobs * CHUNKS_PER_JOB))
    tasks: list[Task] = [(tuple(files[i : i + size]), options.max_bytes, today,
                          options.file_seconds) for i in range(0, len(files), size)]
    outcomes = parallel.run(_scan_chunk, tasks, jobs, _warm_up)
    return _gather(outcomes), len(files)


def _column(line: str, byte_column: int) -> int:
    """A 1-based UTF-8 byte column turned into a 1-based character column."""
    if line.isascii():
        return byte_column
    return len(line.encode("utf-8")[: byte_column - 1].decode("utf-8", "ignore")) + 1


#: Control characters (C0 but tab, DEL, C1) shown as ``\xNN``: text from a scanned file
#: (its snippet, a key name) must not reach the terminal as escape sequences that could
#: move the cursor, erase the findings printed before, or retitle the window.
VISIBLE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}


def visible(text: str) -> str:
    return text.translate(VISIBLE)


def _lower(severity: Severity) -> Severity:
    """One step down (critical -> high), never below low: the finding stays a finding."""
    from ..model import Severity

    return Severity(max(Severity.LOW, severity - 1)) if severity > Severity.LOW else severity


def to_finding(result: FileResult, hit: Hit) -> tuple[Finding, str]:
    """The catalogue finding of a hit, and its scope (mail, credentials, general).

    A scanner may say the scope in a ``scope`` param (it saw a mail URL or key); that
    param is not one of the finding's facts and is dropped. A ``general`` hit is one
    severity step below the rule's (see :mod:`mailtls.lint.context`).
    """
    from ..catalog import entry
    from ..model import Finding, Location

    line = result.lines.get(hit.line, "")
    location = Location(
        file=result.path,
        line=hit.line,
        column=_column(line, hit.column),
        snippet=visible(line.strip()[:SNIPPET]) or None,
    )
    rule = hit.params.get("rule", hit.rule) if hit.rule == "lint.expired_exception" else hit.rule
    scope = scope_of(rule, result.topic, hit.params.get("scope"))
    params = {k: visible(v) for k, v in hit.params.items() if k != "scope"}
    severity = entry(rule).severity
    if scope == "general":
        severity = _lower(severity)
    return Finding(hit.rule, severity, params, False, location, FIXES.get(hit.rule)), scope


def _keep(tag: Tag, options: Options) -> bool:
    if options.scope == "mail" and tag.scope != "mail":
        return False
    return tag.context not in options.exclude_contexts


def _root_of(path: str, roots: Sequence[str]) -> str | None:
    return next((r for r in roots if path == r or path.startswith(r.rstrip("/\\") + os.sep)),
                None)


def report(results: Sequence[FileResult], total: int | None = None,
           options: Options | None = None, roots: Sequence[str] = ()) -> Report:
    """Findings and notes of the results; ``total``: files looked at (default: the results).

    Each finding gets its tag (context from the path below its root, scope from the
    rule and the file); ``options.scope`` and ``options.exclude_contexts`` leave some out.
    """
    from ..catalog import new_finding
    from ..model import Location

    options = options or Options()
    roots = sorted(roots, key=len, reverse=True)
    tagged: list[tuple[Finding, Tag]] = []
    notes: list[Finding] = []
    note_tags: list[Tag] = []
    errors: dict[str, str] = {}
    skipped = 0
    for r in results:
        context = context_of(r.path, _root_of(r.path, roots))
        for h in r.hits:
            finding, scope = to_finding(r, h)
            tagged.append((finding, Tag(context, scope)))
        for fid, reason, line in r.notes:
            where = Location(r.path, line)
            if fid == "lint.internal_error":  # a finding of its own: the file was not checked
                tagged.append((new_finding(fid, location=where, error=reason),
                               Tag(context, "mail")))
                errors[r.path] = r.error or reason
            else:
                notes.append(new_finding(fid, location=where, reason=reason))
                note_tags.append(Tag(context, None))
            skipped += fid in ("lint.file_skipped", "lint.internal_error")
    kept = [(f, t) for f, t in tagged if f.id == "lint.internal_error" or _keep(t, options)]
    kept.sort(key=lambda ft: (ft[0].location.file, ft[0].location.line)
              if ft[0].location else ("", 0))
    looked_at = len(results) if total is None else total
    return Report([f for f, _ in kept], notes, looked_at - skipped, skipped, errors,
                  [t for _, t in kept], note_tags, len(tagged) - len(kept))


def lint_files(files: Sequence[tuple[str, str]], options: Options | None = None,
               roots: Sequence[str] = ()) -> Report:
    """The whole run over already chosen (path, kind) pairs; ``roots``: the paths the
    user named, against which each file's context is read."""
    options = options or Options()
    results, total = run(files, options)
    return report(results, total, options, roots)
