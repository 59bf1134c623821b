"""ClientHello builders: parse what we build and check each field; GREASE and padding."""

from __future__ import annotations

import pytest

from mailtls.proto.tls import (
    ExtensionType,
    NamedGroup,
    ProtocolVersion,
    build_client_hello,
    build_sslv2_client_hello,
    cipher_suite,
    sslv2_ciphers,
    suites_for,
)
from mailtls.proto.tls.keyshares import key_share
from mailtls.proto.tls.records import RecordSplitter
from mailtls.proto.tls.registry import GROUP_INFO
from mailtls.proto.tls.server import parse_extensions
from mailtls.proto.tls.wire import Reader

V = ProtocolVersion
E = ExtensionType
ZERO = bytes(32)


def parse_hello(data: bytes) -> tuple[int, dict[str, object]]:
    """(record version, fields) of one ClientHello built by us."""
    records = RecordSplitter().feed(data)
    body = b"".join(r.fragment for r in records)
    r = Reader(body, "ClientHello")
    assert r.u8() == 1
    with r.sub(3):
        fields: dict[str, object] = {
            "version": r.u16(), "random": r.read(32), "session_id": r.vector(1),
            "suites": r.uint_list(2, 2, "suites"), "compression": list(r.vector(1)),
            "extensions": {int(e.type): e.data for e in parse_extensions(r)},
        }  # fmt: skip
    return int(records[0].version), fields


def test_tls12_hello_fields() -> None:
    rec, h = parse_hello(build_client_hello(
        V.TLSv1_2, [0xC02F, cipher_suite(0x009C)], server_name="mx.example.org", random=ZERO,
        heartbeat=True, fallback_scsv=True, empty_renegotiation_info_scsv=True,
    ))  # fmt: skip
    assert rec == 0x0301 and h["version"] == 0x0303 and h["random"] == ZERO
    assert h["suites"] == [0xC02F, 0x009C, 0x00FF, 0x5600] and h["compression"] == [0]
    ext = h["extensions"]
    assert isinstance(ext, dict)
    assert ext[E.SERVER_NAME] == b"\x00\x11\x00\x00\x0emx.example.org"
    for t in (E.EXTENDED_MASTER_SECRET, E.SESSION_TICKET):
        assert ext[t] == b""
    assert ext[E.RENEGOTIATION_INFO] == b"\x00" and ext[E.HEARTBEAT] == b"\x01"
    assert ext[E.STATUS_REQUEST] == b"\x01\x00\x00\x00\x00"
    assert ext[E.EC_POINT_FORMATS] == b"\x01\x00"
    assert E.SIGNATURE_ALGORITHMS in ext and E.SUPPORTED_VERSIONS not in ext


def test_tls13_hello_fields() -> None:
    _, h = parse_hello(build_client_hello(V.TLSv1_3, suites_for(V.TLSv1_3), entropy=bytes))
    ext = h["extensions"]
    assert isinstance(ext, dict)
    assert h["version"] == 0x0303 and len(h["session_id"]) == 32  # type: ignore[arg-type]
    assert ext[E.SUPPORTED_VERSIONS] == b"\x02\x03\x04"
    assert ext[E.KEY_SHARE] == b"\x00\x24\x00\x1d\x00\x20" + bytes(32)
    assert ext[E.PSK_KEY_EXCHANGE_MODES] == b"\x01\x01"
    assert E.RENEGOTIATION_INFO not in ext and E.EC_POINT_FORMATS not in ext


def test_sslv3_hello_has_no_extensions() -> None:
    rec, h = parse_hello(build_client_hello(V.SSLv3, suites_for(V.SSLv3)))
    assert rec == 0x0300 and h["version"] == 0x0300 and h["extensions"] == {}


def test_no_sni_for_ip_literals() -> None:
    for name in ("192.0.2.1", "[2001:db8::1]", "::1"):
        _, h = parse_hello(build_client_hello(V.TLSv1_2, [0xC02F], server_name=name))
        assert E.SERVER_NAME not in h["extensions"]  # type: ignore[operator]


def test_padding_lifts_hellos_between_256_and_511_bytes() -> None:
    for n in range(1, 140):
        data = build_client_hello(V.TLSv1_2, list(range(1, n)))
        length = len(data) - 5
        assert not 256 <= length < 512, n
    unpadded = build_client_hello(V.TLSv1_2, list(range(1, 60)), pad=False)
    assert 256 <= len(unpadded) - 5 < 512


def test_grease_everywhere() -> None:
    _, h = parse_hello(build_client_hello(V.TLSv1_3, [0x1301], grease=0x1A1A))
    ext = h["extensions"]
    assert isinstance(ext, dict)
    assert h["suites"] == [0x1A1A, 0x1301]
    assert next(iter(ext)) == 0x1A1A
    assert ext[E.SUPPORTED_GROUPS][2:4] == b"\x1a\x1a"
    assert ext[E.SUPPORTED_VERSIONS] == b"\x04\x1a\x1a\x03\x04"


def test_unknown_code_points_pass_through() -> None:
    _, h = parse_hello(build_client_hello(
        V.TLSv1_2, [0xABCD], groups=[0x4242], sig_algs=[0x0999],
        extra_extensions=[(0x7777, b"hi")],
    ))  # fmt: skip
    ext = h["extensions"]
    assert isinstance(ext, dict)
    assert h["suites"] == [0xABCD] and ext[0x7777] == b"hi"
    assert ext[E.SUPPORTED_GROUPS] == b"\x00\x02\x42\x42"
    assert ext[E.SIGNATURE_ALGORITHMS] == b"\x00\x02\x09\x99"


@pytest.mark.parametrize(
    "group",
    [g for g in NamedGroup if g.known and GROUP_INFO[int(g)].share_size
     and GROUP_INFO[int(g)].family in ("ecx", "ff", "kem", "hybrid")]
    + [NamedGroup.SECP256R1, NamedGroup.SECP384R1],
)  # fmt: skip
def test_key_share_sizes(group: NamedGroup) -> None:
    assert len(key_share(group, bytes)) == GROUP_INFO[int(group)].share_size


def test_key_share_refused_for_groups_we_cannot_build() -> None:
    with pytest.raises(ValueError, match="SECP521R1"):
        key_share(NamedGroup.SECP521R1, bytes)


def test_sslv2_client_hello_layout() -> None:
    challenge = bytes(range(16))
    data = build_sslv2_client_hello(sslv2_ciphers()[:2], challenge=challenge)
    assert data == bytes.fromhex(
        "801f"        # 2-byte header, 31 bytes
        "01" "0002"   # CLIENT-HELLO, version 2
        "0006" "0000" "0010"  # 6 bytes of specs, no session id, 16-byte challenge
        "010080" "020080"     # RC4-MD5, EXP-RC4-MD5
    ) + challenge


def test_sslv2_compatible_hello_carries_tls_suites() -> None:
    data = build_sslv2_client_hello([0x002F], version=0x0301, challenge=bytes(16))
    assert data[3:5] == b"\x03\x01" and data[11:14] == b"\x00\x00\x2f"
