# ClientHello builders, byte by byte: SSL 2.0 (its own record format), SSL 3.0, TLS 1.0-1.3.
#
# Rules (RFC 6101, 2246, 4346, 5246, 8446; draft-hickman-netscape-ssl-00 for SSL 2.0):
# - build_client_hello() returns complete records (type 22), ready to write. The record
#   version is 0x0300 for SSLv3 and 0x0301 otherwise, as browsers and OpenSSL send it.
# - TLS 1.3: legacy_version 0x0303, supported_versions lists the versions offered, a 32-byte
#   legacy session id (middlebox compatibility), key_share carries one entry per group in
#   ``key_share_groups`` (default: the first of ``groups`` we can build, see keyshares.py),
#   psk_key_exchange_modes (psk_dhe_ke). ec_point_formats and renegotiation_info are sent
#   only when a TLS <= 1.2 version is also offered.
# - TLS <= 1.2: legacy_version is the version; signature_algorithms only from TLS 1.2 on.
# - SSLv3 sends no extensions unless ``extensions=True``: many SSLv3-only stacks choke on
#   them. Every extension flag is honoured only when extensions are sent at all.
# - padding (RFC 7685): a ClientHello whose handshake message is 256..511 bytes long is padded
#   to 512 (the F5 workaround OpenSSL and browsers apply), unless pad=False.
# - Unknown code points pass through unchanged: ciphers, groups, sig_algs and extra
#   extensions are ints or open-enum members; GREASE values are sent as given.
# - Deterministic when ``random`` and ``entropy`` are given (tests); os.urandom otherwise.

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence

from mailtls.proto.tls.keyshares import Entropy, can_share, key_share
from mailtls.proto.tls.records import build_record, build_sslv2_record
from mailtls.proto.tls.registry.codes import ContentType, ExtensionType, HandshakeType
from mailtls.proto.tls.registry.codes import ProtocolVersion as V
from mailtls.proto.tls.registry.groups import NamedGroup as G
from mailtls.proto.tls.registry.groups import SignatureScheme as S
from mailtls.proto.tls.registry.suites import CipherSuite
from mailtls.proto.tls.wire import u8, u16, u16_list, vec

FALLBACK_SCSV = 0x5600
EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF

DEFAULT_GROUPS: tuple[int, ...] = (
    G.X25519, G.SECP256R1, G.X448, G.SECP521R1, G.SECP384R1,
    G.FFDHE2048, G.FFDHE3072, G.FFDHE4096, G.FFDHE6144, G.FFDHE8192,
)  # fmt: skip
ALL_EC_GROUPS: tuple[int, ...] = (
    *range(G.SECT163K1, G.SECP521R1 + 1), G.BRAINPOOLP256R1, G.BRAINPOOLP384R1,
    G.BRAINPOOLP512R1, G.X25519, G.X448,
)  # fmt: skip
DEFAULT_SIG_ALGS: tuple[int, ...] = (
    S.ECDSA_SECP256R1_SHA256, S.ECDSA_SECP384R1_SHA384, S.ECDSA_SECP521R1_SHA512,
    S.ED25519, S.ED448, S.RSA_PSS_PSS_SHA256, S.RSA_PSS_PSS_SHA384, S.RSA_PSS_PSS_SHA512,
    S.RSA_PSS_RSAE_SHA256, S.RSA_PSS_RSAE_SHA384, S.RSA_PSS_RSAE_SHA512,
    S.RSA_PKCS1_SHA256, S.RSA_PKCS1_SHA384, S.RSA_PKCS1_SHA512,
    S.ECDSA_SHA224, S.RSA_PKCS1_SHA224, S.DSA_SHA224, S.DSA_SHA256, S.DSA_SHA384,
    S.DSA_SHA512, S.ECDSA_SHA1, S.RSA_PKCS1_SHA1, S.DSA_SHA1,
)  # fmt: skip

Cipher = int | CipherSuite


def extension(ext_type: int, body: bytes) -> bytes:
    """One extension: type(2) + length(2) + body."""
    return u16(int(ext_type)) + vec(2, body)


def sni(server_name: str) -> bytes:
    """server_name body with one host_name entry (RFC 6066 3)."""
    name = server_name.rstrip(".").encode("idna")
    return vec(2, u8(0) + vec(2, name))


def is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def alpn(protocols: Iterable[str]) -> bytes:
    return vec(2, b"".join(vec(1, p.encode("ascii")) for p in protocols))


def key_share_body(groups: Sequence[int], entropy: Entropy) -> bytes:
    entries = b"".join(u16(int(g)) + vec(2, key_share(g, entropy)) for g in groups)
    return vec(2, entries)


