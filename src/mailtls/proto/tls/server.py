# Parsers of the server's first flight: one function per message, each taking the message
# body (no handshake header) and returning an event. Sans-I/O; reader.py drives them.
#
# Rules:
# - Every length-prefixed structure is read through wire.Reader.sub()/restrict_to(): a
#   length that overruns its container, or bytes left over inside it, is TLSRecordError.
# - Code points are kept as open enums / CipherSuite: GREASE, unknown suites, groups,
#   extensions and versions are values, never errors.
# - ServerHello: a random equal to SHA-256("HelloRetryRequest") makes it a HelloRetryRequest
#   (RFC 8446 4.1.3); supported_versions, when present, is the negotiated version.
# - ServerKeyExchange needs the negotiated suite and version: (EC)DHE parameters are parsed
#   (DH prime size, well-known group, named curve); the signature is kept as bytes.
# Nothing here raises anything but TLSRecordError.

from __future__ import annotations

from dataclasses import dataclass

from mailtls.errors import TLSRecordError
from mailtls.proto.tls.dhgroups import identify
from mailtls.proto.tls.registry.codes import (
    AlertDescription,
    AlertLevel,
    CertificateStatusType,
    CompressionMethod,
    ContentType,
    ECCurveType,
    ExtensionType,
    HandshakeType,
    HeartbeatMode,
    ProtocolVersion,
)
from mailtls.proto.tls.registry.groups import NamedGroup, SignatureScheme
from mailtls.proto.tls.registry.suites import CipherSuite, cipher_suite, sslv2_cipher
from mailtls.proto.tls.wire import Reader

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
DOWNGRADE_TLS12 = bytes.fromhex("444f574e47524401")
DOWNGRADE_TLS11 = bytes.fromhex("444f574e47524400")
E = ExtensionType


@dataclass(frozen=True)
class Extension:
    type: ExtensionType
    data: bytes


@dataclass(frozen=True)
class ServerHello:
    """A ServerHello. ``version`` is the negotiated version (supported_versions when the
    server sent it, else ``legacy_version``); the extension fields are decoded from
    ``extensions``, which keeps every extension (unknown ones too) in order."""

    version: ProtocolVersion
    legacy_version: ProtocolVersion
    random: bytes
    session_id: bytes
    cipher_suite: CipherSuite
    compression: CompressionMethod
    extensions: tuple[Extension, ...] = ()
    renegotiation_info: bytes | None = None
    extended_master_secret: bool = False
    encrypt_then_mac: bool = False
    session_ticket: bool = False
    status_request: bool = False
    heartbeat: HeartbeatMode | None = None
    alpn: str | None = None
    key_share_group: NamedGroup | None = None
    ec_point_formats: tuple[int, ...] | None = None
    downgrade_sentinel: ProtocolVersion | None = None

    @property
    def secure_renegotiation(self) -> bool:
        """RFC 5746 support: the server answered renegotiation_info."""
        return self.renegotiation_info is not None

    def extension(self, ext_type: int) -> Extension | None:
        return next((e for e in self.extensions if e.type == ext_type), None)


@dataclass(frozen=True)
class HelloRetryRequest:
    """TLS 1.3 HelloRetryRequest: the server wants ``selected_group`` in a new key_share."""

    version: ProtocolVersion
    session_id: bytes
    cipher_suite: CipherSuite
    selected_group: NamedGroup | None
    cookie: bytes | None
    extensions: tuple[Extension, ...] = ()


@dataclass(frozen=True)
class CertificateMsg:
    """Certificate: the DER certificates in the order sent (leaf first, normally)."""

    certificates: tuple[bytes, ...]
    request_context: bytes = b""


@dataclass(frozen=True)
class CertificateStatus:
    """CertificateStatus (RFC 6066 8): an OCSP staple."""

    status_type: CertificateStatusType
    response: bytes


