"""Bad and varied input: compressed and rotated sets, stdin, truncated gzip, binary garbage,
10 MB lines, mixed time formats and years, an unreadable file among readable ones."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailtls.logs import read_all
from mailtls.logs.read import MAX_LINE, YearGuess, rotated_set

DATA = Path(__file__).parent / "data"
SENDER = DATA / "postfix-sender.log"
UTC = dt.UTC


def mailtls(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "mailtls", "logs", *args], input=stdin,
                          capture_output=True, timeout=120, check=False)


def outbound(paths: list[str], **kw: object) -> dict[str, int]:
    return read_all(paths, **kw).summary.totals()["mail"]["outbound"]  # type: ignore[arg-type]


def test_gzip_and_plain_give_the_same_counts(tmp_path: Path) -> None:
    gz = tmp_path / "mail.log.gz"
    gz.write_bytes(gzip.compress(SENDER.read_bytes()))
    assert outbound([str(gz)]) == outbound([str(SENDER)]) == {
        "verified": 3, "unverified": 2, "clear": 2}


def test_rotated_set_is_read_oldest_first(tmp_path: Path) -> None:
    lines = SENDER.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    (tmp_path / "mail.log.1.gz").write_bytes(gzip.compress(b"".join(lines[:half])))
    (tmp_path / "mail.log").write_bytes(b"".join(lines[half:]))
    (tmp_path / "mail.log.bak").write_bytes(b"not part of the set\n")
    assert [p.name for p in rotated_set(tmp_path / "mail.log")] == ["mail.log.1.gz", "mail.log"]
    assert outbound([str(tmp_path / "mail.log")], rotated=True) == outbound([str(SENDER)])
    assert outbound([str(tmp_path / "mail.log")]) != outbound([str(SENDER)])


def test_stdin_and_journalctl_cat(tmp_path: Path) -> None:
    cat = b"\n".join(x.partition(b"]: ")[2] for x in SENDER.read_bytes().splitlines())
    done = mailtls("--json", "-", stdin=cat)
    doc = json.loads(done.stdout)
    # -o cat has no pids: all deliveries join with the last TLS line, so only totals hold
    assert sum(doc["totals"]["mail"]["outbound"].values()) == 7
    assert doc["files"][0]["path"] == "-"


def test_truncated_gzip_is_named_and_what_was_read_counts(tmp_path: Path) -> None:
    whole = gzip.compress(SENDER.read_bytes() * 50)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    run = read_all([str(cut), str(SENDER)])
    kinds = [(p.path, p.kind) for p in run.problems]
    assert kinds == [(str(cut), "damaged")]
    assert sum(run.summary.totals()["mail"]["outbound"].values()) > 7  # read up to the damage


def test_binary_garbage_and_long_lines_are_counted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    with bad.open("wb") as fh:
        fh.write(os.urandom(300_000))
        fh.write(b"\n" + b"x" * (10 * 1024 * 1024) + b"\n")  # a 10 MB line
        fh.write(b"TLS" * (MAX_LINE // 2) + b"\n")
        fh.write(SENDER.read_bytes())
    run = read_all([str(bad)])
    problems = {p.kind: p.count for p in run.problems}
    assert problems["long_lines"] >= 1
    assert problems["binary"] >= 1
    assert run.summary.totals()["mail"]["outbound"] == {"verified": 3, "unverified": 2,
                                                        "clear": 2}


def test_unreadable_file_among_readable_ones(tmp_path: Path) -> None:
    missing = tmp_path / "gone.log"
    directory = tmp_path / "a-directory.log"
    directory.mkdir()
    done = mailtls("--json", str(missing), str(SENDER), str(directory))
    assert done.returncode == 66, done.stderr
    doc = json.loads(done.stdout)
    unreadable = [p for p in doc["problems"] if p["kind"] == "unreadable"]
    assert {p["path"] for p in unreadable} == {str(missing), str(directory)}
    assert doc["totals"]["mail"]["outbound"] == {"verified": 3, "unverified": 2, "clear": 2}
    assert [f["id"] for f in doc["findings"]].count("logs.input_unreadable") == 2
    text = mailtls(str(missing), str(SENDER))
    assert text.returncode == 66 and b"Traceback" not in text.stderr + text.stdout
    assert str(missing).encode() in text.stdout


def test_years_from_mtime_and_rollover() -> None:
    # written on 2025-01-03: December lines are from 2024, January lines from 2025
    years = YearGuess(dt.datetime(2025, 1, 3, 12, tzinfo=UTC))
    assert years.resolve(b"Dec 30 23:59:59") == dt.datetime(2024, 12, 30, 23, 59, 59, tzinfo=UTC)
    assert years.resolve(b"Jan  2 00:00:01") == dt.datetime(2025, 1, 2, 0, 0, 1, tzinfo=UTC)
    # a file whose first line is before the mtime in the same year
    same = YearGuess(dt.datetime(2025, 6, 1, tzinfo=UTC))
    assert same.resolve(b"May 31 10:00:00") == dt.datetime(2025, 5, 31, 10, tzinfo=UTC)
    # Nov .. Jan across new year, with a December line out of order after the first January
    rolling = YearGuess(dt.datetime(2025, 1, 5, tzinfo=UTC))
    stamps = [b"Nov 20 00:00:00", b"Dec 31 23:59:59", b"Jan  1 00:00:00", b"Dec 31 23:59:58",
              b"Jan  2 00:00:00", b"Jan  4 00:00:00"]
    got = [rolling.resolve(s) for s in stamps]
    assert [g.year for g in got if g] == [2024, 2024, 2025, 2024, 2025, 2025]


def test_mixed_time_formats_in_one_file(tmp_path: Path) -> None:
    msg = next(x for x in SENDER.read_bytes().splitlines() if b"Verified TLS" in x)
    msg = msg.partition(b"sender ")[2]
    log = tmp_path / "mixed.log"
    log.write_bytes(b"Dec 31 23:59:58 mx " + msg + b"\n"
                    b"2025-01-01T00:00:01.5+01:00 mx " + msg + b"\n"
                    b"Jan  1 00:00:02 mx " + msg + b"\n")
    stamp = dt.datetime(2025, 1, 1, 12).timestamp()
    os.utime(log, (stamp, stamp))
    run = read_all([str(log)])
    assert run.first is not None and run.last is not None
    assert (run.first.year, run.first.month) == (2024, 12)
    assert (run.last.year, run.last.month, run.last.day) == (2025, 1, 1)


@pytest.mark.parametrize("content", [b"", b"\n\n\n", b"\x00" * 100])
def test_empty_inputs(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "empty.log"
    p.write_bytes(content)
    done = mailtls(str(p))
    assert done.returncode in (0, 1) and b"Traceback" not in done.stderr
