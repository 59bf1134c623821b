# Bounded reading and writing of TLS wire structures (RFC 8446 section 3), dnspython style.
#
# Rules:
# - A Reader reads from a bytes buffer and never past its current limit. Every read that
#   would cross the limit raises TLSRecordError naming what was being read.
# - restrict_to(n) is a context manager: inside it the limit is the next n bytes (and never
#   more than the outer limit); on a clean exit every one of those bytes must have been
#   consumed, otherwise TLSRecordError ("trailing bytes"). Limits nest.
# - vector(width) reads a length-prefixed opaque vector (width 1, 2 or 3 bytes of length).
# - The Writer side is plain functions: u8/u16/u24 and vec(width, body); a body longer than
#   its length field can carry raises ValueError (a programming error, not peer input).
# Nothing here allocates more than the bytes it was given.

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from mailtls.errors import TLSRecordError


class Reader:
    """Reads big-endian integers and vectors from ``data``; never past the current limit."""

    def __init__(self, data: bytes, what: str = "message") -> None:
        self.data = data
        self.pos = 0
        self.limit = len(data)
        self.what = what

    @property
    def remaining(self) -> int:
        return self.limit - self.pos

    def done(self) -> bool:
        return self.pos >= self.limit

    def read(self, n: int, name: str = "bytes") -> bytes:
        if n < 0 or self.pos + n > self.limit:
            raise TLSRecordError(
                f"{self.what}: truncated {name} (needs {n} bytes, {self.remaining} left)"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint(self, width: int, name: str = "integer") -> int:
        return int.from_bytes(self.read(width, name), "big")

    def u8(self, name: str = "u8") -> int:
        return self.uint(1, name)

    def u16(self, name: str = "u16") -> int:
        return self.uint(2, name)

    def u24(self, name: str = "u24") -> int:
        return self.uint(3, name)

    def vector(self, width: int, name: str = "vector") -> bytes:
        """An opaque vector with a ``width``-byte length prefix."""
        length = self.uint(width, f"length of {name}")
        return self.read(length, name)

    def rest(self) -> bytes:
        return self.read(self.remaining, "rest")

    @contextmanager
    def restrict_to(self, length: int, name: str = "structure") -> Iterator[None]:
        """Within the block only the next ``length`` bytes are readable; all must be read."""
        if length > self.remaining:
            raise TLSRecordError(
                f"{self.what}: {name} claims {length} bytes, only {self.remaining} left"
            )
        saved = self.limit
        self.limit = self.pos + length
        try:
            yield
            if self.pos != self.limit:
                raise TLSRecordError(
                    f"{self.what}: {self.limit - self.pos} trailing bytes in {name}"
                )
        finally:
            self.limit = saved

    @contextmanager
    def sub(self, width: int, name: str = "vector") -> Iterator[None]:
        """restrict_to the length read from a ``width``-byte prefix."""
        length = self.uint(width, f"length of {name}")
        with self.restrict_to(length, name):
            yield

    def uint_list(self, width: int, item: int, name: str) -> list[int]:
        """A vector (``width``-byte length) of ``item``-byte integers."""
        body = self.vector(width, name)
        if len(body) % item:
            raise TLSRecordError(f"{self.what}: {name} length {len(body)} not a multiple of {item}")
        return [int.from_bytes(body[i : i + item], "big") for i in range(0, len(body), item)]


def uint(value: int, width: int) -> bytes:
    if not 0 <= value < 1 << (8 * width):
        raise ValueError(f"{value} does not fit in {width} bytes")
    return value.to_bytes(width, "big")


def u8(value: int) -> bytes:
    return uint(value, 1)


def u16(value: int) -> bytes:
    return uint(value, 2)


def u24(value: int) -> bytes:
    return uint(value, 3)


def vec(width: int, body: bytes) -> bytes:
    """``body`` with a ``width``-byte length prefix."""
    return uint(len(body), width) + body


def u16_list(values: Sequence[int], width: int = 2) -> bytes:
    """A vector (``width``-byte length) of 16-bit integers."""
    return vec(width, b"".join(u16(int(v)) for v in values))
