"""The cipher-suite registry: every IANA-assigned TLS cipher suite, a few unregistered ones
still met in the field, and the SSL 2.0 cipher kinds.

The data (_suites_a.py, _suites_b.py) holds only facts: code, IANA name, OpenSSL name. The
properties (key exchange, authentication, cipher, mode, bits, mac, protocol versions and the
flags derived from them) are read from the IANA name by the small grammar below, so one
table cannot disagree with another. ``tests/tls/test_registry.py`` checks the grammar against
OpenSSL's own description of every suite it implements.

Versions: TLS 1.3 suites belong to TLS 1.3 only; AEAD suites and suites with a SHA-256/384
HMAC to TLS 1.2 only, except the PSK families (RFC 5487, RFC 5489, RFC 6209, RFC 6367), which
allow TLS 1.0 and later; ECC suites (RFC 4492) to TLS 1.0-1.2; all others to SSLv3 through
TLS 1.2 (as OpenSSL classifies them; an enumerator may still offer any suite anywhere).
Export suites are kept in TLS 1.1/1.2 on purpose: a server that accepts them there is worth
knowing about.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mailtls.proto.tls.registry import _suites_a, _suites_b
from mailtls.proto.tls.registry.base import is_grease
from mailtls.proto.tls.registry.codes import ProtocolVersion as V

SSL3_TO_TLS12 = frozenset({V.SSLv3, V.TLSv1_0, V.TLSv1_1, V.TLSv1_2})
TLS10_TO_TLS12 = frozenset({V.TLSv1_0, V.TLSv1_1, V.TLSv1_2})
TLS12 = frozenset({V.TLSv1_2})
TLS13 = frozenset({V.TLSv1_3})
SSL2 = frozenset({V.SSLv2})

TLS13_CODES = frozenset(
    {0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0x1306, 0x1307, 0x00C6, 0x00C7, 0xC0B4, 0xC0B5}
    | {0xC103, 0xC104, 0xC105, 0xC106}
)
SCSV_CODES = frozenset({0x00FF, 0x5600})
AEAD_MODES = frozenset({"GCM", "CCM", "CCM_8", "POLY1305", "MGM", "AEGIS"})
FS_KEX = frozenset({"DHE", "ECDHE", "DHE_PSK", "ECDHE_PSK", "ECCPWD", "ANY"})
PSK_KEX = frozenset({"PSK", "DHE_PSK", "RSA_PSK", "ECDHE_PSK"})

# Key-exchange part of the name -> (kex, auth). Anonymous (EC)DH is ephemeral: kex (EC)DHE.
_KX: dict[str, tuple[str, str]] = {
    "NULL": ("NULL", "NULL"), "RSA": ("RSA", "RSA"), "RSA_FIPS": ("RSA", "RSA"),
    "DH_DSS": ("DH", "DSS"), "DH_RSA": ("DH", "RSA"), "DHE_DSS": ("DHE", "DSS"),
    "DHE_RSA": ("DHE", "RSA"), "DH_anon": ("DHE", "anon"), "KRB5": ("KRB5", "KRB5"),
    "PSK": ("PSK", "PSK"), "DHE_PSK": ("DHE_PSK", "PSK"), "PSK_DHE": ("DHE_PSK", "PSK"),
    "RSA_PSK": ("RSA_PSK", "RSA"), "ECDHE_PSK": ("ECDHE_PSK", "PSK"),
    "ECDH_ECDSA": ("ECDH", "ECDSA"), "ECDHE_ECDSA": ("ECDHE", "ECDSA"),
    "ECDH_RSA": ("ECDH", "RSA"), "ECDHE_RSA": ("ECDHE", "RSA"), "ECDH_anon": ("ECDHE", "anon"),
    "SRP_SHA": ("SRP", "SRP"), "SRP_SHA_RSA": ("SRP", "RSA"), "SRP_SHA_DSS": ("SRP", "DSS"),
    "ECCPWD": ("ECCPWD", "ECCPWD"), "GOSTR341112_256": ("GOST", "GOST"),
    "GOSTR341094": ("GOST", "GOST"), "GOSTR341001": ("GOST", "GOST"), "ANY": ("ANY", "ANY"),
}  # fmt: skip

# Cipher part -> (cipher, key bits, mode); matched longest first against the name's tail.
_CIPHERS: dict[str, tuple[str, int, str]] = {
    "NULL": ("NULL", 0, "NULL"), "SHA256": ("NULL", 0, "NULL"), "SHA384": ("NULL", 0, "NULL"),
    "RC4_40": ("RC4", 40, "STREAM"), "RC4_56": ("RC4", 56, "STREAM"),
    "RC4_128": ("RC4", 128, "STREAM"), "RC2_CBC_40": ("RC2", 40, "CBC"),
    "RC2_CBC_56": ("RC2", 56, "CBC"), "IDEA_CBC": ("IDEA", 128, "CBC"),
    "DES40_CBC": ("DES", 40, "CBC"), "DES_CBC_40": ("DES", 40, "CBC"),
    "DES_CBC": ("DES", 56, "CBC"), "3DES_EDE_CBC": ("3DES", 168, "CBC"),
    "SEED_CBC": ("SEED", 128, "CBC"), "28147_CNT": ("GOST28147", 256, "CNT"),
    "KUZNYECHIK_CTR": ("KUZNYECHIK", 256, "CTR"), "MAGMA_CTR": ("MAGMA", 256, "CTR"),
    "CHACHA20_POLY1305": ("CHACHA20", 256, "POLY1305"), "SM4_GCM": ("SM4", 128, "GCM"),
    "SM4_CCM": ("SM4", 128, "CCM"), "AEGIS_256": ("AEGIS", 256, "AEGIS"),
    "AEGIS_128L": ("AEGIS", 128, "AEGIS"),
    **{
        f"{c}_{b}_{m}": (c, b, m.replace("CCM_8", "CCM_8"))
        for c in ("AES", "CAMELLIA", "ARIA")
        for b in (128, 256)
        for m in ("CBC", "GCM", "CCM", "CCM_8")
    },
    **{f"{c}_MGM_{s}": (c, 256, "MGM") for c in ("KUZNYECHIK", "MAGMA") for s in ("L", "S")},
}  # fmt: skip
_CIPHER_KEYS = sorted(_CIPHERS, key=len, reverse=True)
_MACS = {
    "": "AEAD", "SHA": "SHA1", "MD5": "MD5", "SHA256": "SHA256", "SHA384": "SHA384",
    "SM3": "SM3", "IMIT": "GOST28147", "OMAC": "OMAC", "GOSTR3411": "GOSTR3411", "NULL": "NULL",
}  # fmt: skip


@dataclass(frozen=True)
class CipherSuite:
    """One cipher suite (or SSL 2.0 cipher kind). ``name`` is the IANA name, ``openssl`` the
    OpenSSL name or None; ``kex`` RSA, DH, DHE, ECDH, ECDHE, PSK, DHE_PSK, RSA_PSK, ECDHE_PSK,
    SRP, KRB5, ECCPWD, GOST, NULL or ANY (TLS 1.3); ``auth`` RSA, DSS, ECDSA, anon, PSK, SRP,
    KRB5, ECCPWD, GOST, NULL or ANY; ``mode`` CBC, GCM, CCM, CCM_8, POLY1305, STREAM, CNT, CTR,
    MGM, AEGIS or NULL; ``mac`` AEAD for AEAD modes; ``bits`` the key size as OpenSSL prints
    it (3DES 168, export 40/56); ``iana`` False for unregistered suites; ``known`` False for
    code points that are in no table (their name is UNKNOWN_0x.... or GREASE_0x....)."""

    code: int
    name: str
    openssl: str | None
    kex: str
    auth: str
    cipher: str
    bits: int
    mode: str
    mac: str
    versions: frozenset[V]
    export: bool = False
    iana: bool = True
    known: bool = True

    @property
    def hex(self) -> str:
        return f"0x{self.code:06x}" if self.sslv2 else f"0x{self.code:04x}"

    @property
    def sslv2(self) -> bool:
        return V.SSLv2 in self.versions

    @property
    def tls13(self) -> bool:
        return V.TLSv1_3 in self.versions

    @property
    def scsv(self) -> bool:
        """A signalling value (TLS_FALLBACK_SCSV, TLS_EMPTY_RENEGOTIATION_INFO_SCSV)."""
        return self.code in SCSV_CODES and not self.sslv2

    @property
    def grease(self) -> bool:
        return not self.sslv2 and is_grease(self.code)

    @property
    def null(self) -> bool:
        return self.known and self.cipher == "NULL" and not self.scsv

    @property
    def anonymous(self) -> bool:
        return self.auth in ("anon", "NULL") and not self.scsv and self.known

    @property
    def rc4(self) -> bool:
        return self.cipher == "RC4"

    @property
    def triple_des(self) -> bool:
        return self.cipher == "3DES"

    @property
    def cbc(self) -> bool:
        return self.mode == "CBC"

    @property
    def aead(self) -> bool:
        return self.mode in AEAD_MODES

    @property
    def forward_secrecy(self) -> bool:
        return self.kex in FS_KEX

    def to_json(self) -> dict[str, str | None]:
        """The form issue 3's JSON uses: {"iana": ..., "code": "0xc02c", "openssl": ...}."""
        return {"iana": self.name, "code": self.hex, "openssl": self.openssl}