@dataclass(frozen=True)
class ServerKeyExchange:
    """ServerKeyExchange. ``kind``: DHE, ECDHE, RSA (export key), PSK or UNKNOWN.
    DHE: ``dh_p``/``dh_g``/``dh_ys``, ``dh_bits`` and ``dh_group`` (the well-known group's
    name or None for a custom one). ECDHE: ``curve`` (named curves) or ``curve_type``."""

    kind: str
    raw: bytes
    dh_p: int | None = None
    dh_g: int | None = None
    dh_ys: bytes | None = None
    dh_group: str | None = None
    curve_type: ECCurveType | None = None
    curve: NamedGroup | None = None
    ec_point: bytes | None = None
    rsa_modulus_bits: int | None = None
    psk_identity_hint: bytes | None = None
    signature_scheme: SignatureScheme | None = None
    signature: bytes = b""

    @property
    def dh_bits(self) -> int | None:
        return None if self.dh_p is None else self.dh_p.bit_length()


@dataclass(frozen=True)
class ServerHelloDone:
    """ServerHelloDone: the server's first flight (TLS <= 1.2) is complete."""


@dataclass(frozen=True)
class Alert:
    level: AlertLevel
    description: AlertDescription

    @property
    def fatal(self) -> bool:
        return self.level == AlertLevel.FATAL

    @property
    def name(self) -> str:
        return self.description.name.lower()


@dataclass(frozen=True)
class OtherHandshake:
    """A handshake message this reader does not decode (CertificateRequest, ...)."""

    msg_type: HandshakeType
    body: bytes


@dataclass(frozen=True)
class SSLv2ServerHello:
    """SSL 2.0 SERVER-HELLO: the server speaks SSLv2 and offers ``cipher_specs``."""

    session_id_hit: bool
    certificate_type: int
    version: int
    certificate: bytes
    cipher_specs: tuple[CipherSuite, ...]
    connection_id: bytes


@dataclass(frozen=True)
class SSLv2Error:
    """SSL 2.0 ERROR message (1 no cipher, 2 no certificate, 4 bad certificate, 6 unsupported
    certificate type)."""

    code: int


@dataclass(frozen=True)
class ChangeCipherSpec:
    payload: bytes


@dataclass(frozen=True)
class EncryptedRecords:
    """One record this reader cannot read: TLS 1.3 records after the ServerHello,
    application data, and record types it does not know (``length`` bytes)."""

    content_type: ContentType
    length: int


@dataclass(frozen=True)
class HeartbeatMessage:
    """A heartbeat record (RFC 6520): ``payload_length`` as claimed, ``record_length`` real."""

    message_type: int
    payload_length: int
    record_length: int


def parse_extensions(r: Reader) -> tuple[Extension, ...]:
    """An extensions block (u16 length, then type/u16-length/body entries), if present."""
    if r.done():
        return ()
    out: list[Extension] = []
    with r.sub(2, "extensions"):
        while not r.done():
            ext_type = ExtensionType(r.u16("extension type"))
            out.append(Extension(ext_type, r.vector(2, f"extension {ext_type.name}")))
    return tuple(out)


def _ext_reader(ext: Extension) -> Reader:
    return Reader(ext.data, f"ServerHello extension {ext.type.name}")


def _decode_extensions(exts: tuple[Extension, ...]) -> dict[str, object]:
    fields: dict[str, object] = {}
    for ext in exts:
        r = _ext_reader(ext)
        if ext.type == E.RENEGOTIATION_INFO:
            fields["renegotiation_info"] = r.vector(1, "renegotiated_connection")
        elif ext.type == E.EXTENDED_MASTER_SECRET:
            fields["extended_master_secret"] = True
        elif ext.type == E.ENCRYPT_THEN_MAC:
            fields["encrypt_then_mac"] = True
        elif ext.type == E.SESSION_TICKET:
            fields["session_ticket"] = True
        elif ext.type == E.STATUS_REQUEST:
            fields["status_request"] = True
        elif ext.type == E.HEARTBEAT:
            fields["heartbeat"] = HeartbeatMode(r.u8("heartbeat mode"))
        elif ext.type == E.APPLICATION_LAYER_PROTOCOL_NEGOTIATION:
            with r.sub(2, "ALPN list"):
                fields["alpn"] = r.vector(1, "protocol").decode("ascii", "replace")
        elif ext.type == E.KEY_SHARE:
            fields["key_share_group"] = NamedGroup(r.u16("key_share group"))
            r.vector(2, "key_exchange")
        elif ext.type == E.EC_POINT_FORMATS:
            fields["ec_point_formats"] = tuple(r.vector(1, "ec_point_formats"))
        elif ext.type == E.SUPPORTED_VERSIONS:
            fields["version"] = ProtocolVersion(r.u16("selected_version"))
        if ext.type in _STRICT and not r.done():
            raise TLSRecordError(f"{r.what}: {r.remaining} trailing bytes")
    return fields