def _codes(ciphers: Iterable[Cipher]) -> list[int]:
    return [c.code if isinstance(c, CipherSuite) else int(c) for c in ciphers]


def _offered_versions(version: V, versions: Sequence[int] | None) -> list[int]:
    if versions is not None:
        return [int(v) for v in versions]
    return [V.TLSv1_3] if version == V.TLSv1_3 else []


def build_extensions(
    version: V,
    offered: Sequence[int],
    *,
    server_name: str | None,
    groups: Sequence[int],
    sig_algs: Sequence[int],
    key_share_groups: Sequence[int] | None,
    ec_point_formats: Sequence[int],
    flags: dict[str, bool],
    alpn_protocols: Sequence[str],
    grease: int | None,
    extra: Sequence[tuple[int, bytes]],
    entropy: Entropy,
) -> list[bytes]:
    """The extension blocks of a ClientHello, in the order OpenSSL sends them."""
    tls13 = V.TLSv1_3 in offered or any(v >> 8 == 0x7F for v in offered)
    legacy = not offered or any(0x0300 <= v <= 0x0303 for v in offered)
    E = ExtensionType
    out = [extension(grease, b"")] if grease is not None else []
    if server_name and not is_ip_literal(server_name):
        out.append(extension(E.SERVER_NAME, sni(server_name)))
    if legacy and ec_point_formats:
        out.append(extension(E.EC_POINT_FORMATS, vec(1, bytes(ec_point_formats))))
    if groups:
        listed = ([grease] if grease is not None else []) + [int(g) for g in groups]
        out.append(extension(E.SUPPORTED_GROUPS, u16_list(listed)))
    if flags.get("session_ticket", True):
        out.append(extension(E.SESSION_TICKET, b""))
    if flags.get("encrypt_then_mac", False):
        out.append(extension(E.ENCRYPT_THEN_MAC, b""))
    if flags.get("extended_master_secret", True):
        out.append(extension(E.EXTENDED_MASTER_SECRET, b""))
    if sig_algs and (version >= V.TLSv1_2 or tls13):
        out.append(extension(E.SIGNATURE_ALGORITHMS, u16_list(sig_algs)))
    if flags.get("status_request", True):
        out.append(extension(E.STATUS_REQUEST, u8(1) + u16(0) + u16(0)))
    if flags.get("heartbeat", False):
        out.append(extension(E.HEARTBEAT, u8(1)))
    if alpn_protocols:
        out.append(extension(E.APPLICATION_LAYER_PROTOCOL_NEGOTIATION, alpn(alpn_protocols)))
    if legacy and flags.get("renegotiation_info", True):
        out.append(extension(E.RENEGOTIATION_INFO, vec(1, b"")))
    if tls13:
        out += _tls13_extensions(offered, groups, key_share_groups, grease, entropy)
    out += [extension(t, body) for t, body in extra]
    return out


def _tls13_extensions(
    offered: Sequence[int],
    groups: Sequence[int],
    key_share_groups: Sequence[int] | None,
    grease: int | None,
    entropy: Entropy,
) -> list[bytes]:
    E = ExtensionType
    versions = ([grease] if grease is not None else []) + list(offered)
    if key_share_groups is None:
        key_share_groups = next(([g] for g in groups if can_share(g)), [])
    return [
        extension(E.SUPPORTED_VERSIONS, vec(1, b"".join(u16(v) for v in versions))),
        extension(E.PSK_KEY_EXCHANGE_MODES, vec(1, u8(1))),
        extension(E.KEY_SHARE, key_share_body(key_share_groups, entropy)),
    ]


def _pad(extensions: list[bytes], body_without_ext: int) -> list[bytes]:
    """RFC 7685 padding: lift a 256..511-byte handshake message to 512 bytes."""
    length = 4 + body_without_ext + 2 + sum(len(e) for e in extensions)
    if not 0x100 <= length < 0x200:
        return extensions
    missing = 0x200 - length
    return [*extensions, extension(ExtensionType.PADDING, bytes(max(missing - 4, 0)))]


def client_hello_body(
    version: V | int,
    ciphers: Iterable[Cipher],
    *,
    random: bytes | None = None,
    session_id: bytes | None = None,
    compression: Sequence[int] = (0,),
    extensions: list[bytes] | None = None,
    pad: bool = True,
) -> bytes:
    """The ClientHello body (no handshake header): version, random, session id, suites,
    compression methods and the given extension blocks (None: no extensions field)."""
    v = V(version)
    legacy_version = min(int(v), 0x0303)
    rnd = random if random is not None else os.urandom(32)
    if len(rnd) != 32:
        raise ValueError("random must be 32 bytes")
    if session_id is None:
        session_id = os.urandom(32) if v == V.TLSv1_3 else b""
    head = (
        u16(legacy_version) + rnd + vec(1, session_id)
        + u16_list(_codes(ciphers)) + vec(1, bytes(compression))
    )  # fmt: skip
    if extensions is None:
        return head
    if pad:
        extensions = _pad(extensions, len(head))
    return head + vec(2, b"".join(extensions))


