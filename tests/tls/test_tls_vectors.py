"""Annotated byte vectors (vectors.py): our builder reproduces RFC 8448's ClientHello byte
for byte from its parts, and the reader decodes every vector into the expected events."""

from __future__ import annotations

import pytest
from vectors import (
    ALERT_HANDSHAKE_FAILURE,
    HELLO_RETRY_REQUEST,
    RFC8448_CLIENT_HELLO,
    RFC8448_SERVER_HELLO,
    SSLV2_SERVER_HELLO,
    TLS10_DHE_FLIGHT,
    TLS12_FLIGHT,
    UNKNOWN_CODES_HELLO,
)

from mailtls.proto.tls import (
    Alert,
    AlertDescription,
    CertificateMsg,
    ContentType,
    ExtensionType,
    HandshakeReader,
    HelloRetryRequest,
    NamedGroup,
    ProtocolVersion,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    SignatureScheme,
    SSLv2ServerHello,
    build_record,
)
from mailtls.proto.tls.hello import (
    client_hello_body,
    extension,
    handshake,
    key_share_body,
    sni,
)
from mailtls.proto.tls.wire import u8, u16, u16_list, vec

V = ProtocolVersion
E = ExtensionType


def test_rfc8448_client_hello_rebuilt_from_our_helpers() -> None:
    random = RFC8448_CLIENT_HELLO[6:38]
    x25519 = bytes.fromhex(
        "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"
    )
    sig_algs = [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
                0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202]  # fmt: skip
    exts = [
        extension(E.SERVER_NAME, sni("server")),
        extension(E.RENEGOTIATION_INFO, vec(1, b"")),
        extension(E.SUPPORTED_GROUPS, u16_list([29, 23, 24, 25, 256, 257, 258, 259, 260])),
        extension(E.SESSION_TICKET, b""),
        extension(E.KEY_SHARE, key_share_body([NamedGroup.X25519], lambda n: x25519)),
        extension(E.SUPPORTED_VERSIONS, vec(1, u16(0x0304))),
        extension(E.SIGNATURE_ALGORITHMS, u16_list(sig_algs)),
        extension(E.PSK_KEY_EXCHANGE_MODES, vec(1, u8(1))),
        extension(E.RECORD_SIZE_LIMIT, u16(0x4001)),
    ]
    body = client_hello_body(
        V.TLSv1_3, [0x1301, 0x1303, 0x1302], random=random, session_id=b"", extensions=exts,
        pad=False,
    )  # fmt: skip
    assert handshake(1, body) == RFC8448_CLIENT_HELLO


def test_rfc8448_server_hello() -> None:
    record = build_record(ContentType.HANDSHAKE, 0x0303, RFC8448_SERVER_HELLO)
    (sh,) = HandshakeReader().feed(record)
    assert isinstance(sh, ServerHello)
    assert sh.version == V.TLSv1_3 and sh.legacy_version == V.TLSv1_2
    assert sh.random.hex().startswith("a6af06a4")
    assert sh.cipher_suite.name == "TLS_AES_128_GCM_SHA256" and sh.cipher_suite.tls13
    assert sh.key_share_group == NamedGroup.X25519
    assert [e.type for e in sh.extensions] == [E.KEY_SHARE, E.SUPPORTED_VERSIONS]
    assert not sh.secure_renegotiation and sh.downgrade_sentinel is None


def test_tls12_flight() -> None:
    reader = HandshakeReader()
    sh, cert, ske, done = reader.feed(TLS12_FLIGHT)
    assert isinstance(sh, ServerHello) and sh.version == V.TLSv1_2
    assert sh.cipher_suite.openssl == "ECDHE-RSA-AES128-GCM-SHA256"
    assert sh.renegotiation_info == b"" and sh.extended_master_secret
    assert sh.ec_point_formats == (0,) and not sh.session_ticket
    assert isinstance(cert, CertificateMsg) and cert.certificates == (bytes.fromhex("3003020105"),)
    assert isinstance(ske, ServerKeyExchange) and ske.kind == "ECDHE"
    assert ske.curve == NamedGroup.X25519 and ske.ec_point == b"\x22" * 32
    assert ske.signature_scheme == SignatureScheme.RSA_PSS_RSAE_SHA256
    assert ske.signature == bytes.fromhex("deadbeef")
    assert isinstance(done, ServerHelloDone) and reader.done


def test_tls10_dhe_flight_across_records() -> None:
    sh, ske, done = HandshakeReader().feed(TLS10_DHE_FLIGHT)
    assert isinstance(sh, ServerHello) and sh.version == V.TLSv1_0 and sh.extensions == ()
    assert isinstance(ske, ServerKeyExchange)
    assert (ske.kind, ske.dh_p, ske.dh_g, ske.dh_ys) == ("DHE", 23, 5, b"\x08")
    assert ske.dh_bits == 5 and ske.dh_group is None
    assert ske.signature_scheme is None and ske.signature == b"\xab\xcd"
    assert isinstance(done, ServerHelloDone)


def test_hello_retry_request() -> None:
    reader = HandshakeReader()
    (hrr,) = reader.feed(HELLO_RETRY_REQUEST)
    assert isinstance(hrr, HelloRetryRequest)
    assert hrr.version == V.TLSv1_3 and hrr.selected_group == NamedGroup.SECP384R1
    assert hrr.cookie == b"\xc0\x01" and hrr.cipher_suite.code == 0x1302
    assert reader.done and reader.server_hello is None


def test_unknown_code_points_round_trip() -> None:
    (sh,) = HandshakeReader().feed(UNKNOWN_CODES_HELLO)
    assert isinstance(sh, ServerHello)
    assert sh.cipher_suite.code == 0x0A0A and sh.cipher_suite.name == "GREASE_0x0a0a"
    assert not sh.cipher_suite.known and sh.cipher_suite.grease
    unknown, grease = sh.extensions
    assert unknown.type == 0x1234 and unknown.type.name == "UNKNOWN_0x1234"
    assert unknown.data == b"\xbe\xef" and not unknown.type.known
    assert grease.type == 0x7A7A and grease.type.grease and grease.type.name == "GREASE_0x7a7a"


def test_alert() -> None:
    reader = HandshakeReader()
    (alert,) = reader.feed(ALERT_HANDSHAKE_FAILURE)
    assert isinstance(alert, Alert) and alert.fatal and alert.name == "handshake_failure"
    assert alert.description == AlertDescription.HANDSHAKE_FAILURE and reader.done


def test_sslv2_server_hello() -> None:
    reader = HandshakeReader(expect_sslv2=True)
    (hello,) = reader.feed(SSLV2_SERVER_HELLO)
    assert isinstance(hello, SSLv2ServerHello)
    assert hello.certificate == b"CERT" and hello.version == 2 and not hello.session_id_hit
    assert [c.openssl for c in hello.cipher_specs] == ["RC4-MD5", "DES-CBC3-MD5"]
    assert hello.connection_id == bytes(range(16)) and reader.done


@pytest.mark.parametrize("vector", [TLS12_FLIGHT, TLS10_DHE_FLIGHT, HELLO_RETRY_REQUEST])
def test_sslv2_reader_also_reads_tls(vector: bytes) -> None:
    assert HandshakeReader(expect_sslv2=True).feed(vector) == HandshakeReader().feed(vector)
