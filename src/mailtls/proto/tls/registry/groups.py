"""Named groups (supported_groups, key_share) and signature schemes, as open enumerations.

Source: IANA "TLS Supported Groups" and "TLS SignatureScheme" registries (RFC 8422, RFC 7919,
RFC 8446, RFC 8734, RFC 9150, draft-ietf-tls-mlkem, draft-ietf-tls-ecdhe-mlkem,
draft-tls-westerbaan-xyber768d00). ``GROUP_INFO`` gives each group's family, bits of security
where it is meaningful (the field size) and the size of its key_share entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtls.proto.tls.registry.base import OpenIntEnum


class NamedGroup(OpenIntEnum):
    SECT163K1 = 1
    SECT163R1 = 2
    SECT163R2 = 3
    SECT193R1 = 4
    SECT193R2 = 5
    SECT233K1 = 6
    SECT233R1 = 7
    SECT239K1 = 8
    SECT283K1 = 9
    SECT283R1 = 10
    SECT409K1 = 11
    SECT409R1 = 12
    SECT571K1 = 13
    SECT571R1 = 14
    SECP160K1 = 15
    SECP160R1 = 16
    SECP160R2 = 17
    SECP192K1 = 18
    SECP192R1 = 19
    SECP224K1 = 20
    SECP224R1 = 21
    SECP256K1 = 22
    SECP256R1 = 23
    SECP384R1 = 24
    SECP521R1 = 25
    BRAINPOOLP256R1 = 26
    BRAINPOOLP384R1 = 27
    BRAINPOOLP512R1 = 28
    X25519 = 29
    X448 = 30
    BRAINPOOLP256R1TLS13 = 31
    BRAINPOOLP384R1TLS13 = 32
    BRAINPOOLP512R1TLS13 = 33
    GC256A = 34
    GC256B = 35
    GC256C = 36
    GC256D = 37
    GC512A = 38
    GC512B = 39
    GC512C = 40
    CURVESM2 = 41
    FFDHE2048 = 256
    FFDHE3072 = 257
    FFDHE4096 = 258
    FFDHE6144 = 259
    FFDHE8192 = 260
    MLKEM512 = 512
    MLKEM768 = 513
    MLKEM1024 = 514
    SECP256R1MLKEM768 = 0x11EB
    X25519MLKEM768 = 0x11EC
    SECP384R1MLKEM1024 = 0x11ED
    X25519KYBER768DRAFT00 = 0x6399
    SECP256R1KYBER768DRAFT00 = 0x639A
    ARBITRARY_EXPLICIT_PRIME_CURVES = 0xFF01
    ARBITRARY_EXPLICIT_CHAR2_CURVES = 0xFF02

    @property
    def label(self) -> str:
        """The name as the IANA registry spells it (``secp256r1``, ``X25519MLKEM768``)."""
        info = GROUP_INFO.get(int(self))
        return info.label if info else self.name


@dataclass(frozen=True)
class GroupInfo:
    """``family``: ec (short Weierstrass/binary), ecx (x25519/x448), ff (RFC 7919 finite field),
    kem (pure ML-KEM), hybrid (ECDHE + ML-KEM), gost (GOST curves); ``bits``: field size;
    ``share_size``: bytes of a key_share entry (0 when not fixed)."""

    label: str
    family: str
    bits: int
    share_size: int


def _ec(label: str, bits: int) -> GroupInfo:
    return GroupInfo(label, "ec", bits, 1 + 2 * ((bits + 7) // 8))


GROUP_INFO: dict[int, GroupInfo] = {
    **{
        code: _ec(label, bits)
        for code, label, bits in [
            (1, "sect163k1", 163), (2, "sect163r1", 163), (3, "sect163r2", 163),
            (4, "sect193r1", 193), (5, "sect193r2", 193), (6, "sect233k1", 233),
            (7, "sect233r1", 233), (8, "sect239k1", 239), (9, "sect283k1", 283),
            (10, "sect283r1", 283), (11, "sect409k1", 409), (12, "sect409r1", 409),
            (13, "sect571k1", 571), (14, "sect571r1", 571), (15, "secp160k1", 160),
            (16, "secp160r1", 160), (17, "secp160r2", 160), (18, "secp192k1", 192),
            (19, "secp192r1", 192), (20, "secp224k1", 224), (21, "secp224r1", 224),
            (22, "secp256k1", 256), (23, "secp256r1", 256), (24, "secp384r1", 384),
            (25, "secp521r1", 521), (26, "brainpoolP256r1", 256), (27, "brainpoolP384r1", 384),
            (28, "brainpoolP512r1", 512), (31, "brainpoolP256r1tls13", 256),
            (32, "brainpoolP384r1tls13", 384), (33, "brainpoolP512r1tls13", 512),
            (41, "curveSM2", 256),
        ]
    },
    29: GroupInfo("x25519", "ecx", 255, 32),
    30: GroupInfo("x448", "ecx", 448, 56),
    **{
        code: GroupInfo(label, "gost", bits, 0)
        for code, label, bits in [
            (34, "GC256A", 256), (35, "GC256B", 256), (36, "GC256C", 256), (37, "GC256D", 256),
            (38, "GC512A", 512), (39, "GC512B", 512), (40, "GC512C", 512),
        ]
    },
    256: GroupInfo("ffdhe2048", "ff", 2048, 256),
    257: GroupInfo("ffdhe3072", "ff", 3072, 384),
    258: GroupInfo("ffdhe4096", "ff", 4096, 512),
    259: GroupInfo("ffdhe6144", "ff", 6144, 768),
    260: GroupInfo("ffdhe8192", "ff", 8192, 1024),
    512: GroupInfo("MLKEM512", "kem", 0, 800),
    513: GroupInfo("MLKEM768", "kem", 0, 1184),
    514: GroupInfo("MLKEM1024", "kem", 0, 1568),
    0x11EB: GroupInfo("SecP256r1MLKEM768", "hybrid", 256, 65 + 1184),
    0x11EC: GroupInfo("X25519MLKEM768", "hybrid", 255, 1184 + 32),
    0x11ED: GroupInfo("SecP384r1MLKEM1024", "hybrid", 384, 97 + 1568),
    0x6399: GroupInfo("X25519Kyber768Draft00", "hybrid", 255, 32 + 1184),
    0x639A: GroupInfo("SecP256r1Kyber768Draft00", "hybrid", 256, 65 + 1184),
    0xFF01: GroupInfo("arbitrary_explicit_prime_curves", "ec", 0, 0),
    0xFF02: GroupInfo("arbitrary_explicit_char2_curves", "ec", 0, 0),
}


def group_by_label(label: str) -> NamedGroup:
    """``secp256r1`` / ``X25519MLKEM768`` / ``ffdhe2048`` (any case) -> NamedGroup."""
    wanted = label.lower()
    for code, info in GROUP_INFO.items():
        if info.label.lower() == wanted:
            return NamedGroup(code)
    raise KeyError(label)


class SignatureScheme(OpenIntEnum):
    RSA_PKCS1_MD5 = 0x0101
    DSA_MD5 = 0x0102
    ECDSA_MD5 = 0x0103
    RSA_PKCS1_SHA1 = 0x0201
    DSA_SHA1 = 0x0202
    ECDSA_SHA1 = 0x0203
    RSA_PKCS1_SHA224 = 0x0301
    DSA_SHA224 = 0x0302
    ECDSA_SHA224 = 0x0303
    RSA_PKCS1_SHA256 = 0x0401
    DSA_SHA256 = 0x0402
    ECDSA_SECP256R1_SHA256 = 0x0403
    RSA_PKCS1_SHA256_LEGACY = 0x0420
    RSA_PKCS1_SHA384 = 0x0501
    DSA_SHA384 = 0x0502
    ECDSA_SECP384R1_SHA384 = 0x0503
    RSA_PKCS1_SHA384_LEGACY = 0x0520
    RSA_PKCS1_SHA512 = 0x0601
    DSA_SHA512 = 0x0602
    ECDSA_SECP521R1_SHA512 = 0x0603
    RSA_PKCS1_SHA512_LEGACY = 0x0620
    ECCSI_SHA256 = 0x0704
    ISO_IBS1 = 0x0705
    ISO_IBS2 = 0x0706
    ISO_CHINESE_IBS = 0x0707
    SM2SIG_SM3 = 0x0708
    GOSTR34102012_256A = 0x0709
    GOSTR34102012_256B = 0x070A
    GOSTR34102012_256C = 0x070B
    GOSTR34102012_256D = 0x070C
    GOSTR34102012_512A = 0x070D
    GOSTR34102012_512B = 0x070E
    GOSTR34102012_512C = 0x070F
    RSA_PSS_RSAE_SHA256 = 0x0804
    RSA_PSS_RSAE_SHA384 = 0x0805
    RSA_PSS_RSAE_SHA512 = 0x0806
    ED25519 = 0x0807
    ED448 = 0x0808
    RSA_PSS_PSS_SHA256 = 0x0809
    RSA_PSS_PSS_SHA384 = 0x080A
    RSA_PSS_PSS_SHA512 = 0x080B
    ECDSA_BRAINPOOLP256R1TLS13_SHA256 = 0x081A
    ECDSA_BRAINPOOLP384R1TLS13_SHA384 = 0x081B
    ECDSA_BRAINPOOLP512R1TLS13_SHA512 = 0x081C
    MLDSA44 = 0x0904
    MLDSA65 = 0x0905
    MLDSA87 = 0x0906

    @property
    def label(self) -> str:
        """The lower-case IANA spelling (``rsa_pss_rsae_sha256``)."""
        return self.name.lower() if self.known else self.name

    @property
    def key_type(self) -> str:
        """rsa, dsa, ecdsa, eddsa, gost, sm2, mldsa or other: the certificate key it needs."""
        name = self.name
        for prefix, kind in (
            ("RSA", "rsa"), ("DSA", "dsa"), ("ECDSA", "ecdsa"), ("ED", "eddsa"),
            ("GOST", "gost"), ("SM2", "sm2"), ("MLDSA", "mldsa"),
        ):  # fmt: skip
            if name.startswith(prefix) and self.known:
                return kind
        return "other"