_STRICT = frozenset({E.RENEGOTIATION_INFO, E.HEARTBEAT, E.KEY_SHARE, E.SUPPORTED_VERSIONS})


def _sentinel(random: bytes) -> ProtocolVersion | None:
    tail = random[-8:]
    if tail == DOWNGRADE_TLS12:
        return ProtocolVersion.TLSv1_2
    if tail == DOWNGRADE_TLS11:
        return ProtocolVersion.TLSv1_1
    return None


def parse_server_hello(body: bytes) -> ServerHello | HelloRetryRequest:
    r = Reader(body, "ServerHello")
    legacy = ProtocolVersion(r.u16("version"))
    random = r.read(32, "random")
    session_id = r.vector(1, "session_id")
    if len(session_id) > 32:
        raise TLSRecordError(f"ServerHello: session_id of {len(session_id)} bytes (max 32)")
    suite = cipher_suite(r.u16("cipher_suite"))
    compression = CompressionMethod(r.u8("compression_method"))
    exts = parse_extensions(r)
    if not r.done():
        raise TLSRecordError(f"ServerHello: {r.remaining} trailing bytes")
    if random == HRR_RANDOM:
        return _hello_retry(legacy, session_id, suite, exts)
    fields = _decode_extensions(exts)
    version = fields.pop("version", legacy)
    return ServerHello(
        version=version,  # type: ignore[arg-type]
        legacy_version=legacy,
        random=random,
        session_id=session_id,
        cipher_suite=suite,
        compression=compression,
        extensions=exts,
        downgrade_sentinel=_sentinel(random),
        **fields,  # type: ignore[arg-type]
    )


def _hello_retry(
    legacy: ProtocolVersion, session_id: bytes, suite: CipherSuite, exts: tuple[Extension, ...]
) -> HelloRetryRequest:
    version, group, cookie = legacy, None, None
    for ext in exts:
        r = Reader(ext.data, f"HelloRetryRequest extension {ext.type.name}")
        if ext.type == E.SUPPORTED_VERSIONS:
            version = ProtocolVersion(r.u16("selected_version"))
        elif ext.type == E.KEY_SHARE:
            group = NamedGroup(r.u16("selected_group"))
        elif ext.type == E.COOKIE:
            cookie = r.vector(2, "cookie")
    return HelloRetryRequest(version, session_id, suite, group, cookie, exts)


def parse_certificate(body: bytes, *, tls13: bool = False) -> CertificateMsg:
    """Certificate: TLS <= 1.2 (u24 list of u24 DER) or TLS 1.3 (context + entries)."""
    r = Reader(body, "Certificate")
    context = r.vector(1, "certificate_request_context") if tls13 else b""
    certs: list[bytes] = []
    with r.sub(3, "certificate_list"):
        while not r.done():
            certs.append(r.vector(3, "certificate"))
            if tls13:
                r.vector(2, "certificate extensions")
    if not r.done():
        raise TLSRecordError(f"Certificate: {r.remaining} trailing bytes")
    return CertificateMsg(tuple(certs), context)


def parse_certificate_status(body: bytes) -> CertificateStatus:
    r = Reader(body, "CertificateStatus")
    status_type = CertificateStatusType(r.u8("status_type"))
    response = r.vector(3, "OCSPResponse") if status_type == 1 else r.rest()
    if not r.done():
        raise TLSRecordError(f"CertificateStatus: {r.remaining} trailing bytes")
    return CertificateStatus(status_type, response)


def _dh_params(r: Reader) -> dict[str, object]:
    p_bytes = r.vector(2, "dh_p")
    g = int.from_bytes(r.vector(2, "dh_g"), "big")
    ys = r.vector(2, "dh_Ys")
    p = int.from_bytes(p_bytes, "big")
    group = identify(p)
    return {"dh_p": p, "dh_g": g, "dh_ys": ys, "dh_group": group.name if group else None}


