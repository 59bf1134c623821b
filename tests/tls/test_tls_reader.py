"""HandshakeReader and RecordSplitter: any chunking gives the same events; limits fail fast;
garbage is a TLSRecordError with a clear message, and the error sticks."""

from __future__ import annotations

import pytest
from vectors import (
    ALERT_HANDSHAKE_FAILURE,
    HELLO_RETRY_REQUEST,
    RFC8448_SERVER_HELLO,
    SSLV2_SERVER_HELLO,
    TLS10_DHE_FLIGHT,
    TLS12_FLIGHT,
    UNKNOWN_CODES_HELLO,
)

from mailtls.errors import TLSRecordError
from mailtls.proto.tls import (
    MAX_RECORD,
    ChangeCipherSpec,
    ContentType,
    EncryptedRecords,
    Event,
    HandshakeReader,
    HeartbeatMessage,
    ReaderState,
    RecordSplitter,
    ServerHello,
    build_record,
)

TLS13_FLIGHT = (
    build_record(ContentType.HANDSHAKE, 0x0303, RFC8448_SERVER_HELLO)
    + build_record(ContentType.CHANGE_CIPHER_SPEC, 0x0303, b"\x01")
    + build_record(ContentType.APPLICATION_DATA, 0x0303, bytes(40))
)
STREAMS = {
    "tls12": (TLS12_FLIGHT, False),
    "tls10-dhe": (TLS10_DHE_FLIGHT, False),
    "hrr": (HELLO_RETRY_REQUEST, False),
    "tls13": (TLS13_FLIGHT, False),
    "unknown": (UNKNOWN_CODES_HELLO + ALERT_HANDSHAKE_FAILURE, False),
    "sslv2": (SSLV2_SERVER_HELLO, True),
}


def _run(chunks: list[bytes], sslv2: bool) -> list[Event]:
    reader = HandshakeReader(expect_sslv2=sslv2)
    events: list[Event] = []
    for chunk in chunks:
        events += reader.feed(chunk)
    return events


@pytest.mark.parametrize("name", STREAMS)
def test_byte_at_a_time_and_every_split_agree(name: str) -> None:
    data, sslv2 = STREAMS[name]
    whole = _run([data], sslv2)
    assert whole
    assert _run([data[i : i + 1] for i in range(len(data))], sslv2) == whole
    for i in range(1, len(data)):
        assert _run([data[:i], data[i:]], sslv2) == whole, f"split at {i}"


def test_tls13_states() -> None:
    reader = HandshakeReader()
    events = reader.feed(TLS13_FLIGHT)
    assert isinstance(events[0], ServerHello)
    assert isinstance(events[1], ChangeCipherSpec)
    assert events[2] == EncryptedRecords(ContentType.APPLICATION_DATA, 40)
    assert reader.state == ReaderState.DONE


def test_state_after_server_hello_is_encrypted_until_first_record() -> None:
    reader = HandshakeReader()
    reader.feed(build_record(ContentType.HANDSHAKE, 0x0303, RFC8448_SERVER_HELLO))
    assert reader.state == ReaderState.ENCRYPTED and not reader.done


def test_16_mb_record_fails_on_its_header() -> None:
    splitter = RecordSplitter()
    with pytest.raises(TLSRecordError, match="exceeds the limit"):
        splitter.feed(b"\x16\x03\x03\xff\xff")
    reader = HandshakeReader()
    with pytest.raises(TLSRecordError, match=str(MAX_RECORD)):
        reader.feed(b"\x16\x03\x03\xff\xff" + bytes(100))


def test_record_of_exactly_the_limit_is_accepted() -> None:
    record = b"\x17\x03\x03" + MAX_RECORD.to_bytes(2, "big") + bytes(MAX_RECORD)
    assert RecordSplitter().feed(record)[0].fragment == bytes(MAX_RECORD)
    with pytest.raises(TLSRecordError):
        RecordSplitter().feed(b"\x17\x03\x03" + (MAX_RECORD + 1).to_bytes(2, "big"))


def test_huge_handshake_length_fails_before_its_body() -> None:
    reader = HandshakeReader(max_flight=4096)
    with pytest.raises(TLSRecordError, match="handshake message of 16777215 bytes"):
        reader.feed(build_record(ContentType.HANDSHAKE, 0x0303, b"\x0b\xff\xff\xff"))


def test_flight_cap() -> None:
    reader = HandshakeReader(max_flight=1000)
    certificate = b"\x0b" + (3000).to_bytes(3, "big") + bytes(3000)
    data = build_record(ContentType.HANDSHAKE, 0x0303, certificate)
    with pytest.raises(TLSRecordError, match="more than 1000 bytes"):
        for i in range(0, len(data), 100):
            reader.feed(data[i : i + 100])


@pytest.mark.parametrize(
    "garbage, shown",
    [
        (b"220 mail.example.com ESMTP\r\n", "'220 mail.example.com ESMTP\\r\\n'"),
        (b"HTTP/1.1 400", "HTTP/1.1 400"),
        (b"\x00\x01\x02\x03\x04\x05", "00 01 02 03 04 05"),
        (b"\x16\x02", "16 02"),
    ],
)
def test_garbage_is_named(garbage: bytes, shown: str) -> None:
    reader = HandshakeReader()
    with pytest.raises(TLSRecordError, match="not a TLS record") as info:
        reader.feed(garbage)
    assert shown in str(info.value)
    with pytest.raises(TLSRecordError):  # sticky
        reader.feed(TLS12_FLIGHT)
    assert reader.state == ReaderState.FAILED and reader.done


def test_one_byte_of_garbage_is_enough() -> None:
    with pytest.raises(TLSRecordError):
        HandshakeReader().feed(b"2")


def test_truncated_message_inside_complete_record() -> None:
    bad = build_record(ContentType.HANDSHAKE, 0x0303, b"\x02\x00\x00\x03\x03\x03\x00")
    with pytest.raises(TLSRecordError, match="ServerHello: truncated random"):
        HandshakeReader().feed(bad)


def test_trailing_bytes_in_extension_block() -> None:
    body = bytearray(RFC8448_SERVER_HELLO)
    body[-3] = 0x03  # supported_versions claims 3 bytes; only 2 follow
    with pytest.raises(TLSRecordError):
        HandshakeReader().feed(build_record(ContentType.HANDSHAKE, 0x0303, bytes(body)))


def test_server_key_exchange_before_server_hello() -> None:
    with pytest.raises(TLSRecordError, match="before ServerHello"):
        HandshakeReader().feed(build_record(ContentType.HANDSHAKE, 0x0303, b"\x0c\x00\x00\x00"))


def test_heartbeat_record_is_reported() -> None:
    record = build_record(ContentType.HEARTBEAT, 0x0303, b"\x02\x40\x00" + bytes(20))
    (event,) = HandshakeReader().feed(record)
    assert event == HeartbeatMessage(2, 0x4000, 23)


def test_alert_split_over_records() -> None:
    reader = HandshakeReader()
    assert reader.feed(build_record(ContentType.ALERT, 0x0303, b"\x02")) == []
    (alert,) = reader.feed(build_record(ContentType.ALERT, 0x0303, b"\x46"))
    assert alert.name == "protocol_version"  # type: ignore[union-attr]
