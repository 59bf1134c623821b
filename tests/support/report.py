"""Helpers of the report tests: the CLI in a subprocess, a PNG reader (stdlib only)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib

MAILTLS = [sys.executable, "-m", "mailtls"]


def mailtls(*args: str, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILTLS, *args], capture_output=True, text=True, timeout=300,
                          input=stdin, env={**os.environ, **(env or {})}, check=False)


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows (RGB or RGBA, 8 bits) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytes(width * bpp)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        rows.append(prev := _unfilter(line[0], bytearray(line[1:]), prev, bpp))
    return width, height, rows


def _unfilter(kind: int, cur: bytearray, prev: bytes, bpp: int) -> bytes:
    if kind == 0:
        return bytes(cur)
    for i in range(len(cur)):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            cur[i] = (cur[i] + a) & 0xFF
        elif kind == 2:
            cur[i] = (cur[i] + b) & 0xFF
        elif kind == 3:
            cur[i] = (cur[i] + (a + b) // 2) & 0xFF
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            cur[i] = (cur[i] + pred) & 0xFF
    return bytes(cur)


def pixels(data: bytes) -> set[tuple[int, int, int]]:
    """Every colour of a PNG screenshot (RGB)."""
    width, _, rows = read_png(data)
    bpp = len(rows[0]) // width
    return {tuple(r[i:i + 3]) for r in rows for i in range(0, len(r), bpp)}  # type: ignore[misc]