def _ec_params(r: Reader) -> dict[str, object]:
    curve_type = ECCurveType(r.u8("curve_type"))
    if curve_type != ECCurveType.NAMED_CURVE:
        r.rest()  # explicit curves: parameters not decoded, signature not separable
        return {"curve_type": curve_type}
    curve = NamedGroup(r.u16("named_curve"))
    return {"curve_type": curve_type, "curve": curve, "ec_point": r.vector(1, "public point")}


def _rsa_params(r: Reader) -> dict[str, object]:
    modulus = r.vector(2, "rsa_modulus")
    r.vector(2, "rsa_exponent")
    return {"rsa_modulus_bits": int.from_bytes(modulus, "big").bit_length()}


def _ske_kind(suite: CipherSuite) -> str:
    if suite.kex in ("DHE", "DHE_PSK"):
        return "DHE"
    if suite.kex in ("ECDHE", "ECDHE_PSK"):
        return "ECDHE"
    if suite.kex == "RSA":
        return "RSA"
    if suite.kex in ("PSK", "RSA_PSK"):
        return "PSK"
    return "UNKNOWN"


def parse_server_key_exchange(
    body: bytes, suite: CipherSuite, version: ProtocolVersion
) -> ServerKeyExchange:
    """ServerKeyExchange for ``suite`` negotiated in ``version``."""
    r = Reader(body, f"ServerKeyExchange ({suite.name})")
    kind = _ske_kind(suite)
    if kind == "UNKNOWN" or not suite.known:
        return ServerKeyExchange("UNKNOWN", body)
    fields: dict[str, object] = {}
    if suite.kex in ("PSK", "RSA_PSK", "DHE_PSK", "ECDHE_PSK"):
        fields["psk_identity_hint"] = r.vector(2, "psk_identity_hint")
    parse = {"DHE": _dh_params, "ECDHE": _ec_params, "RSA": _rsa_params}.get(kind)
    if parse is not None:
        fields.update(parse(r))
    signed = suite.auth not in ("anon", "PSK", "NULL") and not r.done()
    if signed and version >= ProtocolVersion.TLSv1_2 and r.remaining >= 4:
        fields["signature_scheme"] = SignatureScheme(r.u16("signature scheme"))
    if signed:
        fields["signature"] = r.vector(2, "signature")
    if not r.done():
        raise TLSRecordError(f"{r.what}: {r.remaining} trailing bytes")
    return ServerKeyExchange(kind, body, **fields)  # type: ignore[arg-type]


def parse_server_hello_done(body: bytes) -> ServerHelloDone:
    if body:
        raise TLSRecordError(f"ServerHelloDone: {len(body)} unexpected bytes")
    return ServerHelloDone()


def parse_alerts(data: bytes) -> list[Alert]:
    """Alerts from an even number of bytes (level, description pairs)."""
    return [
        Alert(AlertLevel(data[i]), AlertDescription(data[i + 1])) for i in range(0, len(data), 2)
    ]


def parse_sslv2_message(message: bytes) -> SSLv2ServerHello | SSLv2Error:
    """An SSL 2.0 message from the server: SERVER-HELLO (4) or ERROR (0)."""
    r = Reader(message, "SSLv2 message")
    msg_type = r.u8("message type")
    if msg_type == 0:
        return SSLv2Error(r.u16("error code"))
    if msg_type != 4:
        raise TLSRecordError(f"SSLv2: unexpected message type {msg_type} (expected SERVER-HELLO)")
    hit = r.u8("session_id_hit")
    cert_type = r.u8("certificate_type")
    version = r.u16("server_version")
    cert_len, specs_len, conn_len = r.u16("cert length"), r.u16("specs length"), r.u16("id len")
    certificate = r.read(cert_len, "certificate")
    specs_raw = r.read(specs_len, "cipher_specs")
    connection_id = r.read(conn_len, "connection_id")
    if specs_len % 3:
        raise TLSRecordError(f"SSLv2 SERVER-HELLO: cipher_specs length {specs_len} not 3n")
    specs = tuple(
        sslv2_cipher(int.from_bytes(specs_raw[i : i + 3], "big")) for i in range(0, specs_len, 3)
    )
    return SSLv2ServerHello(bool(hit), cert_type, version, certificate, specs, connection_id)