def _split_name(name: str) -> tuple[str, str, bool]:
    """IANA name -> (key-exchange part, cipher-and-mac part, export)."""
    body = name.removeprefix("TLS_").removeprefix("SSL_").removesuffix("_OLD")
    kx, sep, rest = body.partition("_WITH_")
    if not sep:
        kx, rest = "ANY", body
    export = "_EXPORT" in kx
    kx = kx.replace("_EXPORT1024", "").replace("_EXPORT", "")
    return kx, rest, export


def _versions(code: int, kex: str, mode: str, mac: str, gost2012: bool) -> frozenset[V]:
    if code in SCSV_CODES:
        return frozenset()
    if code in TLS13_CODES:
        return TLS13
    if mode in AEAD_MODES or gost2012:
        return TLS12
    if mac in ("SHA256", "SHA384"):
        return TLS10_TO_TLS12 if kex in PSK_KEX else TLS12
    if kex in ("ECDH", "ECDHE", "ECDHE_PSK"):
        return TLS10_TO_TLS12  # RFC 4492/5489: ECC suites start with TLS 1.0
    return SSL3_TO_TLS12


def parse_suite(code: int, name: str, openssl: str | None, *, iana: bool = True) -> CipherSuite:
    """Derive every property of a TLS cipher suite from its IANA-style name."""
    kx, rest, export = _split_name(name)
    if code in SCSV_CODES:
        return CipherSuite(code, name, openssl, "NULL", "NULL", "NULL", 0, "NULL", "NULL",
                           frozenset(), iana=iana)  # fmt: skip
    if code in TLS13_CODES:
        kx = "ANY"
    if kx not in _KX:
        raise ValueError(f"{name}: unknown key exchange {kx!r}")
    kex, auth = _KX[kx]
    key = next((k for k in _CIPHER_KEYS if rest == k or rest.startswith(k + "_")), None)
    if key is None:
        raise ValueError(f"{name}: unknown cipher in {rest!r}")
    cipher, bits, mode = _CIPHERS[key]
    tail = rest[len(key) :].lstrip("_")
    if code in (0xC0B4, 0xC0B5):  # TLS_SHA256_SHA256: integrity only
        tail = key
    if tail not in _MACS:
        raise ValueError(f"{name}: unknown mac {tail!r}")
    mac = "AEAD" if mode in AEAD_MODES else _MACS[tail]
    versions = _versions(code, kex, mode, mac, kx == "GOSTR341112_256")
    return CipherSuite(
        code, name, openssl, kex, auth, cipher, bits, mode, mac, versions, export, iana
    )


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def _opt(name: str) -> str | None:
    return None if name == "-" else name


