"""The fast read loop: whole blocks of lines at a time, one regular expression pass each.

The line-by-line loop (:func:`mailtls.logs.stream.reference_one`) costs a Python call, a
header match, an :class:`~mailtls.logs.parse.Event` and a dispatch per relevant line. Here a
block of about :data:`~mailtls.logs.read.CHUNK` bytes of whole lines is scanned by two
compiled patterns, in C:

* :data:`KEYWORD_LINE` counts the lines that the reference would parse at all (those with
  one of the keywords of ``stream``);
* :data:`FAST` finds, with their fields, the lines of the four common shapes: ``... TLS
  connection established|reused to|from PEER: ...``, ``disconnect from PEER counters``,
  ``QID: client=PEER``, ``QID: to=<..>, relay=R, ... status=S``, after a syslog or RFC 3339
  header.

When the two counts agree, every line the reference would look at is one of the shapes and
the block is summarised from the tuples alone; otherwise (a Dovecot line, a failure, an
unknown line) the block goes line by line, shapes first and :func:`parse_line` for the rest.
The patterns are built from those of ``parse`` (same text, same order of preference) and
anchored where the reference's ``search`` would find its leftmost match, so both give the
same events; a shape whose line also carries a keyword that the reference tries first goes
to :func:`parse_line`. ``tests/logs/test_logs_fast.py`` checks the equality on real and
generated logs.
"""

from __future__ import annotations

import re

from . import parse
from .parse import parse_line
from .read import MONTHS, YearGuess
from .summary import Summary

#: The keywords of the reference loop: a line without any of them is never parsed.
KEYWORDS = (b"TLS", b"status=", b"client=", b"disconnect", b"SSL_", b"verification", b"Login:")
KEYWORD_LINE = re.compile(b"(?:" + b"|".join(KEYWORDS) + rb")[^\n]*()")

# parse_message tries "TLS connection ", "TLS library problem", "lost connection after
# STARTTLS" (all with "TLS"), "SSL_" and this before "disconnect from", "client=" and
# "status=": a line of those shapes that carries one of them is left to parse_line.
_VERIFY = b"certificate verification failed"


def _groups(pattern: bytes, prefix: str, keep: tuple[str, ...]) -> bytes:
    """``pattern`` with the named groups in ``keep`` renamed ``prefix + name`` and the
    others made non-capturing (the matching is unchanged)."""
    def rename(m: re.Match[bytes]) -> bytes:
        name = m[1].decode()
        return f"(?P<{prefix}{name}>".encode() if name in keep else b"(?:"
    return re.sub(rb"\(\?P<(\w+)>", rename, pattern)


def _build() -> re.Pattern[bytes]:
    header = _groups(parse._HEADER.pattern, "", ("iso", "mon", "day", "hms", "host", "prog",
                                                   "pid"))
    tls = _groups(parse._TLS.pattern, "t", ("trust", "dir", "peer", "proto", "cipher"))
    disconnect = _groups(parse._DISCONNECT.pattern, "d", ("peer", "counts"))
    # parse._CLIENT without its optional trailing sasl_method (the summary does not use it)
    client = _groups(parse._QID + rb"client=" + parse._PEER, "c", ("peer",))
    relay_peer = parse._PEER.replace(rb"[^\s\[\]]", rb"[^\s\[\],]")
    delivery = _groups(parse._DELIVERY.pattern.replace(rb"[^>]", rb"[^>\n]").replace(
        rb"(?P<relay>[^,\s]+),", rb"(?:" + relay_peer + rb"|[^,\s]+),"), "r", ("peer",))
    # the first " status=" after relay= (parse._delivery: msg.find), then parse._STATUS
    status = (rb"(?>[^\n]*? status=)(?P<status>[a-z]+)(?: \((?P<text>[^\n]*)\))?")
    # Dovecot logins: read by parse_line itself
    dovecot = rb"(?P<dove>(?:imap|pop3|managesieve|submission)-login: (?:Info: )?Login: )"
    return re.compile(rb"\n(?P<line>(?>" + header + rb")(?:" + tls + rb"|" + disconnect
                      + rb"|" + client + rb"|" + delivery + status + rb"|" + dovecot
                      + rb")[^\n]*)")


FAST = _build()
_N = FAST.groups
_TRUST = {b"Verified": "verified", b"Trusted": "trusted", b"Untrusted": "untrusted",
          b"Anonymous": "anonymous"}