def handshake(msg_type: int, body: bytes) -> bytes:
    """A handshake message: type(1) + length(3) + body."""
    return u8(int(msg_type)) + vec(3, body)


def build_client_hello(
    version: V | int,
    ciphers: Iterable[Cipher],
    *,
    server_name: str | None = None,
    groups: Sequence[int] = DEFAULT_GROUPS,
    sig_algs: Sequence[int] = DEFAULT_SIG_ALGS,
    key_share_groups: Sequence[int] | None = None,
    versions: Sequence[int] | None = None,
    ec_point_formats: Sequence[int] = (0,),
    compression: Sequence[int] = (0,),
    extensions: bool | None = None,
    renegotiation_info: bool = True,
    extended_master_secret: bool = True,
    session_ticket: bool = True,
    status_request: bool = True,
    heartbeat: bool = False,
    encrypt_then_mac: bool = False,
    alpn_protocols: Sequence[str] = (),
    fallback_scsv: bool = False,
    empty_renegotiation_info_scsv: bool = False,
    grease: int | None = None,
    extra_extensions: Sequence[tuple[int, bytes]] = (),
    pad: bool = True,
    random: bytes | None = None,
    session_id: bytes | None = None,
    entropy: Entropy = os.urandom,
    record_version: int | None = None,
) -> bytes:
    """A complete ClientHello, framed as TLS records. ``version`` is the highest version
    offered (TLS 1.3 also needs ``versions`` to offer older ones alongside); ``ciphers`` are
    codes or CipherSuites, sent in order; SCSVs are appended when asked; ``grease`` (e.g.
    0x0a0a) adds that value first to suites, extensions, groups and supported_versions."""
    v = V(version)
    offered = _offered_versions(v, versions)
    codes = ([grease] if grease is not None else []) + _codes(ciphers)
    codes += [EMPTY_RENEGOTIATION_INFO_SCSV] if empty_renegotiation_info_scsv else []
    codes += [FALLBACK_SCSV] if fallback_scsv else []
    if extensions is None:
        extensions = v != V.SSLv3
    blocks = None
    if extensions:
        flags = {
            "renegotiation_info": renegotiation_info,
            "extended_master_secret": extended_master_secret,
            "session_ticket": session_ticket,
            "status_request": status_request,
            "heartbeat": heartbeat,
            "encrypt_then_mac": encrypt_then_mac,
        }
        blocks = build_extensions(
            v, offered, server_name=server_name, groups=groups, sig_algs=sig_algs,
            key_share_groups=key_share_groups, ec_point_formats=ec_point_formats,
            flags=flags, alpn_protocols=alpn_protocols, grease=grease,
            extra=extra_extensions, entropy=entropy,
        )  # fmt: skip
    body = client_hello_body(
        v, codes, random=random, session_id=session_id, compression=compression,
        extensions=blocks, pad=pad,
    )  # fmt: skip
    rec_version = record_version if record_version is not None else min(int(v), 0x0301)
    message = handshake(HandshakeType.CLIENT_HELLO, body)
    return build_record(ContentType.HANDSHAKE, rec_version, message)


def build_sslv2_client_hello(
    ciphers: Iterable[Cipher],
    *,
    version: int = V.SSLv2,
    challenge: bytes | None = None,
    session_id: bytes = b"",
) -> bytes:
    """An SSL 2.0 CLIENT-HELLO record. ``ciphers``: SSL 2.0 kinds (24-bit codes or their
    CipherSuite) and/or TLS suites (sent as 0x00XXYY, for the SSLv2-compatible TLS hello with
    ``version`` 0x0301..0x0303). The challenge is 16 random bytes unless given (16..32)."""
    specs = b""
    for c in ciphers:
        if isinstance(c, CipherSuite):
            specs += c.code.to_bytes(3, "big")
        else:
            specs += int(c).to_bytes(3, "big")
    chal = challenge if challenge is not None else os.urandom(16)
    if not 16 <= len(chal) <= 32:
        raise ValueError("SSLv2 challenge must be 16..32 bytes")
    message = (
        u8(1) + u16(version) + u16(len(specs)) + u16(len(session_id)) + u16(len(chal))
        + specs + session_id + chal
    )  # fmt: skip
    return build_sslv2_record(message)
