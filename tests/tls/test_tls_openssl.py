"""Our ClientHellos against the system's ``openssl s_server`` on loopback, and our parser
against what we gave the server (its certificate, DH group, curve)."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import dh
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    ParameterFormat,
    load_pem_parameters,
)
from tls_helpers import exchange, of_type

from mailtls.proto.tls import (
    Alert,
    AlertDescription,
    CertificateMsg,
    CompressionMethod,
    EncryptedRecords,
    HelloRetryRequest,
    NamedGroup,
    ProtocolVersion,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
    Verdict,
    build_ccs_injection_probe,
    build_client_hello,
    build_sslv2_client_hello,
    cipher_suite,
    classify_ccs_reply,
    suites_for,
)
from mailtls.proto.tls.dhgroups import well_known_groups

V = ProtocolVersion
pytestmark = pytest.mark.filterwarnings(
    "ignore::cryptography.utils.CryptographyDeprecationWarning"
)
LEGACY = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
VERSION_FLAG = {V.TLSv1_0: "-tls1", V.TLSv1_1: "-tls1_1", V.TLSv1_2: "-tls1_2"}


def _hello(events: list) -> ServerHello:
    hellos = of_type(events, ServerHello)
    assert hellos, f"no ServerHello in {events}"
    return hellos[0]  # type: ignore[return-value]


@pytest.mark.parametrize("version", [V.TLSv1_0, V.TLSv1_1, V.TLSv1_2], ids=lambda v: v.label)
def test_legacy_versions_get_a_full_first_flight(
    s_server: Callable[..., int], tls_certs: dict, version: V
) -> None:
    port = s_server(VERSION_FLAG[version], "-cipher", LEGACY)
    hello = build_client_hello(version, suites_for(version), server_name="rsa.mailtls.test")
    events, _ = exchange(port, hello)
    sh = _hello(events)
    assert sh.version == version
    assert version in sh.cipher_suite.versions and sh.cipher_suite.known
    assert sh.secure_renegotiation and sh.renegotiation_info == b""
    assert sh.extended_master_secret
    certs = of_type(events, CertificateMsg)
    assert [c.certificates for c in certs] == [(tls_certs["rsa"].der,)]  # type: ignore[attr-defined]
    assert isinstance(events[-1], ServerHelloDone)


def test_tls13_server_hello_then_encrypted(s_server: Callable[..., int]) -> None:
    port = s_server("-tls1_3")
    events, _ = exchange(port, build_client_hello(V.TLSv1_3, suites_for(V.TLSv1_3)))
    sh = _hello(events)
    assert sh.version == V.TLSv1_3 and sh.legacy_version == V.TLSv1_2
    assert sh.key_share_group == NamedGroup.X25519
    assert sh.cipher_suite.tls13
    assert of_type(events, EncryptedRecords)


@pytest.mark.parametrize(
    "group", [NamedGroup.SECP256R1, NamedGroup.SECP384R1, NamedGroup.X448, NamedGroup.FFDHE2048]
)
def test_tls13_our_fixed_key_shares_are_accepted(
    s_server: Callable[..., int], group: NamedGroup
) -> None:
    port = s_server("-tls1_3", "-groups", group.label)
    hello = build_client_hello(V.TLSv1_3, suites_for(V.TLSv1_3), groups=[group])
    events, _ = exchange(port, hello)
    assert _hello(events).key_share_group == group


def test_tls13_hello_retry_request_names_the_group(s_server: Callable[..., int]) -> None:
    port = s_server("-tls1_3", "-groups", "secp384r1")
    hello = build_client_hello(
        V.TLSv1_3, suites_for(V.TLSv1_3), groups=[NamedGroup.X25519, NamedGroup.SECP384R1]
    )
    events, _ = exchange(port, hello)
    (hrr,) = of_type(events, HelloRetryRequest)
    assert hrr.selected_group == NamedGroup.SECP384R1  # type: ignore[attr-defined]
    assert hrr.version == V.TLSv1_3  # type: ignore[attr-defined]


def test_ecdsa_certificate_and_named_curve(s_server: Callable[..., int], tls_certs: dict) -> None:
    port = s_server("-tls1_2", "-named_curve", "prime256v1", cert="ecdsa")
    events, _ = exchange(port, build_client_hello(V.TLSv1_2, suites_for(V.TLSv1_2)))
    sh = _hello(events)
    assert sh.cipher_suite.kex == "ECDHE" and sh.cipher_suite.auth == "ECDSA"
    (ske,) = of_type(events, ServerKeyExchange)
    assert ske.kind == "ECDHE" and ske.curve == NamedGroup.SECP256R1  # type: ignore[attr-defined]
    assert len(ske.ec_point) == 65  # type: ignore[attr-defined]
    assert of_type(events, CertificateMsg)[0].certificates == (tls_certs["ecdsa"].der,)  # type: ignore[attr-defined]


def _dhe(s_server: Callable[..., int], dhparam: Path) -> ServerKeyExchange:
    cipher = "DHE-RSA-AES128-SHA:@SECLEVEL=0"
    port = s_server("-tls1_2", "-cipher", cipher, "-dhparam", str(dhparam))
    events, _ = exchange(port, build_client_hello(V.TLSv1_2, suites_for(V.TLSv1_2)))
    assert _hello(events).cipher_suite.name == "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"
    (ske,) = of_type(events, ServerKeyExchange)
    return ske  # type: ignore[return-value]


def test_dhe_1024_bit_oakley_group_2_is_recognised(
    s_server: Callable[..., int], tmp_path: Path
) -> None:
    prime = next(p for p, g in well_known_groups().items() if g.bits == 1024)
    params = dh.DHParameterNumbers(prime, 2).parameters()
    path = tmp_path / "oakley2.pem"
    path.write_bytes(params.parameter_bytes(Encoding.PEM, ParameterFormat.PKCS3))
    ske = _dhe(s_server, path)
    assert ske.kind == "DHE" and ske.dh_bits == 1024 and ske.dh_g == 2
    assert ske.dh_group == "Oakley group 2 (RFC 2409)"
    assert ske.signature_scheme is not None and ske.signature


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_len(len(body)) + body


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _pkcs3_pem(p: int, g: int) -> str:
    """DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER } (PKCS #3), as PEM."""
    body = _der_int(p) + _der_int(g)
    der = b"\x30" + _der_len(len(body)) + body
    b64 = base64.encodebytes(der).decode()
    return f"-----BEGIN DH PARAMETERS-----\n{b64}-----END DH PARAMETERS-----\n"


def test_dhe_custom_1024_bit_group(
    s_server: Callable[..., int], openssl: str, tmp_path: Path
) -> None:
    """A fresh DSA-style 1024-bit group (fast to make), rewritten as PKCS#3 for s_server."""
    x942 = tmp_path / "x942.pem"
    subprocess.run([openssl, "dhparam", "-dsaparam", "-out", str(x942), "1024"],
                   check=True, capture_output=True)  # fmt: skip
    numbers = load_pem_parameters(x942.read_bytes()).parameter_numbers()  # type: ignore[union-attr]
    path = tmp_path / "custom.pem"
    path.write_text(_pkcs3_pem(numbers.p, numbers.g))
    ske = _dhe(s_server, path)
    assert ske.dh_bits == 1024 and ske.dh_group is None


def test_dhe_openssl_automatic_group_is_well_known(s_server: Callable[..., int]) -> None:
    port = s_server("-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384")
    events, _ = exchange(port, build_client_hello(V.TLSv1_2, suites_for(V.TLSv1_2)))
    (ske,) = of_type(events, ServerKeyExchange)
    assert ske.dh_bits is not None and ske.dh_bits >= 2048  # type: ignore[attr-defined]
    assert ske.dh_group is not None, "OpenSSL's automatic DH group should be an RFC group"  # type: ignore[attr-defined]


def test_fallback_scsv_gets_inappropriate_fallback(s_server: Callable[..., int]) -> None:
    port = s_server("-cipher", LEGACY)
    hello = build_client_hello(V.TLSv1_1, suites_for(V.TLSv1_1), fallback_scsv=True)
    events, _ = exchange(port, hello)
    alerts = of_type(events, Alert)
    assert alerts and alerts[0].description == AlertDescription.INAPPROPRIATE_FALLBACK  # type: ignore[attr-defined]


def test_deflate_offered_null_chosen(s_server: Callable[..., int]) -> None:
    port = s_server("-tls1_2")
    hello = build_client_hello(V.TLSv1_2, suites_for(V.TLSv1_2), compression=(1, 0))
    assert _hello(exchange(port, hello)[0]).compression == CompressionMethod.NULL


def test_ccs_injection_probe_against_patched_openssl(s_server: Callable[..., int]) -> None:
    port = s_server("-tls1_2")
    hello = build_client_hello(V.TLSv1_2, suites_for(V.TLSv1_2))
    events, reply = exchange(port, hello, after_flight=build_ccs_injection_probe(V.TLSv1_2))
    assert isinstance(events[-1], ServerHelloDone)
    result = classify_ccs_reply(reply, timed_out=False)
    assert result.verdict == Verdict.NOT_VULNERABLE, result


def test_sslv2_compatible_hello_gets_a_tls_answer(s_server: Callable[..., int]) -> None:
    port = s_server("-cipher", LEGACY)
    hello = build_sslv2_client_hello(suites_for(V.TLSv1_0), version=V.TLSv1_0)
    events, _ = exchange(port, hello, expect_sslv2=True)
    assert _hello(events).version == V.TLSv1_0


def test_pure_sslv2_hello_is_refused_without_crash(s_server: Callable[..., int]) -> None:
    from mailtls.proto.tls import SSLv2ServerHello, sslv2_ciphers

    port = s_server("-cipher", LEGACY)
    events, _ = exchange(port, build_sslv2_client_hello(sslv2_ciphers()), expect_sslv2=True)
    assert not of_type(events, SSLv2ServerHello) and not of_type(events, ServerHello)


def test_offer_all_remove_chosen_finds_exactly_the_servers_list(
    s_server: Callable[..., int], openssl: str
) -> None:
    """The enumeration loop the scanner will run, against a known server cipher list."""
    server_list = "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA:DHE-RSA-CHACHA20-POLY1305:CAMELLIA128-SHA"
    server_list += ":AES128-CCM8:NULL-SHA256:@SECLEVEL=0"
    expected = subprocess.run(
        [openssl, "ciphers", "-s", "-tls1_2", server_list],
        check=True, capture_output=True, text=True,
    ).stdout.strip().split(":")  # fmt: skip
    port = s_server("-tls1_2", "-cipher", server_list)
    offered = [s for s in suites_for(V.TLSv1_2)]
    accepted: list[str] = []
    while offered:
        events, _ = exchange(port, build_client_hello(V.TLSv1_2, offered))
        hellos = of_type(events, ServerHello)
        if not hellos:
            break
        chosen = hellos[0].cipher_suite  # type: ignore[attr-defined]
        accepted.append(chosen.openssl)
        offered = [s for s in offered if s.code != chosen.code]
    assert sorted(accepted) == sorted(expected)
    assert cipher_suite(0xC02F).openssl in accepted
