"""The block loop (mailtls.logs.fast, the default) and the line-by-line reference loop
(read_all(reference=True)) give the same run: the whole --json document, peer order and
event kinds included, on the lab's real logs and on generated and fuzzed ones, with blocks
small enough that lines cross them."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtls.cli.logs import document
from mailtls.logs import read
from mailtls.logs.findings import findings
from mailtls.logs.stream import read_all

DATA = Path(__file__).parent / "data"
REAL = sorted(DATA.glob("*.log"))
LINES = [x for p in REAL for x in p.read_bytes().splitlines()]

# lines where a common shape carries a keyword that the reference tries first, and others
# that only the reference reads
TRICKY = [
    b"Dec  2 08:00:01 h postfix/smtp[7]: AAAAAA1: to=<a@x>, relay=mx.x[192.0.2.1]:25, delay=1, "
    b"dsn=2.0.0, status=sent (250 Verified TLS connection established to y[192.0.2.9]: TLSv1 "
    b"with cipher Z (1/1 bits))",
    b"Dec  2 08:00:02 h postfix/smtpd[8]: AAAAAA2: client=c.x[192.0.2.2], disconnect from "
    b"d.x[192.0.2.3] commands=1",
    b"Dec  2 08:00:03 h postfix/smtpd[8]: disconnect from d.x[192.0.2.3] SSL_accept error from "
    b"e.x[192.0.2.4]: -1",
    b"Dec  2 08:00:04 h postfix/smtp[7]: AAAAAA3: to=<b@x>, relay=mx.x[192.0.2.1]:25, "
    b"dsn=4.7.5, status=deferred (certificate verification failed for mx.x[192.0.2.1]:25: "
    b"untrusted issuer)",
    b"Dec  2 08:00:05 h postfix/smtp[7]: AAAAAA4: to=<c@x>, relay=local, status=sent (ok)",
    b"Dec  2 08:00:06 h postfix/smtp[7]: AAAAAA5: to=<c@x>, relay=x[1.2.3.4]:123456, "
    b"status=sent (ok)",
    b"Dec  2 08:00:07 h postfix/smtp[7]: AAAAAA6: to=<c@x>, relay=mx.x[192.0.2.1]:25, "
    b"status=Sent status=sent (ok)",
    b"Dec  2 08:00:08 h postfix/smtp[7]: TLS is required, but was not offered by host x",
    b"Dec  2 08:00:09 h dovecot: imap-login: Disconnected (no auth attempts): user=<>, "
    b"rip=192.0.2.7, lip=192.0.2.1, TLS, session=<x>",
    b"2024-12-02T08:00:10.123456+01:00 h postfix/smtpd[9]: disconnect from u[192.0.2.5] "
    b"ehlo=1 auth=1 commands=2",
    b"Dec 02 08:00:11 h postfix/smtpd[9]: AAAAAA7: client=\xff\xfe[192.0.2.6]\r",
    b"disconnect from u[192.0.2.5] ehlo=1 auth=0/1 commands=1/2",
    b"Jan  1 00:00:01 h postfix/smtpd[9]: Anonymous TLS connection established from "
    b"n.x[192.0.2.8]: TLSv1.1 with cipher C (128/256 bits)",
]


def summary_doc(paths: list[str], reference: bool) -> dict[str, Any]:
    run = read_all(paths, reference=reference)
    doc = document(run, findings(run), "en")
    return json.loads(json.dumps(doc))  # type: ignore[no-any-return]


def same(paths: list[str]) -> dict[str, Any]:
    fast = summary_doc(paths, reference=False)
    assert fast == summary_doc(paths, reference=True)
    # dict order too (peer order decides which peers fold into "(other peers)")
    assert list(fast["totals"]["events"]) == list(
        summary_doc(paths, reference=True)["totals"]["events"])
    return fast


def generated(rng: random.Random, n: int) -> bytes:
    """Real and tricky lines under varied hosts, pids, peers and header formats."""
    out = []
    for _ in range(n):
        line = rng.choice(LINES) if rng.random() < 0.85 else rng.choice(TRICKY)
        head, sep, msg = line.partition(b"]: ")
        if sep and rng.random() < 0.7:
            prog = head.rsplit(b" ", 1)[-1].partition(b"[")[0]
            stamp = rng.choice([b"Dec  2 08:22:05", b"Dec 02 09:00:00", b"Jan  3 00:00:01",
                                b"2024-12-02T08:22:05+00:00"])
            host = rng.choice([b"a", b"b", b""])
            head = stamp + (b" " + host if host else b"") + b" " + prog + b"[%d" % rng.randrange(4)
        line = head + sep + msg
        if rng.random() < 0.1:
            line = line.replace(b"127.0.0.1", b"192.0.2.%d" % rng.randrange(3))
        out.append(line)
    return b"\n".join(out) + b"\n"


def test_real_lab_logs_each_and_together() -> None:
    for p in REAL:
        same([str(p)])
    doc = same([str(p) for p in REAL])
    assert doc["totals"]["mail"]["outbound"] == {"verified": 3, "unverified": 2, "clear": 2}


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 97])
def test_generated_logs(tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "CHUNK", chunk)
    monkeypatch.setattr(read, "MAX_LINE", 150)  # some lines are skipped as too long
    log = tmp_path / "mail.log"
    log.write_bytes(generated(random.Random(chunk), 3000))
    doc = same([str(log)])
    assert doc["unknown_lines"] > 0 and doc["totals"]["events"]["tls"] > 0
    # a line is too long only when its unfinished tail outlasts a block (read_lines)
    assert any(p["kind"] == "long_lines" for p in doc["problems"]) == (chunk < 1 << 20)


def test_every_tricky_line_alone_and_in_a_block(tmp_path: Path) -> None:
    log = tmp_path / "mail.log"
    for line in TRICKY:
        log.write_bytes(line + b"\n")
        same([str(log)])
        log.write_bytes(b"\n".join([*LINES[:40], line, *LINES[40:80]]))
        same([str(log)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LINES + TRICKY), st.binary(max_size=120)),
                max_size=40),
       st.integers(1, 400), st.sampled_from([b"\n", b"\r\n"]))
def test_fuzzed_logs(lines: list[bytes], cut: int, newline: bytes) -> None:
    data = newline.join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "mail.log"
        log.write_bytes(data)
        old = read.CHUNK
        read.CHUNK = cut
        try:
            same([str(log)])
        finally:
            read.CHUNK = old


def test_last_time_comes_from_the_last_event_even_when_parse_line_read_it(tmp_path: Path) -> None:
    """A block whose last event went to parse_line (found by the fuzz test)."""
    log = tmp_path / "mail.log"
    tls = next(x for x in LINES if b"TLS connection established" in x)
    log.write_bytes(tls + b"\n" + TRICKY[1] + b"\n")
    assert same([str(log)])["last"] == summary_doc([str(log)], reference=True)["last"]