class FastReader:
    """Summarises blocks of whole lines into one :class:`Summary` (see the module)."""

    def __init__(self, summary: Summary, years: YearGuess) -> None:
        self.summary = summary
        self.years = years
        self.unknown = 0
        self.first: bytes | None = None
        self.last = b""
        self._direction: dict[tuple[bytes, str], str] = {}
        self._counters: dict[bytes, tuple[tuple[int, int] | None, tuple[int, int] | None,
                                          int | None]] = {}

    def block(self, buf: bytes, end: int) -> None:
        """``buf[1:end]``: whole lines, ``buf[0]`` and ``buf[end - 1]`` are newlines."""
        found = FAST.findall(buf, 0, end)
        if len(found) == len(KEYWORD_LINE.findall(buf, 0, end)):
            # every line that the reference parses is one of the shapes
            self._tuples(found)
            return
        for line in buf[1:end - 1].split(b"\n"):
            if (b"TLS" not in line and b"status=" not in line and b"client=" not in line
                    and b"disconnect" not in line and b"SSL_" not in line
                    and b"verification" not in line and b"Login:" not in line):
                continue
            m = FAST.match(b"\n" + line)
            if m is None:
                self._slow(line)
            else:
                self._tuples([m.groups(b"")])

    def _slow(self, line: bytes) -> None:
        ev = parse_line(line)
        if ev is None:
            self.unknown += 1
            return
        if ev.stamp:
            self.years.observe(ev.stamp)
            if self.first is None:
                self.first = ev.stamp
            self.last = ev.stamp
        self.summary.add(ev)

    def _tuples(self, found: list[tuple[bytes, ...]]) -> None:
        summary, years, kinds = self.summary, self.years, self.summary.kinds
        direction = self._direction
        for (line, iso, mon, day, hms, host, prog, pid, trust, tdir, tpeer, proto, cipher,
             dpeer, counts, cpeer, rpeer, status, text, dove) in found:
            if trust:
                kind = "tls"
            elif dove or b"TLS" in line or b"SSL_" in line or _VERIFY in line or (
                    not dpeer and b"disconnect from" in line):
                # a Dovecot login, or a keyword that parse_message tries before this shape's
                self._slow(line)
                continue
            else:
                kind = "disconnect" if dpeer else "client" if cpeer else "delivery"
            stamp = iso or b"%s %s %s" % (mon, day, hms)
            if mon and MONTHS[mon] != years.month:
                years.observe(stamp)
            if self.first is None:
                self.first = stamp
            self.last = stamp
            summary.events += 1
            kinds[kind] += 1
            h = host.decode("utf-8", "replace")
            p = pid.decode()
            if trust:
                how = "outbound" if tdir == b"to" else "inbound"
                d = direction.get((prog, how)) or self._dir(prog, how)
                summary.tls(h, p, d, tpeer.decode("utf-8", "replace"), _TRUST[trust],
                            proto.decode("utf-8", "replace"),
                            cipher.decode("utf-8", "replace"))
            elif dpeer:
                d = direction.get((prog, "inbound")) or self._dir(prog, "inbound")
                starttls, auth, commands = self._counts(counts)
                summary.disconnect(h, p, d, dpeer.decode("utf-8", "replace"), "smtp",
                                   commands, starttls, auth)
            elif cpeer:
                d = direction.get((prog, "inbound")) or self._dir(prog, "inbound")
                summary.client(h, p, d, cpeer.decode("utf-8", "replace"))
            elif rpeer:
                d = direction.get((prog, "outbound")) or self._dir(prog, "outbound")
                st = status.decode()
                reason = (text.decode("utf-8", "replace")[:160] or None
                          if st != "sent" else None)
                summary.delivery(h, p, d, rpeer.decode("utf-8", "replace"), st, reason)

    def _dir(self, prog: bytes, fallback: str) -> str:
        """parse._direction of ``prog``, remembered (a bounded cache)."""
        if len(self._direction) > 4096:
            self._direction.clear()
        d = self._direction[(prog, fallback)] = parse._direction(
            prog.decode("utf-8", "replace"), fallback) or "inbound"
        return d

    def _counts(self, counts: bytes) -> tuple[tuple[int, int] | None, tuple[int, int] | None,
                                              int | None]:
        got = self._counters.get(counts)
        if got is None:
            if len(self._counters) > 4096:
                self._counters.clear()
            ev = parse.Event("disconnect")
            parse.counters(counts, ev)
            got = self._counters[counts] = (ev.starttls, ev.auth, ev.commands)
        return got

