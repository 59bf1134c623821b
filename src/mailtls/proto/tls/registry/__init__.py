"""TLS registries as data: cipher suites (with OpenSSL names), SSL 2.0 cipher kinds, named
groups, signature schemes, extension types, alerts, protocol versions, GREASE.

All enumerations are open (see base.py): unknown and GREASE values become pseudo-members
named UNKNOWN_0x.... / GREASE_0x.... instead of raising.
"""

from mailtls.proto.tls.registry.base import GREASE_8, GREASE_16, OpenIntEnum, is_grease
from mailtls.proto.tls.registry.codes import (
    AlertDescription,
    AlertLevel,
    CertificateStatusType,
    CompressionMethod,
    ContentType,
    ECCurveType,
    ECPointFormat,
    ExtensionType,
    HandshakeType,
    HeartbeatMode,
    ProtocolVersion,
)
from mailtls.proto.tls.registry.groups import (
    GROUP_INFO,
    GroupInfo,
    NamedGroup,
    SignatureScheme,
    group_by_label,
)
from mailtls.proto.tls.registry.suites import (
    CipherSuite,
    all_suites,
    by_name,
    cipher_suite,
    sslv2_cipher,
    sslv2_ciphers,
    suites_for,
)

__all__ = [
    "GREASE_8",
    "GREASE_16",
    "GROUP_INFO",
    "AlertDescription",
    "AlertLevel",
    "CertificateStatusType",
    "CipherSuite",
    "CompressionMethod",
    "ContentType",
    "ECCurveType",
    "ECPointFormat",
    "ExtensionType",
    "GroupInfo",
    "HandshakeType",
    "HeartbeatMode",
    "NamedGroup",
    "OpenIntEnum",
    "ProtocolVersion",
    "SignatureScheme",
    "all_suites",
    "by_name",
    "cipher_suite",
    "group_by_label",
    "is_grease",
    "sslv2_cipher",
    "sslv2_ciphers",
    "suites_for",
]
