"""Fuzzing the record and handshake parsers: whatever the server sends, in whatever chunks,
the reader raises nothing but TLSRecordError, returns promptly and holds bounded memory."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import HELLO_RETRY_REQUEST, SSLV2_SERVER_HELLO, TLS10_DHE_FLIGHT, TLS12_FLIGHT

from mailtls.errors import TLSRecordError
from mailtls.proto.tls import MAX_RECORD, HandshakeReader, RecordSplitter
from mailtls.proto.tls.probes import classify_ccs_reply, classify_heartbeat_reply
from mailtls.proto.tls.registry import ProtocolVersion, cipher_suite
from mailtls.proto.tls.server import (
    parse_certificate,
    parse_server_hello,
    parse_server_key_exchange,
    parse_sslv2_message,
)

SEEDS = [TLS12_FLIGHT, TLS10_DHE_FLIGHT, HELLO_RETRY_REQUEST, SSLV2_SERVER_HELLO]
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _feed_all(data: bytes, cuts: list[int], sslv2: bool) -> None:
    reader = HandshakeReader(max_flight=64 * 1024, expect_sslv2=sslv2)
    points = [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]
    start = 0
    try:
        for point in points:
            reader.feed(data[start:point])
            start = point
            assert len(reader._handshake) <= reader.max_flight + 4
            assert reader._splitter.buffered <= MAX_RECORD + 5
    except TLSRecordError:
        assert reader.done


@FUZZ
@given(st.binary(max_size=4096), st.lists(st.integers(0, 5000), max_size=8), st.booleans())
def test_random_bytes(data: bytes, cuts: list[int], sslv2: bool) -> None:
    _feed_all(data, cuts, sslv2)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[i] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[i:]
            if not data:
                break
        else:
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@FUZZ
@given(mutated(), st.lists(st.integers(0, 500), max_size=6), st.booleans())
def test_mutated_real_flights(data: bytes, cuts: list[int], sslv2: bool) -> None:
    _feed_all(data, cuts, sslv2)


@FUZZ
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_message_parsers(body: bytes, suite: int) -> None:
    for parse in (
        parse_server_hello,
        parse_certificate,
        lambda b: parse_certificate(b, tls13=True),
        parse_sslv2_message,
        lambda b: parse_server_key_exchange(b, cipher_suite(suite), ProtocolVersion.TLSv1_2),
        lambda b: parse_server_key_exchange(b, cipher_suite(0x0033), ProtocolVersion.TLSv1_0),
        lambda b: parse_server_key_exchange(b, cipher_suite(0xC02F), ProtocolVersion.TLSv1_2),
    ):
        with contextlib.suppress(TLSRecordError):
            parse(body)


@FUZZ
@given(st.binary(max_size=2000), st.booleans())
def test_probe_classifiers_never_raise(reply: bytes, timed_out: bool) -> None:
    classify_heartbeat_reply(reply, timed_out=timed_out)
    classify_ccs_reply(reply, timed_out=timed_out)


def test_a_megabyte_of_records_is_refused_early() -> None:
    splitter = RecordSplitter()
    record = b"\x17\x03\x03\x40\x00" + bytes(0x4000)
    fed = 0
    reader = HandshakeReader()
    try:
        while fed < 1 << 20:
            reader.feed(record)
            fed += len(record)
    except TLSRecordError as exc:
        assert "more than" in str(exc)
    assert fed <= reader.max_flight
    assert splitter.buffered == 0
