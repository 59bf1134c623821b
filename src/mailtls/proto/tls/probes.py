# Vulnerability probes that only build bytes and classify the server's reply bytes (no I/O).
#
# Heartbleed (CVE-2014-0160), the safe variant: after the server's first flight (the
# ClientHello offered the heartbeat extension and the server answered with it), send one
# plaintext HeartbeatRequest whose payload_length claims the payload *and* its 16 padding
# bytes. A patched server (RFC 6520 4: 1 + 2 + payload_length + 16 > record length) discards
# it silently; a vulnerable one echoes payload_length bytes, which are only our own payload
# and padding: the probe proves the bug without reading any of the server's memory.
#   reply holds a heartbeat response   -> VULNERABLE
#   an alert, or silence until timeout -> NOT_VULNERABLE
#   anything else                      -> INCONCLUSIVE
#
# CCS injection (CVE-2014-0224): after the first flight (ServerHelloDone), send two
# ChangeCipherSpec records before any ClientKeyExchange. A patched server rejects the first
# with unexpected_message; a vulnerable one accepts it, switches to keys derived from an
# empty master secret, and fails to decrypt the second: bad_record_mac / decryption_failed.
#   alert bad_record_mac(20) / decryption_failed(21)    -> VULNERABLE
#   any other alert, or the connection closed           -> NOT_VULNERABLE
#   silence until timeout, or bytes that are no alert   -> INCONCLUSIVE

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailtls.errors import TLSRecordError
from mailtls.proto.tls.records import RecordSplitter, build_record
from mailtls.proto.tls.registry.codes import AlertDescription, ContentType
from mailtls.proto.tls.server import parse_alerts
from mailtls.proto.tls.wire import u8, u16

HEARTBEAT_REQUEST = 1
HEARTBEAT_RESPONSE = 2
HEARTBEAT_PADDING = 16
PROBE_PAYLOAD = b"mailtls heartbeat probe"


class Verdict(enum.Enum):
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE = "not_vulnerable"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class ProbeResult:
    verdict: Verdict
    reason: str


def build_heartbeat_request(
    version: int, *, payload: bytes = PROBE_PAYLOAD, overclaim: int | None = None
) -> bytes:
    """A plaintext heartbeat record. payload_length = len(payload) + 16 (the safe probe)
    unless ``overclaim`` gives the number of bytes to claim beyond the payload."""
    extra = HEARTBEAT_PADDING if overclaim is None else overclaim
    claimed = len(payload) + extra
    message = u8(HEARTBEAT_REQUEST) + u16(claimed) + payload + bytes(HEARTBEAT_PADDING)
    return build_record(ContentType.HEARTBEAT, version, message)


def build_ccs_injection_probe(version: int) -> bytes:
    """Two ChangeCipherSpec records, to send right after the server's ServerHelloDone."""
    ccs = build_record(ContentType.CHANGE_CIPHER_SPEC, version, b"\x01")
    return ccs + ccs


def _records(reply: bytes) -> list[tuple[int, bytes]] | None:
    splitter = RecordSplitter()
    try:
        return [(int(r.content_type), r.fragment) for r in splitter.feed(reply)]
    except TLSRecordError:
        return None


def classify_heartbeat_reply(reply: bytes, *, timed_out: bool) -> ProbeResult:
    """Judge the bytes the server sent after the heartbeat request."""
    records = _records(reply)
    if records is None:
        return ProbeResult(Verdict.INCONCLUSIVE, "the reply is not TLS records")
    for ctype, fragment in records:
        if ctype == ContentType.HEARTBEAT and fragment[:1] == bytes([HEARTBEAT_RESPONSE]):
            return ProbeResult(Verdict.VULNERABLE, "the server answered an overlong heartbeat")
    alerts = [f for c, f in records if c == ContentType.ALERT and len(f) >= 2]
    if alerts:
        name = AlertDescription(alerts[0][1]).name.lower()
        return ProbeResult(Verdict.NOT_VULNERABLE, f"the server answered with alert {name}")
    if not reply and timed_out:
        return ProbeResult(Verdict.NOT_VULNERABLE, "the server ignored the heartbeat")
    if not reply:
        return ProbeResult(Verdict.NOT_VULNERABLE, "the server closed the connection")
    return ProbeResult(Verdict.INCONCLUSIVE, "the server answered with something else")


def classify_ccs_reply(reply: bytes, *, timed_out: bool) -> ProbeResult:
    """Judge the bytes the server sent after the early ChangeCipherSpec records."""
    records = _records(reply)
    if records is None:
        return ProbeResult(Verdict.INCONCLUSIVE, "the reply is not TLS records")
    fragments = b"".join(f for c, f in records if c == ContentType.ALERT)
    alerts = parse_alerts(fragments[: len(fragments) - len(fragments) % 2])
    for alert in alerts:
        if alert.description in (
            AlertDescription.BAD_RECORD_MAC,
            AlertDescription.DECRYPTION_FAILED,
        ):
            return ProbeResult(
                Verdict.VULNERABLE, f"the server accepted an early ChangeCipherSpec ({alert.name})"
            )
    if alerts:
        return ProbeResult(Verdict.NOT_VULNERABLE, f"the server answered {alerts[0].name}")
    if records:
        return ProbeResult(Verdict.INCONCLUSIVE, "the server answered with records, no alert")
    if timed_out:
        return ProbeResult(Verdict.INCONCLUSIVE, "the server stayed silent")
    return ProbeResult(Verdict.NOT_VULNERABLE, "the server closed the connection")
