# TLS record layer framing (RFC 5246 section 6.2, RFC 8446 section 5.1) and SSL 2.0 record
# headers (draft-hickman-netscape-ssl-00), sans-I/O.
#
# Rules:
# - A TLS record is type(1) version(2) length(2) fragment. The type must be one of 20..26
#   and the version's first byte 3, otherwise the bytes are not TLS (a mail server talking
#   plain text, a proxy's HTML page) and RecordSplitter raises TLSRecordError quoting them.
# - A record longer than MAX_RECORD (2^14 + 2048, TLS 1.2's ciphertext ceiling) is an error
#   as soon as its 5-byte header is seen: a 16 MB length field fails fast, nothing buffered.
# - An SSL 2.0 record (only accepted where the caller asks for it) has a 2-byte header with
#   the high bit set: length = ((b0 & 0x7f) << 8) | b1 (servers never use the 3-byte form).
# - RecordSplitter.feed(data) -> list[Record] holds at most one incomplete record
#   (<= MAX_RECORD + 5 bytes). It never raises anything but TLSRecordError; after one it
#   stays broken and raises the same error again.
# - build_record() splits a payload into records of at most 2^14 bytes.

from __future__ import annotations

from dataclasses import dataclass

from mailtls.errors import TLSRecordError
from mailtls.proto.tls.registry.codes import ContentType, ProtocolVersion
from mailtls.proto.tls.wire import u16

MAX_FRAGMENT = 1 << 14
MAX_RECORD = (1 << 14) + 2048
HEADER = 5
_QUOTE = 40


@dataclass(frozen=True)
class Record:
    """One record: ``sslv2`` records carry their message in ``fragment`` and type 0."""

    content_type: ContentType
    version: ProtocolVersion
    fragment: bytes
    sslv2: bool = False


def build_record(content_type: int, version: int, payload: bytes) -> bytes:
    """``payload`` framed as records of at most 2^14 bytes (one empty record for b"")."""
    chunks = [payload[i : i + MAX_FRAGMENT] for i in range(0, len(payload), MAX_FRAGMENT)]
    return b"".join(
        bytes([content_type]) + u16(version) + u16(len(c)) + c for c in chunks or [b""]
    )


def build_sslv2_record(message: bytes) -> bytes:
    """An SSL 2.0 record with the 2-byte header (no padding)."""
    if len(message) > 0x7FFF:
        raise ValueError("SSLv2 record longer than 32767 bytes")
    return bytes([0x80 | len(message) >> 8, len(message) & 0xFF]) + message


def quote(data: bytes) -> str:
    """The first bytes of ``data`` for an error message: text when printable, else hex."""
    head = data[:_QUOTE]
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return repr(head.decode("ascii"))
    return head.hex(" ")


def looks_like_sslv2(first: int) -> bool:
    return bool(first & 0x80)


class RecordSplitter:
    """Splits a byte stream into records; ``allow_sslv2`` accepts SSL 2.0 record headers."""

    def __init__(self, *, allow_sslv2: bool = False) -> None:
        self.allow_sslv2 = allow_sslv2
        self._buf = bytearray()
        self._error: TLSRecordError | None = None
        self.records_seen = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Record]:
        if self._error:
            raise self._error
        self._buf += data
        out: list[Record] = []
        try:
            while (record := self._next()) is not None:
                out.append(record)
                self.records_seen += 1
        except TLSRecordError as exc:
            self._error = exc
            self._buf.clear()
            raise
        return out

    def _next(self) -> Record | None:
        if not self._buf:
            return None
        if self.allow_sslv2 and looks_like_sslv2(self._buf[0]):
            return self._next_sslv2()
        if len(self._buf) < HEADER:
            self._check_header_prefix()
            return None
        ctype, major, minor = self._buf[0], self._buf[1], self._buf[2]
        length = int.from_bytes(self._buf[3:5], "big")
        self._check_header(ctype, major, length)
        if len(self._buf) < HEADER + length:
            return None
        fragment = bytes(self._buf[HEADER : HEADER + length])
        del self._buf[: HEADER + length]
        return Record(ContentType(ctype), ProtocolVersion(major << 8 | minor), fragment)

    def _check_header_prefix(self) -> None:
        """Reject garbage before the whole header arrived (a one-byte answer is enough)."""
        if not 20 <= self._buf[0] <= 26 or (len(self._buf) > 1 and self._buf[1] != 3):
            raise TLSRecordError(f"not a TLS record: {quote(bytes(self._buf))}")

    def _check_header(self, ctype: int, major: int, length: int) -> None:
        if not 20 <= ctype <= 26 or major != 3:
            raise TLSRecordError(f"not a TLS record: {quote(bytes(self._buf))}")
        if length > MAX_RECORD:
            raise TLSRecordError(
                f"TLS record of {length} bytes (type {ctype}) exceeds the limit of {MAX_RECORD}"
            )

    def _next_sslv2(self) -> Record | None:
        if len(self._buf) < 2:
            return None
        length = (self._buf[0] & 0x7F) << 8 | self._buf[1]
        if len(self._buf) < 2 + length:
            return None
        message = bytes(self._buf[2 : 2 + length])
        del self._buf[: 2 + length]
        return Record(ContentType(0), ProtocolVersion.SSLv2, message, sslv2=True)
