# HandshakeReader: the server's side of a handshake, as events (h11 style, sans-I/O).
#
#   reader = HandshakeReader()
#   events = reader.feed(data)      # any chunking, down to one byte at a time
#
# States:
#   START           nothing yet; an SSL 2.0 record is accepted here only with expect_sslv2
#   FLIGHT          TLS records; handshake messages are reassembled across records
#   ENCRYPTED       after a TLS 1.3 ServerHello: handshake records are opaque
#   DONE            ServerHelloDone, a fatal alert, an SSL 2.0 SERVER-HELLO/ERROR, or the
#                   first encrypted record after a TLS 1.3 ServerHello. Records are still
#                   read after DONE (probes feed the answer to what they send next).
#   FAILED          a TLSRecordError was raised; every later feed() raises it again.
#
# Events (server.py): ServerHello, HelloRetryRequest, CertificateMsg, CertificateStatus,
# ServerKeyExchange, ServerHelloDone, OtherHandshake, Alert, ChangeCipherSpec,
# HeartbeatMessage, EncryptedRecords, SSLv2ServerHello, SSLv2Error.
#
# Bounds: at most ``max_flight`` bytes (default 256 KiB) are accepted over the reader's life;
# a record header announcing more than 2^14+2048 bytes, or a handshake header announcing more
# than max_flight, fails at once, before its body arrives. Held at most: one record plus one
# partial handshake message. feed() raises nothing but TLSRecordError.

from __future__ import annotations

import enum

from mailtls.errors import TLSRecordError
from mailtls.proto.tls import server as msg
from mailtls.proto.tls.records import Record, RecordSplitter
from mailtls.proto.tls.registry.codes import ContentType, HandshakeType, ProtocolVersion

Event = (
    msg.ServerHello | msg.HelloRetryRequest | msg.CertificateMsg | msg.CertificateStatus
    | msg.ServerKeyExchange | msg.ServerHelloDone | msg.OtherHandshake | msg.Alert
    | msg.ChangeCipherSpec | msg.HeartbeatMessage | msg.EncryptedRecords
    | msg.SSLv2ServerHello | msg.SSLv2Error
)  # fmt: skip

DEFAULT_MAX_FLIGHT = 256 * 1024


class ReaderState(enum.Enum):
    START = "waiting for the server's first record"
    FLIGHT = "reading the server's first flight"
    ENCRYPTED = "reading TLS 1.3 encrypted records"
    DONE = "first flight complete"
    FAILED = "failed"


