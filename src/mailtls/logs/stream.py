"""Files -> events -> summary.

Two loops giving the same run: :func:`reference_one`, one line at a time (each line tested
for the keywords, then :func:`~mailtls.logs.parse.parse_line` and :meth:`Summary.add`),
used with ``on_event`` (the ECS writer receives each event with its resolved time and
file) and as the reference of the tests; and :class:`~mailtls.logs.fast.FastReader`,
blocks of lines at a time, the default. The summary never keeps an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .fast import FastReader
from .parse import parse_line
from .read import InputProblem, Source, YearGuess, open_source, read_blocks, read_lines, rotated_set
from .summary import Summary

EventSink = Callable[..., None]


@dataclass
class Run:
    """The outcome of reading all inputs."""

    summary: Summary
    sources: list[Source] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    unknown: int = 0  # lines with a keyword that no grammar matched
    first: dt.datetime | None = None
    last: dt.datetime | None = None

    @property
    def lines(self) -> int:
        return sum(s.lines for s in self.sources)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sources)

    @property
    def unreadable(self) -> list[InputProblem]:
        return [p for p in self.problems if p.kind == "unreadable"]


def expand(paths: Sequence[str], rotated: bool) -> list[str]:
    """Each path, or (``rotated``) its rotated set oldest first; ``-`` stays stdin."""
    out: list[str] = []
    for p in paths:
        if rotated and p != "-":
            out += [str(x) for x in rotated_set(Path(p))]
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def read_all(paths: Sequence[str], *, rotated: bool = False, max_peers: int = 10000,
             on_event: EventSink | None = None, reference: bool = False) -> Run:
    """Read every input into one :class:`Run`; ``reference``: the line-by-line loop even
    without ``on_event`` (the tests compare both)."""
    run = Run(Summary(max_peers))
    for path in expand(paths, rotated):
        opened = open_source(path)
        if isinstance(opened, InputProblem):
            run.problems.append(opened)
            continue
        source, fh = opened
        run.sources.append(source)
        try:
            if on_event is None and not reference:
                _fast_one(run, source, fh)
            else:
                reference_one(run, source, fh, on_event)
        finally:
            if path != "-":
                fh.close()
        run.problems += source.problems
    return run


def _fast_one(run: Run, source: Source, fh: object) -> None:
    years = YearGuess(source.mtime)
    reader = FastReader(run.summary, years)
    for buf, end in read_blocks(source, fh):  # type: ignore[arg-type]
        reader.block(buf, end)
    run.unknown += reader.unknown
    _span(run, years, reader.first, reader.last)


def reference_one(run: Run, source: Source, fh: object, on_event: EventSink | None) -> None:
    years = YearGuess(source.mtime)
    add = run.summary.add
    first: bytes | None = None
    last = b""
    unknown = 0
    for line in read_lines(source, fh):  # type: ignore[arg-type]
        if (b"TLS" not in line and b"status=" not in line and b"client=" not in line
                and b"disconnect" not in line and b"SSL_" not in line
                and b"verification" not in line and b"Login:" not in line):
            continue
        ev = parse_line(line)
        if ev is None:
            unknown += 1
            continue
        if ev.stamp:
            years.observe(ev.stamp)
            if first is None:
                first = ev.stamp
            last = ev.stamp
        add(ev)
        if on_event is not None:
            on_event(ev, years.resolve(ev.stamp) if ev.stamp else None, source.path)
    run.unknown += unknown
    _span(run, years, first, last)


def _span(run: Run, years: YearGuess, first: bytes | None, last: bytes) -> None:
    if first is None:
        return
    start = YearGuess(years.reference)
    a = start.resolve(first)
    b = years.resolve(last)
    if a is not None and (run.first is None or a < run.first):
        run.first = a
    if b is not None and (run.last is None or b > run.last):
        run.last = b
