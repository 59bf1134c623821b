"""Just enough DER to list a certificate's extensions when ``cryptography`` refuses them.

``cryptography`` parses every extension at once: one malformed or duplicated extension
makes ``cert.extensions`` raise, and the error does not say which. To name the culprit
(and to still read the extensions that are fine), this walks the TBSCertificate:

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
    TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serial, signature, issuer,
        validity, subject, spki, [1] issuerUID OPTIONAL, [2] subjectUID OPTIONAL,
        [3] EXPLICIT extensions OPTIONAL }
    Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }

Definite lengths only (DER); anything else raises ``ValueError`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE, OID, BOOLEAN, OCTET_STRING = 0x30, 0x06, 0x01, 0x04
EXTENSIONS_TAG = 0xA3  # [3] EXPLICIT, constructed
MAX_EXTENSIONS = 1024


@dataclass(frozen=True)
class RawExtension:
    oid: str
    critical: bool
    value: bytes  # the contents of extnValue (the extension's own DER)


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the element at ``pos``."""
    if pos + 2 > len(data):
        raise ValueError("truncated element")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("unsupported or truncated length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("element longer than its container")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = _tlv(data[:end], pos)
        out.append((tag, s, e))
        pos = e
    return out


def decode_oid(body: bytes) -> str:
    if not body:
        raise ValueError("empty OID")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if body[-1] & 0x80:
        raise ValueError("truncated OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


def raw_extensions(cert_der: bytes) -> list[RawExtension]:
    """Every extension of a DER certificate, in order, duplicates included."""
    tag, s, e = _tlv(cert_der, 0)
    if tag != SEQUENCE:
        raise ValueError("not a certificate")
    tag, s, e = _tlv(cert_der, s)
    if tag != SEQUENCE:
        raise ValueError("no TBSCertificate")
    exts = [c for c in _children(cert_der, s, e) if c[0] == EXTENSIONS_TAG]
    if not exts:
        return []
    _, es, ee = exts[0]
    tag, ls, le = _tlv(cert_der[:ee], es)
    if tag != SEQUENCE:
        raise ValueError("extensions are not a SEQUENCE")
    out: list[RawExtension] = []
    for tag, xs, xe in _children(cert_der, ls, le)[:MAX_EXTENSIONS]:
        parts = _children(cert_der, xs, xe) if tag == SEQUENCE else []
        if len(parts) not in (2, 3) or parts[0][0] != OID or parts[-1][0] != OCTET_STRING:
            raise ValueError("an extension is not (OID, [critical], OCTET STRING)")
        critical = len(parts) == 3 and cert_der[parts[1][1] : parts[1][2]] != b"\x00"
        oid = decode_oid(cert_der[parts[0][1] : parts[0][2]])
        out.append(RawExtension(oid, critical, cert_der[parts[-1][1] : parts[-1][2]]))
    return out
