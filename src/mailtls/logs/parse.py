"""Postfix and Dovecot TLS log lines -> :class:`Event` (pure functions over bytes).

Grammar, learnt from real logs of Postfix 3.7 (``smtpd_tls_loglevel = 1``,
``smtp_tls_loglevel = 1``) and Dovecot 2.3 produced by the tests (tests/logs/data/):

    line     = [header] message
    header   = time SP [host SP] program ["[" pid "]"] ":" SP
    time     = "Dec  2 08:22:05" | "Dec 02 08:22:05" (syslog, maillog_file, no year)
             | "2024-12-02T08:22:05[.frac](Z|+0000|+00:00)" (rsyslog RFC 3339,
               journalctl -o short-iso)
    (no header at all: journalctl -o cat; the program is then guessed from the message)

Messages (Postfix tls_misc.c, tls_verify.c, smtpd.c, smtp.c; Dovecot login-common):

    (Anonymous|Untrusted|Trusted|Verified) TLS connection (established|reused)
        (to|from) PEER: PROTO with cipher CIPHER (USED/ALG bits)[ key-exchange K]
        [ server-signature S ...]
    certificate verification failed for PEER: REASON
    SSL_accept error from PEER: N        SSL_connect error to PEER: N
    warning: TLS library problem: error:XXXXXXXX:LIB::REASON:FILE:LINE:
    lost connection after STARTTLS from PEER
    disconnect from PEER [name=N[/M] ...] commands=N[/M]
    QUEUEID: client=PEER[, sasl_method=M, sasl_username=U]
    QUEUEID: to=<R>, relay=PEER, ..., status=S (TEXT)
    imap-login: [Info: ]Login: user=<U>, method=M, rip=A, lip=A, mpid=N, (TLS|secured), ...
    imap-login: [Info: ]Disconnected: ...: user=<>, rip=A, lip=A, TLS handshaking: REASON, ...

Only lines carrying one of :data:`KEYWORDS` are matched against a regular expression at
all; the rest are counted. Nothing here raises on any input (a property test feeds it
arbitrary bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A line without any of these is never parsed (fast path over ordinary mail log lines).
KEYWORDS = (b"TLS", b"status=", b"client=", b"disconnect from", b"SSL_", b"verification",
            b"Login:")

TRUST_LEVELS = ("verified", "trusted", "untrusted", "anonymous")

_HEADER = re.compile(
    rb"(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    rb"|(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<day>\d\d?)"
    rb" (?P<hms>\d\d:\d\d:\d\d)(?:\.\d+)?) "
    rb"(?:(?P<host>[^\s:\[\]]+) )?(?P<prog>[^\s:\[\]]+)(?:\[(?P<pid>\d{1,10})\])?: ")
_PEER = rb"(?P<peer>[^\s\[\]]*\[[0-9A-Fa-f:.]*\](?::\d{1,5})?)"
_PEER_RE = re.compile(_PEER)
_TLS = re.compile(
    rb"(?P<trust>Anonymous|Untrusted|Trusted|Verified) TLS connection (?:established|reused)"
    rb" (?P<dir>to|from) " + _PEER + rb": (?P<proto>[A-Za-z0-9.]+) with cipher (?P<cipher>\S+)"
    rb" \((?P<bits>\d+)/\d+ bits\)(?: key-exchange (?P<kex>\S+))?"
    rb"(?: server-signature (?P<sig>\S+))?")
_VERIFY = re.compile(rb"certificate verification failed for " + _PEER + rb": (?P<reason>.*)")
_SSL_ERR = re.compile(rb"SSL_(?P<op>accept|connect) error (?:from|to) " + _PEER)
_LIBRARY = re.compile(rb"TLS library problem: (?:error:[0-9A-Fa-f]+:[^:]*:[^:]*:)?"
                      rb"(?P<reason>[^:]*)")
_LOST = re.compile(rb"lost connection after STARTTLS from " + _PEER)
_DISCONNECT = re.compile(rb"disconnect from " + _PEER + rb"(?P<counts>(?: [a-z]+=\d+(?:/\d+)?)*)")
_COUNTER = re.compile(rb"([a-z]+)=(\d+)(?:/(\d+))?")
_QID = rb"(?P<qid>[0-9A-F]{6,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,20}): "
_CLIENT = re.compile(_QID + rb"client=" + _PEER + rb"(?:.*?sasl_method=(?P<sasl>[^,\s]+))?")
_DELIVERY = re.compile(
    _QID + rb"to=<(?P<rcpt>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,\s]+),")
_STATUS = re.compile(rb"status=(?P<status>[a-z]+)(?: \((?P<text>.*)\))?")
_DOVECOT = re.compile(
    rb"(?:(?P<svc>imap|pop3|managesieve|submission)-login: )?(?:Info: )?"
    rb"(?P<what>Login|Disconnected|Aborted login)(?P<rest>[:( ].*)")
_RIP = re.compile(rb"rip=(?P<rip>[0-9A-Fa-f:.]+)")
_USER = re.compile(rb"user=<(?P<user>[^>]*)>")
_METHOD = re.compile(rb"method=(?P<method>[A-Za-z0-9-]+)")
_HANDSHAKE = re.compile(rb"TLS handshaking: (?P<reason>.*?)(?:, session=<|$)")
_DOVECOT_TLS = re.compile(rb"(?P<proto>TLSv1(?:\.[0-3])?|SSLv3) with cipher (?P<cipher>\S+)")
_OPENSSL_REASON = re.compile(rb"error:[0-9A-Fa-f]+:[^:]*:[^:]*:(?P<reason>[^:,]*)")


@dataclass(slots=True)
class Event:
    """One TLS-relevant fact of one line; fields not carried by the line stay None.

    ``kind``: tls, verify_failed, handshake_failed, tls_problem, lost_starttls,
    disconnect, client, delivery, login, login_failed.
    """

    kind: str
    program: str = ""
    host: str = ""
    pid: str = ""
    stamp: bytes = b""
    direction: str | None = None  # "inbound" | "outbound"
    peer: str | None = None  # name[address][:port] as logged ([address] for Dovecot)
    trust: str | None = None
    protocol: str | None = None
    cipher: str | None = None
    bits: int | None = None
    kex: str | None = None
    signature: str | None = None
    queue_id: str | None = None
    relay: str | None = None
    status: str | None = None
    reason: str | None = None
    service: str = "smtp"
    user: str | None = None
    method: str | None = None
    tls: bool | None = None
    starttls: tuple[int, int] | None = None  # (succeeded, attempted)
    auth: tuple[int, int] | None = None
    commands: int | None = None  # successful SMTP commands of the session

    @property
    def peer_addr(self) -> str | None:
        if not self.peer or "[" not in self.peer:
            return None
        return self.peer.partition("[")[2].partition("]")[0] or None

    @property
    def peer_port(self) -> int | None:
        tail = (self.peer or "").rpartition("]")[2]
        return int(tail[1:]) if tail[1:].isdigit() else None


def _s(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", "replace")


def _peer(m: re.Match[bytes], ev: Event) -> None:
    ev.peer = m["peer"].decode("utf-8", "replace")


def _direction(program: str, fallback: str | None = None) -> str | None:
    leaf = program.rsplit("/", 1)[-1]
    if leaf in ("smtpd", "tlsproxy", "postscreen", "submission", "smtps"):
        return "inbound"
    if leaf in ("smtp", "lmtp", "relay"):
        return "outbound"
    return fallback


def _tls(msg: bytes) -> Event | None:
    m = _TLS.search(msg)
    if m is None:
        return None
    ev = Event("tls", trust=m["trust"].decode().lower(), protocol=_s(m["proto"]),
               cipher=_s(m["cipher"]), bits=int(m["bits"]), kex=_s(m["kex"]),
               signature=_s(m["sig"]), tls=True,
               direction="outbound" if m["dir"] == b"to" else "inbound")
    _peer(m, ev)
    return ev


def _verify(msg: bytes) -> Event | None:
    m = _VERIFY.search(msg)
    if m is None:
        return None
    ev = Event("verify_failed", direction="outbound", reason=verify_reason(m["reason"]))
    _peer(m, ev)
    return ev


def verify_reason(raw: bytes) -> str:
    """``untrusted issuer /CN=...`` -> ``untrusted issuer``; ``num=10:certificate has
    expired`` -> ``certificate has expired``; the text itself otherwise (trimmed)."""
    text = raw.decode("utf-8", "replace").strip()
    if text.startswith("untrusted issuer"):
        return "untrusted issuer"
    if text.startswith("num="):
        text = text.partition(":")[2]
    if text.startswith("subject_CN="):
        return "name mismatch"
    return text[:120]


def _ssl_error(msg: bytes) -> Event | None:
    m = _SSL_ERR.search(msg)
    if m is None:
        return None
    ev = Event("handshake_failed", direction="inbound" if m["op"] == b"accept" else "outbound")
    _peer(m, ev)
    return ev


def _library(msg: bytes) -> Event | None:
    m = _LIBRARY.search(msg)
    return None if m is None else Event("tls_problem", reason=_s(m["reason"]) or "unknown")


def _lost(msg: bytes) -> Event | None:
    m = _LOST.search(msg)
    if m is None:
        return None
    ev = Event("lost_starttls", direction="inbound")
    _peer(m, ev)
    return ev


def _disconnect(msg: bytes) -> Event | None:
    m = _DISCONNECT.search(msg)
    if m is None:
        return None
    ev = Event("disconnect", direction="inbound")
    _peer(m, ev)
    counters(m["counts"], ev)
    return ev


def counters(counts: bytes, ev: Event) -> None:
    """`` ehlo=2 starttls=1 auth=0/1 commands=3/4`` -> ``ev.starttls``, ``ev.auth``,
    ``ev.commands`` (the last of each name wins)."""
    for name, ok, total in _COUNTER.findall(counts):
        pair = (int(ok), int(total or ok))
        if name == b"starttls":
            ev.starttls = pair
        elif name == b"auth":
            ev.auth = pair
        elif name == b"commands":
            ev.commands = pair[0]


def _client(msg: bytes) -> Event | None:
    m = _CLIENT.match(msg)
    if m is None:
        return None
    ev = Event("client", direction="inbound", queue_id=_s(m["qid"]), method=_s(m["sasl"]))
    _peer(m, ev)
    return ev


def _delivery(msg: bytes) -> Event | None:
    m = _DELIVERY.match(msg)
    if m is None:
        return None
    st = _STATUS.match(msg, msg.find(b" status=", m.end()) + 1)
    if st is None:
        return None
    status = st["status"].decode()
    reason = None
    if status != "sent" and st["text"]:
        reason = st["text"].decode("utf-8", "replace")[:160]
    ev = Event("delivery", direction="outbound", queue_id=m["qid"].decode(), status=status,
               reason=reason, user=_s(m["rcpt"]))
    relay = m["relay"]
    ev.relay = relay.decode("utf-8", "replace")
    if _PEER_RE.fullmatch(relay):
        ev.peer = ev.relay
    return ev


def _dovecot(msg: bytes, program: bytes = b"") -> Event | None:
    m = _DOVECOT.search(msg)
    if m is None:
        return None
    rest = m["rest"]
    svc_raw = m["svc"] or (program[:-6] if program.endswith(b"-login") else b"")
    if not svc_raw:
        return None
    svc = svc_raw.decode("utf-8", "replace")
    handshake = _HANDSHAKE.search(rest)
    login = m["what"] == b"Login"
    if not login and handshake is None:
        return None  # a disconnect without a TLS failure: nothing about TLS
    ev = Event("login" if login else "login_failed", direction="inbound",
               service="sieve" if svc == "managesieve" else svc, program=f"dovecot/{svc}-login")
    rip, user, method = _RIP.search(rest), _USER.search(rest), _METHOD.search(rest)
    ev.peer = f"[{rip['rip'].decode()}]" if rip else None
    ev.user = (_s(user["user"]) or None) if user else None
    ev.method = _s(method["method"]) if method else None
    ev.tls = b", TLS" in rest or handshake is not None or b" TLS," in rest
    tls = _DOVECOT_TLS.search(rest)
    if tls is not None:
        ev.protocol, ev.cipher = _s(tls["proto"]), _s(tls["cipher"])
    if handshake is not None:
        ev.reason = openssl_reason(handshake["reason"])
    return ev


def openssl_reason(raw: bytes) -> str:
    """``SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol`` ->
    ``unsupported protocol``; other text as it is (trimmed)."""
    m = _OPENSSL_REASON.search(raw)
    if m is not None and m["reason"].strip():
        return m["reason"].strip().decode("utf-8", "replace")
    return raw.decode("utf-8", "replace").strip()[:120]


_BY_KEYWORD = (
    (b"TLS connection ", _tls),
    (b"certificate verification failed", _verify),
    (b"SSL_", _ssl_error),
    (b"TLS library problem", _library),
    (b"lost connection after STARTTLS", _lost),
    (b"disconnect from", _disconnect),
    (b"client=", _client),
    (b"status=", _delivery),
    (b"Login: ", _dovecot),
    (b"TLS handshaking", _dovecot),
)


def parse_message(msg: bytes, program: bytes = b"") -> Event | None:
    """The event of one message (the text after the header), or None. ``program``: the
    header's (Dovecot's own log file names ``imap-login`` there, not in the message)."""
    for keyword, parser in _BY_KEYWORD:
        if keyword in msg:
            ev = _dovecot(msg, program) if parser is _dovecot else parser(msg)
            if ev is not None:
                return ev
    return None


def parse_line(line: bytes) -> Event | None:
    """The event of one whole log line (with or without a syslog/ISO header), or None."""
    header = _HEADER.match(line)
    if header is None:
        ev = parse_message(line)  # journalctl -o cat: the message alone
        return ev
    ev = parse_message(line[header.end():], header["prog"] or b"")
    if ev is None:
        return None
    iso = header["iso"]
    ev.stamp = iso if iso else b"%s %s %s" % (header["mon"], header["day"], header["hms"])
    if not ev.program:
        ev.program = (header["prog"] or b"").decode("utf-8", "replace")
    ev.host = (header["host"] or b"").decode("utf-8", "replace")
    ev.pid = (header["pid"] or b"").decode()
    if ev.kind in ("client", "delivery", "disconnect", "tls", "handshake_failed", "lost_starttls"):
        ev.direction = _direction(ev.program, ev.direction)
    return ev


def relevant(line: bytes) -> bool:
    """Cheap test: could this line carry an event?"""
    return any(k in line for k in KEYWORDS)
