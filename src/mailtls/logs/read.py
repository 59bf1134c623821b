"""Log files -> lines, in bounded memory: plain, gzip, bz2, xz, rotated sets, '-' for stdin.

Lines are read in chunks of :data:`CHUNK` bytes and split by hand, so a line without end
(a 10 MB line, binary garbage) never holds more than one chunk plus :data:`MAX_LINE`:
longer lines are skipped and counted. A damaged compressed file (truncated gzip) yields
what it could decompress and then a :class:`InputProblem`; an unreadable file is named and
the other files are read on.

Years: syslog time stamps (``Dec  2 08:22:05``) have none. :class:`YearGuess` starts from
the file's modification time (its last line was written then): a first line later in the
year than the mtime belongs to the year before, and the year grows by one where the month
falls back by half a year or more (December -> January), and falls back by one where a
December line follows January ones (lines out of order around midnight). A single file
spanning more than a year cannot be placed from a stream and is taken to span less.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import lzma
import os
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
MAX_LINE = 1 << 16
MONTHS = {m.encode(): i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_ROTATED = re.compile(r"^(?:\.(\d+)|-(\d{8,10}))(?:\.(?:gz|bz2|xz))?$")
_OPENERS = {b"\x1f\x8b": gzip.open, b"BZ": bz2.open, b"\xfd7": lzma.open}


@dataclass
class InputProblem:
    """Something wrong with one input, named: ``kind`` is unreadable, damaged, long_lines,
    binary."""

    path: str
    kind: str
    detail: str
    count: int = 1


@dataclass
class Source:
    """One input: its name, and the problems met while reading it."""

    path: str
    mtime: dt.datetime
    lines: int = 0
    bytes: int = 0
    problems: list[InputProblem] = field(default_factory=list)


def rotated_set(path: Path) -> list[Path]:
    """``maillog`` -> its rotated siblings and itself, oldest first: ``maillog.3.gz``,
    ``maillog.2.gz``, ``maillog.1``, ``maillog`` (or ``maillog-20240101[.gz]`` ...)."""
    numbered: list[tuple[int, Path]] = []
    dated: list[tuple[str, Path]] = []
    parent = path.parent if str(path.parent) else Path(".")
    try:
        siblings = list(parent.iterdir())
    except OSError:
        return [path]
    for p in siblings:
        if not p.name.startswith(path.name) or p == path:
            continue
        m = _ROTATED.match(p.name[len(path.name):])
        if m and m[1]:
            numbered.append((int(m[1]), p))
        elif m:
            dated.append((m[2], p))
    return ([p for _, p in sorted(dated)] + [p for _, p in sorted(numbered, reverse=True)]
            + [path])


def _open(path: str) -> tuple[BinaryIO, dt.datetime]:
    """Open ``path`` (``-`` is stdin), decompressing by its magic bytes."""
    if path == "-":
        return sys.stdin.buffer, dt.datetime.now().astimezone()
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller
    mtime = dt.datetime.fromtimestamp(os.fstat(raw.fileno()).st_mtime).astimezone()
    magic = raw.read(2)
    raw.seek(0)
    opener = _OPENERS.get(magic)
    if opener is None:
        return raw, mtime
    return opener(raw), mtime  # type: ignore[operator]


def read_lines(source: Source, fh: BinaryIO) -> Iterator[bytes]:
    """Lines of ``fh`` without their newline; long lines and decompression errors are noted
    in ``source.problems``, never raised."""
    rest = b""
    skipping = False
    long_lines = nul = 0
    # read1: a decompressor hands over what it has before it meets the damage
    read = fh.read1 if isinstance(fh, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile) else fh.read
    try:
        while True:
            data = read(CHUNK)
            if not data:
                break
            source.bytes += len(data)
            nul += data.count(b"\x00")
            parts = data.split(b"\n")
            if skipping:
                if len(parts) == 1:
                    continue
                parts[0] = b""
                skipping = False
            parts[0] = rest + parts[0]
            rest = parts.pop()
            if len(rest) > MAX_LINE:
                rest, skipping = b"", True
                long_lines += 1
            source.lines += len(parts)
            yield from parts
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        source.problems.append(InputProblem(source.path, "damaged", str(exc) or type(exc).__name__))
    if rest and not skipping:
        source.lines += 1
        yield rest
    if nul:
        source.problems.append(InputProblem(source.path, "binary", "NUL", nul))
    if long_lines:
        source.problems.append(InputProblem(source.path, "long_lines", str(MAX_LINE), long_lines))


def read_blocks(source: Source, fh: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """The lines of :func:`read_lines` (the same ones, counted and skipped alike), as blocks
    ``(buf, end)``: ``buf[1:end - 1]`` is whole lines joined by newlines, ``buf[0]`` and
    ``buf[end - 1]`` are newlines (so that one pattern can anchor every line on a newline)."""
    rest = b""
    skipping = False
    long_lines = nul = 0
    read = fh.read1 if isinstance(fh, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile) else fh.read
    try:
        while True:
            data = read(CHUNK)
            if not data:
                break
            source.bytes += len(data)
            nul += data.count(b"\x00")
            if skipping:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data, skipping = data[cut:], False  # read_lines yields an empty line here
            buf = b"".join((b"\n", rest, data))
            end = buf.rfind(b"\n") + 1
            rest = buf[end:]
            if len(rest) > MAX_LINE:
                rest, skipping = b"", True
                long_lines += 1
            if end > 1:
                source.lines += buf.count(b"\n", 0, end) - 1
                yield buf, end
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        source.problems.append(InputProblem(source.path, "damaged", str(exc) or type(exc).__name__))
    if rest and not skipping:
        source.lines += 1
        yield b"\n" + rest + b"\n", len(rest) + 2
    if nul:
        source.problems.append(InputProblem(source.path, "binary", "NUL", nul))
    if long_lines:
        source.problems.append(InputProblem(source.path, "long_lines", str(MAX_LINE), long_lines))


def open_source(path: str) -> tuple[Source, BinaryIO] | InputProblem:
    try:
        fh, mtime = _open(path)
    except OSError as exc:
        return InputProblem(path, "unreadable", exc.strerror or str(exc))
    return Source(path, mtime), fh


class YearGuess:
    """Syslog stamps -> aware datetimes (local zone), years inferred as the module says."""

    def __init__(self, reference: dt.datetime) -> None:
        self.reference = reference
        self.tz = reference.tzinfo or dt.datetime.now().astimezone().tzinfo
        self.year: int | None = None
        self.month = 0

    def observe(self, stamp: bytes) -> None:
        """Follow the months of successive syslog stamps (call for every event in order)."""
        month = MONTHS.get(stamp[:3])
        if month is None or month == self.month:
            return
        if self.year is None:
            day = _int(stamp[4:6])
            ref = self.reference
            later = (month, day) > (ref.month, ref.day + 1)
            self.year = ref.year - 1 if later else ref.year
        elif month < self.month and self.month - month >= 6:
            self.year += 1
        elif month - self.month >= 11:  # January, then a late December line
            self.year -= 1
        self.month = month

    def resolve(self, stamp: bytes) -> dt.datetime | None:
        """The datetime of ``stamp`` (ISO or syslog, after :meth:`observe`), or None."""
        if stamp[:1].isdigit():
            return _iso(stamp, self.tz)
        month = MONTHS.get(stamp[:3])
        if month is None:
            return None
        self.observe(stamp)
        try:
            day, hms = stamp[4:].split()
            h, m, s = (int(x) for x in hms.split(b":"))
            return dt.datetime(self.year or self.reference.year, month, int(day), h, m, s,
                               tzinfo=self.tz)
        except ValueError:
            return None


def _int(b: bytes) -> int:
    try:
        return int(b)
    except ValueError:
        return 0


def _iso(stamp: bytes, tz: dt.tzinfo | None) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(stamp.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)
