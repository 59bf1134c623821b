"""Sans-I/O TLS engine for probing: ClientHello builders, the server-flight reader, records,
vulnerability probes and the TLS registries. Standard library only; no socket, no ssl.

Building hellos (hello.py)::

    data = build_client_hello(ProtocolVersion.TLSv1_2, suites_for(ProtocolVersion.TLSv1_2),
                              server_name="mx.example.org", heartbeat=True)
    data = build_client_hello(ProtocolVersion.TLSv1_3, suites_for(ProtocolVersion.TLSv1_3),
                              groups=[NamedGroup.X25519, NamedGroup.SECP256R1])
    data = build_sslv2_client_hello(sslv2_ciphers())

    Options: groups, sig_algs, key_share_groups, versions (supported_versions), compression,
    ec_point_formats, extensions (False: none), renegotiation_info, extended_master_secret,
    session_ticket, status_request, heartbeat, encrypt_then_mac, alpn_protocols,
    fallback_scsv, empty_renegotiation_info_scsv, grease, extra_extensions, pad, random,
    session_id, entropy, record_version. Ciphers are codes or CipherSuite, sent in order.

Reading the server (reader.py, events in server.py)::

    reader = HandshakeReader(max_flight=256 * 1024, expect_sslv2=False)
    for event in reader.feed(chunk):          # any chunking; raises only TLSRecordError
        ServerHello | HelloRetryRequest | CertificateMsg | CertificateStatus
        | ServerKeyExchange | ServerHelloDone | OtherHandshake | Alert | ChangeCipherSpec
        | HeartbeatMessage | EncryptedRecords | SSLv2ServerHello | SSLv2Error
    reader.done                               # first flight complete (or failed)

Probes (probes.py): build_heartbeat_request(version), build_ccs_injection_probe(version),
classify_heartbeat_reply(reply, timed_out=...), classify_ccs_reply(reply, timed_out=...)
-> ProbeResult(verdict: Verdict, reason).

Registries (registry/): cipher_suite(code) -> CipherSuite (UNKNOWN_0x..../GREASE_0x.... for
unlisted codes), sslv2_cipher(code), suites_for(version), all_suites(), by_name(name),
NamedGroup, SignatureScheme, ExtensionType, AlertDescription, ProtocolVersion (open enums:
unknown values round-trip), GROUP_INFO, is_grease(). DH groups: dhgroups.identify(prime).
"""

from mailtls.proto.tls.dhgroups import DHGroup, identify
from mailtls.proto.tls.hello import (
    ALL_EC_GROUPS,
    DEFAULT_GROUPS,
    DEFAULT_SIG_ALGS,
    EMPTY_RENEGOTIATION_INFO_SCSV,
    FALLBACK_SCSV,
    build_client_hello,
    build_sslv2_client_hello,
)
from mailtls.proto.tls.probes import (
    ProbeResult,
    Verdict,
    build_ccs_injection_probe,
    build_heartbeat_request,
    classify_ccs_reply,
    classify_heartbeat_reply,
)
from mailtls.proto.tls.reader import DEFAULT_MAX_FLIGHT, Event, HandshakeReader, ReaderState
from mailtls.proto.tls.records import MAX_RECORD, Record, RecordSplitter, build_record
from mailtls.proto.tls.registry import (
    AlertDescription,
    AlertLevel,
    CipherSuite,
    CompressionMethod,
    ContentType,
    ExtensionType,
    HandshakeType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    all_suites,
    by_name,
    cipher_suite,
    is_grease,
    sslv2_cipher,
    sslv2_ciphers,
    suites_for,
)
from mailtls.proto.tls.server import (
    Alert,
    CertificateMsg,
    CertificateStatus,
    ChangeCipherSpec,
    EncryptedRecords,
    Extension,
    HeartbeatMessage,
    HelloRetryRequest,
    OtherHandshake,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    SSLv2Error,
    SSLv2ServerHello,
)

__all__ = [
    "ALL_EC_GROUPS",
    "DEFAULT_GROUPS",
    "DEFAULT_MAX_FLIGHT",
    "DEFAULT_SIG_ALGS",
    "EMPTY_RENEGOTIATION_INFO_SCSV",
    "FALLBACK_SCSV",
    "MAX_RECORD",
    "Alert",
    "AlertDescription",
    "AlertLevel",
    "CertificateMsg",
    "CertificateStatus",
    "ChangeCipherSpec",
    "CipherSuite",
    "CompressionMethod",
    "ContentType",
    "DHGroup",
    "EncryptedRecords",
    "Event",
    "Extension",
    "ExtensionType",
    "HandshakeReader",
    "HandshakeType",
    "HeartbeatMessage",
    "HelloRetryRequest",
    "NamedGroup",
    "OtherHandshake",
    "ProbeResult",
    "ProtocolVersion",
    "ReaderState",
    "Record",
    "RecordSplitter",
    "SSLv2Error",
    "SSLv2ServerHello",
    "ServerHello",
    "ServerHelloDone",
    "ServerKeyExchange",
    "SignatureScheme",
    "Verdict",
    "all_suites",
    "build_ccs_injection_probe",
    "build_client_hello",
    "build_heartbeat_request",
    "build_record",
    "build_sslv2_client_hello",
    "by_name",
    "cipher_suite",
    "classify_ccs_reply",
    "classify_heartbeat_reply",
    "identify",
    "is_grease",
    "sslv2_cipher",
    "sslv2_ciphers",
    "suites_for",
]