@cache
def _tables() -> tuple[dict[int, CipherSuite], dict[int, CipherSuite]]:
    tls: dict[int, CipherSuite] = {}
    for text, iana in ((_suites_a.DATA, True), (_suites_b.DATA, True), (_suites_b.EXTRA, False)):
        for code, name, openssl in _rows(text):
            suite = parse_suite(int(code, 16), name, _opt(openssl), iana=iana)
            if suite.code in tls:
                raise ValueError(f"duplicate cipher suite {suite.hex}")
            tls[suite.code] = suite
    ssl2: dict[int, CipherSuite] = {}
    for code, name, openssl, cipher, bits, mac, export in _rows(_suites_b.SSLV2):
        mode = "STREAM" if cipher == "RC4" else ("NULL" if cipher == "NULL" else "CBC")
        ssl2[int(code, 16)] = CipherSuite(
            int(code, 16), name, openssl, "RSA", "RSA", cipher, int(bits), mode, mac, SSL2,
            export == "export", iana=False,
        )  # fmt: skip
    return tls, ssl2


def _unknown(code: int, versions: frozenset[V]) -> CipherSuite:
    width = 6 if versions == SSL2 else 4
    prefix = "GREASE" if width == 4 and is_grease(code) else "UNKNOWN"
    return CipherSuite(
        code, f"{prefix}_0x{code:0{width}x}", None, "UNKNOWN", "UNKNOWN", "UNKNOWN", 0,
        "UNKNOWN", "UNKNOWN", versions, iana=False, known=False,
    )  # fmt: skip


def cipher_suite(code: int) -> CipherSuite:
    """The suite with this 16-bit code; an UNKNOWN_0x..../GREASE_0x.... suite when unlisted."""
    if not 0 <= code <= 0xFFFF:
        raise ValueError(f"cipher suite code {code} is not 16 bits")
    return _tables()[0].get(code) or _unknown(code, frozenset())


def sslv2_cipher(code: int) -> CipherSuite:
    """The SSL 2.0 cipher kind with this 24-bit code (UNKNOWN_0x...... when unlisted)."""
    if not 0 <= code <= 0xFFFFFF:
        raise ValueError(f"SSLv2 cipher code {code} is not 24 bits")
    return _tables()[1].get(code) or _unknown(code, SSL2)


def all_suites(*, include_unregistered: bool = True) -> list[CipherSuite]:
    """Every TLS suite in code order (SCSVs included; SSL 2.0 kinds not)."""
    return [s for s in _tables()[0].values() if include_unregistered or s.iana]


def sslv2_ciphers() -> list[CipherSuite]:
    return list(_tables()[1].values())


def suites_for(version: V | int) -> list[CipherSuite]:
    """Every real suite (no SCSV) that can be negotiated in ``version``, in code order;
    SSL 2.0 cipher kinds for SSLv2."""
    v = V(version)
    if v == V.SSLv2:
        return sslv2_ciphers()
    return [s for s in _tables()[0].values() if v in s.versions]


def by_name(name: str) -> CipherSuite:
    """Look a suite up by IANA or OpenSSL name (TLS first, then SSL 2.0)."""
    tls, ssl2 = _tables()
    for suite in (*tls.values(), *ssl2.values()):
        if name in (suite.name, suite.openssl):
            return suite
    raise KeyError(name)
