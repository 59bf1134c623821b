"""Registry sanity, and our cipher-suite table against the system OpenSSL's own list."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from mailtls.proto.tls.registry import (
    GREASE_16,
    GROUP_INFO,
    AlertDescription,
    ExtensionType,
    NamedGroup,
    ProtocolVersion,
    SignatureScheme,
    all_suites,
    by_name,
    cipher_suite,
    group_by_label,
    sslv2_cipher,
    sslv2_ciphers,
    suites_for,
)

V = ProtocolVersion


def test_counts() -> None:
    iana = all_suites(include_unregistered=False)
    assert len(iana) == 352  # 350 suites + 2 SCSVs, IANA registry as of 2024
    assert len(all_suites()) - len(iana) == 16
    assert len(sslv2_ciphers()) == 13
    assert len(suites_for(V.TLSv1_3)) == 15


def test_no_duplicates() -> None:
    suites = all_suites()
    assert len({s.code for s in suites}) == len(suites)
    assert len({s.name for s in suites}) == len(suites)
    openssl = Counter(s.openssl for s in suites if s.openssl)
    assert [n for n, c in openssl.items() if c > 1] == []
    assert len({c.code for c in sslv2_ciphers()}) == 13


def test_every_tls13_suite_marked_and_alone() -> None:
    for s in all_suites():
        tls13 = s.code >> 8 == 0x13 or s.code in (0x00C6, 0x00C7, 0xC0B4, 0xC0B5) or (
            0xC103 <= s.code <= 0xC106
        )
        assert s.tls13 == tls13, s.name
        if s.tls13:
            assert s.versions == frozenset({V.TLSv1_3}) and s.kex == "ANY", s.name


def test_flags() -> None:
    assert cipher_suite(0x0000).null and cipher_suite(0x0000).anonymous
    assert cipher_suite(0x0003).export and cipher_suite(0x0003).rc4
    assert cipher_suite(0x000A).triple_des and cipher_suite(0x000A).cbc
    assert cipher_suite(0x0018).anonymous and cipher_suite(0xC016).anonymous
    assert cipher_suite(0xC02F).aead and cipher_suite(0xC02F).forward_secrecy
    assert not cipher_suite(0x009C).forward_secrecy and cipher_suite(0x009C).aead
    assert cipher_suite(0x1301).forward_secrecy and cipher_suite(0xC0B4).null
    assert cipher_suite(0x00FF).scsv and cipher_suite(0x5600).scsv
    assert not any(s.scsv for v in V if v.known for s in suites_for(v))
    assert cipher_suite(0x0062).export and not cipher_suite(0x0062).iana
    assert sslv2_cipher(0x020080).export and sslv2_cipher(0x0700C0).triple_des


def test_unknown_and_grease_suites() -> None:
    assert cipher_suite(0x1234).name == "UNKNOWN_0x1234" and not cipher_suite(0x1234).known
    for g in GREASE_16:
        s = cipher_suite(g)
        assert s.grease and s.name == f"GREASE_0x{g:04x}" and s.code == g
    assert sslv2_cipher(0x123456).name == "UNKNOWN_0x123456"
    assert cipher_suite(0x0A0A).to_json() == {"iana": "GREASE_0x0a0a", "code": "0x0a0a",
                                              "openssl": None}  # fmt: skip
    with pytest.raises(ValueError):
        cipher_suite(0x10000)


def test_issue_json_form() -> None:
    assert cipher_suite(0xC02C).to_json() == {
        "iana": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "code": "0xc02c",
        "openssl": "ECDHE-ECDSA-AES256-GCM-SHA384",
    }
    assert by_name("ECDHE-ECDSA-AES256-GCM-SHA384").code == 0xC02C
    assert by_name("TLS_RSA_WITH_RC4_128_MD5").code == 0x0004


@pytest.mark.parametrize("enum", [NamedGroup, SignatureScheme, ExtensionType, ProtocolVersion])
def test_open_enums_round_trip_every_16_bit_value(enum: type) -> None:
    for value in [*GREASE_16, 0, 0x1234, 0xFFFF, 0x11EC]:
        member = enum(value)
        assert int(member) == value and member == value
        assert member.grease == (value in GREASE_16)
    with pytest.raises(ValueError):
        enum(0x10000)


def test_alerts_are_open_8_bit() -> None:
    assert AlertDescription(255).name == "UNKNOWN_0xff"
    assert AlertDescription(86).name == "INAPPROPRIATE_FALLBACK"


def test_groups() -> None:
    assert NamedGroup(0x11EC) == NamedGroup.X25519MLKEM768
    assert NamedGroup.X25519MLKEM768.label == "X25519MLKEM768"
    assert group_by_label("secp256r1") == NamedGroup.SECP256R1
    assert len({i.label for i in GROUP_INFO.values()}) == len(GROUP_INFO)
    assert set(GROUP_INFO) == {int(g) for g in NamedGroup}


_OPENSSL_ENC = {
    ("AES", "CBC"): "AES", ("AES", "GCM"): "AESGCM", ("AES", "CCM"): "AESCCM",
    ("AES", "CCM_8"): "AESCCM8", ("CHACHA20", "POLY1305"): "CHACHA20/POLY1305",
    ("CAMELLIA", "CBC"): "Camellia", ("ARIA", "GCM"): "ARIAGCM", ("SEED", "CBC"): "SEED",
    ("NULL", "NULL"): "None", ("3DES", "CBC"): "3DES", ("RC4", "STREAM"): "RC4",
}  # fmt: skip
_OPENSSL_KX = {"DHE": "DH", "ECDHE": "ECDH", "DHE_PSK": "DHEPSK", "RSA_PSK": "RSAPSK",
               "ECDHE_PSK": "ECDHEPSK", "ANY": "any"}  # fmt: skip
_OPENSSL_AU = {"anon": "None", "ANY": "any"}


def _openssl_list() -> list[str]:
    out = subprocess.run(
        ["openssl", "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_against_openssl() -> None:
    """Every suite the system OpenSSL implements: same IANA name, same OpenSSL name, same
    key exchange, authentication, cipher, bits, mac and lowest protocol version."""
    lines = _openssl_list()
    assert len(lines) > 100
    failures = []
    for line in lines:
        try:
            _check(line)
        except AssertionError as exc:
            failures.append(f"{line}: {exc}")
    assert failures == []


def _check(line: str) -> None:
    parts = line.split()
    hi, lo = parts[0].split(",")
    code = int(hi, 16) << 8 | int(lo, 16)
    std, name, version = parts[2], parts[4], parts[5]
    fields = dict(p.split("=", 1) for p in parts[6:])
    s = cipher_suite(code)
    assert (s.name, s.openssl) == (std, name), line
    assert min(s.versions).label == version, line
    assert _OPENSSL_KX.get(s.kex, s.kex) == fields["Kx"], line
    assert _OPENSSL_AU.get(s.auth, s.auth) == fields["Au"], line
    enc = _OPENSSL_ENC[(s.cipher, s.mode)]
    assert fields["Enc"] == (enc if enc == "None" else f"{enc}({s.bits})"), line
    assert s.mac == fields["Mac"], line
