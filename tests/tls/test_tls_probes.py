"""Heartbleed and CCS-injection probes: the bytes we send, and the verdict on replies."""

from __future__ import annotations

from mailtls.proto.tls import (
    ContentType,
    Verdict,
    build_ccs_injection_probe,
    build_heartbeat_request,
    build_record,
    classify_ccs_reply,
    classify_heartbeat_reply,
)
from mailtls.proto.tls.probes import PROBE_PAYLOAD


def test_heartbeat_request_is_the_safe_overclaim() -> None:
    data = build_heartbeat_request(0x0303)
    n = len(PROBE_PAYLOAD)
    assert data[:5] == bytes([24, 3, 3]) + (3 + n + 16).to_bytes(2, "big")
    assert data[5] == 1 and int.from_bytes(data[6:8], "big") == n + 16
    assert data[8:] == PROBE_PAYLOAD + bytes(16)
    big = build_heartbeat_request(0x0301, payload=b"", overclaim=0x4000)
    assert big[6:8] == b"\x40\x00" and len(big) == 5 + 3 + 16


def test_heartbeat_verdicts() -> None:
    echo = build_record(ContentType.HEARTBEAT, 0x0303, b"\x02\x00\x27" + bytes(39))
    alert = build_record(ContentType.ALERT, 0x0303, b"\x02\x0a")
    assert classify_heartbeat_reply(echo, timed_out=False).verdict == Verdict.VULNERABLE
    assert classify_heartbeat_reply(alert, timed_out=False).verdict == Verdict.NOT_VULNERABLE
    assert classify_heartbeat_reply(b"", timed_out=True).verdict == Verdict.NOT_VULNERABLE
    assert classify_heartbeat_reply(b"garbage", timed_out=False).verdict == Verdict.INCONCLUSIVE


def test_ccs_probe_bytes() -> None:
    assert build_ccs_injection_probe(0x0301) == bytes.fromhex("140301000101" * 2)


def test_ccs_verdicts() -> None:
    def alert(description: int) -> bytes:
        return build_record(ContentType.ALERT, 0x0303, bytes([2, description]))

    assert classify_ccs_reply(alert(20), timed_out=False).verdict == Verdict.VULNERABLE
    assert classify_ccs_reply(alert(21), timed_out=False).verdict == Verdict.VULNERABLE
    result = classify_ccs_reply(alert(10), timed_out=False)
    assert result.verdict == Verdict.NOT_VULNERABLE and "unexpected_message" in result.reason
    assert classify_ccs_reply(b"", timed_out=False).verdict == Verdict.NOT_VULNERABLE
    assert classify_ccs_reply(b"", timed_out=True).verdict == Verdict.INCONCLUSIVE
    data = build_record(ContentType.APPLICATION_DATA, 0x0303, b"x")
    assert classify_ccs_reply(data, timed_out=False).verdict == Verdict.INCONCLUSIVE