class HandshakeReader:
    """Turns the server's bytes into events; see the module comment for the rules."""

    def __init__(self, *, max_flight: int = DEFAULT_MAX_FLIGHT, expect_sslv2: bool = False):
        if max_flight <= 0:
            raise ValueError("max_flight must be positive")
        self.max_flight = max_flight
        self.state = ReaderState.START
        self.server_hello: msg.ServerHello | None = None
        self.bytes_seen = 0
        self._splitter = RecordSplitter(allow_sslv2=expect_sslv2)
        self._handshake = bytearray()
        self._alert = bytearray()
        self._error: TLSRecordError | None = None

    @property
    def done(self) -> bool:
        return self.state in (ReaderState.DONE, ReaderState.FAILED)

    @property
    def version(self) -> ProtocolVersion | None:
        return self.server_hello.version if self.server_hello else None

    def feed(self, data: bytes) -> list[Event]:
        """Consume ``data``; return the events it completes (possibly none)."""
        if self._error:
            raise self._error
        try:
            return self._feed(data)
        except TLSRecordError as exc:
            self._error = exc
            self.state = ReaderState.FAILED
            raise

    def _feed(self, data: bytes) -> list[Event]:
        self.bytes_seen += len(data)
        if self.bytes_seen > self.max_flight:
            raise TLSRecordError(
                f"the server sent more than {self.max_flight} bytes during the handshake"
            )
        events: list[Event] = []
        for record in self._splitter.feed(data):
            if self.state == ReaderState.START:
                self._splitter.allow_sslv2 = False
                self.state = ReaderState.FLIGHT
            events += self._record(record)
        return events

    def _record(self, record: Record) -> list[Event]:
        if record.sslv2:
            self.state = ReaderState.DONE
            return [msg.parse_sslv2_message(record.fragment)]
        ctype = record.content_type
        if ctype == ContentType.HANDSHAKE and self.state != ReaderState.ENCRYPTED:
            return self._handshake_bytes(record.fragment)
        if ctype == ContentType.ALERT:
            return self._alerts(record.fragment)
        if ctype == ContentType.CHANGE_CIPHER_SPEC:
            return [msg.ChangeCipherSpec(record.fragment)]
        if ctype == ContentType.HEARTBEAT and self.state != ReaderState.ENCRYPTED:
            return [_heartbeat(record.fragment)]
        if self.state == ReaderState.ENCRYPTED:
            self.state = ReaderState.DONE
        return [msg.EncryptedRecords(ctype, len(record.fragment))]

    def _alerts(self, fragment: bytes) -> list[Event]:
        self._alert += fragment
        whole = len(self._alert) - len(self._alert) % 2
        alerts = msg.parse_alerts(bytes(self._alert[:whole]))
        del self._alert[:whole]
        if any(a.fatal for a in alerts):
            self.state = ReaderState.DONE
        return list(alerts)

    def _handshake_bytes(self, fragment: bytes) -> list[Event]:
        self._handshake += fragment
        events: list[Event] = []
        while len(self._handshake) >= 4:
            length = int.from_bytes(self._handshake[1:4], "big")
            if length > self.max_flight:
                raise TLSRecordError(
                    f"handshake message of {length} bytes exceeds the limit of {self.max_flight}"
                )
            if len(self._handshake) < 4 + length:
                break
            msg_type = HandshakeType(self._handshake[0])
            body = bytes(self._handshake[4 : 4 + length])
            del self._handshake[: 4 + length]
            events.append(self._message(msg_type, body))
            if self.state == ReaderState.ENCRYPTED and self._handshake:
                raise TLSRecordError("plaintext handshake data after a TLS 1.3 ServerHello")
        return events

    def _message(self, msg_type: HandshakeType, body: bytes) -> Event:
        if msg_type == HandshakeType.SERVER_HELLO:
            return self._server_hello(body)
        if msg_type == HandshakeType.CERTIFICATE:
            return msg.parse_certificate(body, tls13=self.version == ProtocolVersion.TLSv1_3)
        if msg_type == HandshakeType.CERTIFICATE_STATUS:
            return msg.parse_certificate_status(body)
        if msg_type == HandshakeType.SERVER_KEY_EXCHANGE:
            if self.server_hello is None:
                raise TLSRecordError("ServerKeyExchange before ServerHello")
            hello = self.server_hello
            return msg.parse_server_key_exchange(body, hello.cipher_suite, hello.version)
        if msg_type == HandshakeType.SERVER_HELLO_DONE:
            self.state = ReaderState.DONE
            return msg.parse_server_hello_done(body)
        return msg.OtherHandshake(msg_type, body)

    def _server_hello(self, body: bytes) -> Event:
        hello = msg.parse_server_hello(body)
        if isinstance(hello, msg.HelloRetryRequest):
            self.state = ReaderState.DONE
            return hello
        self.server_hello = hello
        if hello.version == ProtocolVersion.TLSv1_3:
            self.state = ReaderState.ENCRYPTED
        return hello


def _heartbeat(fragment: bytes) -> msg.HeartbeatMessage:
    if len(fragment) < 3:
        return msg.HeartbeatMessage(-1, -1, len(fragment))
    payload_length = int.from_bytes(fragment[1:3], "big")
    return msg.HeartbeatMessage(fragment[0], payload_length, len(fragment))

