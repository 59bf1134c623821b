"""Grading by role and policy, on hand-made results (no network)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from mailtls.catalog import describe, entry, new_finding
from mailtls.model import CertInfo, DeepObservation, Finding, ScanResult, Target
from mailtls.policy import LETTERS, POLICIES, grade, role_of
from mailtls.proto.tls.registry import NamedGroup, by_name

ECDSA_LEAF = CertInfo("CN=mx.example", "CN=CA", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z",
                      "00", "AA==", ("mx.example",), "01", "EC secp256r1 256",
                      "ecdsa-with-SHA256", False, False)
RSA_LEAF = replace(ECDSA_LEAF, key="RSA 2048", signature="sha256WithRSAEncryption")

MOZILLA_13 = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256")
MOZILLA_12 = ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
POSTFIX_12 = (  # what a default Postfix (OpenSSL 3) accepts with TLS 1.2, abridged
    "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
)
POSTFIX_10 = ("TLS_ECDH_anon_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA")


def codes(*names: str) -> tuple[int, ...]:
    return tuple(by_name(n).code for n in names)


def deep(protocols: dict[str, tuple[str, ...]], **kw: object) -> DeepObservation:
    offered = {p: p in protocols for p in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2",
                                           "TLSv1.3")}
    base: dict[str, object] = {
        "groups": (NamedGroup.X25519, NamedGroup.SECP256R1),
        "secure_renegotiation": True, "fallback_scsv": True, "extended_master_secret": True,
        "client_renegotiation": False, "compression": False, "heartbleed": "not vulnerable",
        "ccs_injection": "not vulnerable", "connections": 20,
    }
    base.update(kw)
    return DeepObservation(protocols=offered,
                           cipher_suites={p: codes(*s) for p, s in protocols.items()},
                           **base)  # type: ignore[arg-type]


def result(url: str, obs: DeepObservation | None, findings: tuple[Finding, ...] = (),
           leaf: CertInfo = ECDSA_LEAF, tls: str | None = "TLSv1.3") -> ScanResult:
    scheme, rest = url.split("://")
    host, port = rest.rsplit(":", 1)
    target = Target(scheme, host, int(port))
    return ScanResult(target, "127.0.0.1", tls, None, leaf, (leaf,), findings, True, deep=obs)


MODERN_SERVER = deep({"TLSv1.3": MOZILLA_13, "TLSv1.2": MOZILLA_12})
POSTFIX_DEFAULT = deep({"TLSv1.3": MOZILLA_13, "TLSv1.2": POSTFIX_12,
                        "TLSv1.1": POSTFIX_10, "TLSv1": POSTFIX_10})
SELF_SIGNED = (new_finding("cert.self_signed", primary=True, subject="CN=x", sha256="00"),)


def ids(g: object) -> list[str]:
    return [f.id for f in g.reasons]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("url", "role"), [
    ("smtp://mx.example:25", "mx"), ("smtp://mx.example:2525", "mx"),
    ("smtp://mx.example:10025", "mx"), ("smtp://relay.example:587", "submission"),
    ("smtp://relay.example:465", "submission"), ("submission://relay.example:2587", "submission"),
    ("smtps://relay.example:465", "submission"), ("imap://mail.example:143", "imap"),
    ("imaps://mail.example:993", "imap"), ("pop3s://mail.example:995", "pop3"),
    ("sieve://mail.example:4190", "sieve"),
])
def test_role_of(url: str, role: str) -> None:
    scheme, rest = url.split("://")
    host, port = rest.rsplit(":", 1)
    assert role_of(Target(scheme, host, int(port))) == role


def test_the_five_policies() -> None:
    assert set(POLICIES) == {"mozilla-intermediate", "mozilla-modern", "ncsc-nl-2025",
                             "bsi-tr-02102-2", "nist-800-52r2"}
    with pytest.raises(ValueError, match="unknown policy"):
        grade(result("smtp://mx.example:25", MODERN_SERVER), "pci")


def test_exemplary_server_gets_a_plus_under_mozilla() -> None:
    for name in ("mozilla-intermediate", "mozilla-modern"):
        g = grade(result("submission://mail.example:587", deep({"TLSv1.3": MOZILLA_13})), name)
        assert (g.letter, g.reasons) == ("A+", ()), (name, ids(g))


def test_mx_is_not_failed_for_what_is_right_on_port_25() -> None:
    """Anonymous suites, a self-signed certificate and TLS 1.0 on port 25: opportunistic TLS."""
    g = grade(result("smtp://mx.example:25", POSTFIX_DEFAULT, SELF_SIGNED, RSA_LEAF))
    assert g.role == "mx"
    assert g.letter == "B", ids(g)  # CBC and RSA key exchange: Mozilla's "old" profile only
    assert "grade.cert_verification" not in ids(g)
    assert "grade.cert_mx" in ids(g)
    assert not any(f.params.get("grade_kind", "").startswith("anonymous") for f in g.reasons)
    legacy = [f for f in g.reasons if f.id == "grade.protocol_mx"]
    assert {f.params["protocol"] for f in legacy} == {"TLSv1", "TLSv1.1"}
    assert all(f.params["cap"] == "A-" for f in legacy)


def test_the_same_server_fails_on_submission() -> None:
    g = grade(result("submission://mail.example:587", POSTFIX_DEFAULT, SELF_SIGNED, RSA_LEAF))
    assert g.letter == "F"
    f_reasons = {f.id for f in g.reasons if f.params["cap"] == "F"}
    assert f_reasons == {"grade.cert_verification", "grade.cipher"}
    assert g.reasons[0].params["cap"] == "F"  # worst first
    tls10 = next(f for f in g.reasons if f.params.get("protocol") == "TLSv1"
                 and f.id == "grade.protocol")
    assert tls10.params["cap"] == "B"


def test_any_verification_failure_is_f_with_passwords() -> None:
    for fid, params in [("cert.expired", {"subject": "x", "not_after": "y", "days": "1"}),
                        ("cert.hostname_mismatch", {"host": "h", "subject": "s", "names": "n"}),
                        ("cert.chain_incomplete", {})]:
        found = (new_finding(fid, primary=True, **params),)
        for url in ("imap://mail.example:143", "pop3://mail.example:110",
                    "smtps://mail.example:465", "sieve://mail.example:4190"):
            g = grade(result(url, MODERN_SERVER, found))
            assert g.letter == "F", (url, fid)
            assert g.reasons[0].params["finding"] == fid


def test_policies_disagree_as_they_should() -> None:
    tls12_only = deep({"TLSv1.2": MOZILLA_12})
    obs = result("imap://mail.example:143", tls12_only)
    letters = {name: grade(obs, name).letter for name in POLICIES}
    assert letters["mozilla-intermediate"] == "A"  # TLS 1.3 missing: no A+
    assert letters["mozilla-modern"] == "B"  # TLS 1.2 is phase-out there
    assert letters["ncsc-nl-2025"] == "A"  # TLS 1.2 sufficient
    assert letters["bsi-tr-02102-2"] == "C"  # X25519 is not in the TR's groups
    assert letters["nist-800-52r2"] == "A"  # X25519 sufficient (SP 800-186)


def test_ncsc_tls10_is_insufficient_and_chacha_is_good() -> None:
    obs = result("imap://mail.example:143",
                 deep({"TLSv1.3": ("TLS_CHACHA20_POLY1305_SHA256",), "TLSv1": POSTFIX_10[1:]}),
                 leaf=replace(RSA_LEAF, key="RSA 4096"))
    g = grade(obs, "ncsc-nl-2025")
    assert g.letter == "C"
    caps = {(f.id, f.params.get("protocol")): f.params["cap"] for f in g.reasons}
    assert caps[("grade.protocol", "TLSv1")] == "C"


def test_dh_1024_and_legacy_bits() -> None:
    obs = deep({"TLSv1.3": MOZILLA_13,
                "TLSv1.2": ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",)},
               dh_bits=1024, dh_group="Oakley group 2")
    sub = grade(result("submission://mail.example:587", obs, leaf=RSA_LEAF))
    mx = grade(result("smtp://mx.example:25", obs, leaf=RSA_LEAF))
    dh = next(f for f in sub.reasons if f.id == "grade.dh_weak")
    assert (dh.params["bits"], dh.params["group"], dh.params["cap"]) == ("1024", "Oakley group 2",
                                                                          "C")
    assert sub.letter == mx.letter == "C"  # below the policy's 2048 bits on every port


def test_vulnerabilities_fail_even_an_mx() -> None:
    hb = replace(MODERN_SERVER, heartbleed="vulnerable")
    assert grade(result("smtp://mx.example:25", hb)).letter == "F"
    ccs = replace(MODERN_SERVER, ccs_injection="vulnerable")
    assert grade(result("smtp://mx.example:25", ccs)).letter == "C"
    assert grade(result("imap://mail.example:143", ccs)).letter == "F"
    robot = replace(MODERN_SERVER, robot="vulnerable", robot_oracle="strong")
    assert grade(result("submission://mail.example:587", robot)).letter == "F"
    assert grade(result("smtp://mx.example:25", robot)).letter == "C"
    sound = replace(MODERN_SERVER, robot="not vulnerable")
    assert grade(result("submission://mail.example:587", sound)).letter != "F"


def test_findings_count_when_the_observation_cannot_tell() -> None:
    unknown = replace(MODERN_SERVER, secure_renegotiation=None, fallback_scsv=None)
    g = grade(result("imap://mail.example:143", unknown))
    assert g.letter == "A+", ids(g)  # None is "not determined", never "no"
    found = (Finding("reneg.insecure", entry("grade.hygiene").severity),)
    assert grade(result("imap://mail.example:143", unknown, found)).letter == "C"


def test_mail_dialogue_caps() -> None:
    auth = (Finding("smtp.auth_before_tls", entry("grade.plaintext_auth").severity),)
    not_required = (Finding("starttls.not_required", entry("grade.plaintext_auth").severity),)
    assert grade(result("submission://m.example:587", MODERN_SERVER, auth)).letter == "C"
    assert grade(result("smtp://mx.example:25", MODERN_SERVER, auth)).letter == "C"
    assert grade(result("submission://m.example:587", MODERN_SERVER, not_required)).letter == "C"
    assert grade(result("smtp://mx.example:25", MODERN_SERVER, not_required)).letter == "A+"
    inj = replace(MODERN_SERVER, starttls_injection="vulnerable")
    assert grade(result("submission://m.example:587", inj)).letter == "F"


def test_no_tls_and_untested() -> None:
    none = ScanResult(Target("smtp", "mx.example", 25), "127.0.0.1", None, None, None, (),
                      (new_finding("starttls.not_offered", primary=True, protocol="SMTP",
                                   capabilities="PIPELINING"),), True)
    assert grade(none).letter == "F"
    assert ids(grade(none)) == ["grade.no_tls"]
    down = replace(none, findings=(), tested=False)
    assert (grade(down).letter, ids(grade(down))) == ("?", ["grade.not_tested"])


def test_plain_scan_is_never_a_plus() -> None:
    plain = ScanResult(Target("imaps", "mail.example", 993), "127.0.0.1", "TLSv1.3",
                       "TLS_AES_256_GCM_SHA384", ECDSA_LEAF, (ECDSA_LEAF,), (), True)
    g = grade(plain)
    assert (g.letter, ids(g)) == ("A", ["grade.incomplete"])
    old = replace(plain, tls_version="TLSv1", cipher="ECDHE-RSA-AES256-SHA")
    assert grade(old).letter == "B"


def test_weak_certificates() -> None:
    small, tiny = replace(RSA_LEAF, key="RSA 1024"), replace(RSA_LEAF, key="RSA 768")
    assert grade(result("imap://m.example:143", MODERN_SERVER, leaf=small)).letter == "C"
    assert grade(result("imap://m.example:143", MODERN_SERVER, leaf=tiny)).letter == "F"
    assert grade(result("smtp://mx.example:25", MODERN_SERVER, leaf=tiny)).letter == "C"
    sha1 = replace(RSA_LEAF, signature="sha1WithRSAEncryption")
    assert grade(result("imap://m.example:143", MODERN_SERVER, leaf=sha1)).letter == "C"
    assert grade(result("imap://m.example:143", MODERN_SERVER, leaf=RSA_LEAF),
                 "ncsc-nl-2025").letter == "B"  # RSA 2048 is phase-out for NCSC
    assert grade(result("imap://m.example:143", MODERN_SERVER, leaf=RSA_LEAF),
                 "mozilla-modern").letter == "B"  # modern wants ECDSA certificates


def _every_reason() -> list[Finding]:
    found = (*SELF_SIGNED, Finding("smtp.auth_before_tls", entry("grade.hygiene").severity))
    weird = replace(POSTFIX_DEFAULT, dh_bits=768, dh_group="?", compression=True,
                    fallback_scsv=False, groups=(NamedGroup.SECP192R1,), incomplete=True)
    out: list[Finding] = []
    for url in ("smtp://mx.example:25", "imap://m.example:143"):
        for name in POLICIES:
            out += grade(result(url, weird, found, replace(RSA_LEAF, key="RSA 1024")),
                         name).reasons
    return out


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_reason_fills_its_sentences(lang: str) -> None:
    reasons = _every_reason()
    assert {f.id for f in reasons} >= {"grade.cipher", "grade.dh_weak", "grade.cert_key",
                                       "grade.group_level", "grade.incomplete", "grade.hygiene",
                                       "grade.vulnerability", "grade.plaintext_auth"}
    for f in reasons:
        e = entry(f.id)
        wanted = set(re.findall(r"\{(\w+)\}", e.title + e.detail + e.remediation))
        assert wanted <= set(f.params), (f.id, wanted - set(f.params))
        assert f.params["cap"] in (*LETTERS, "?")
        text = describe(f, lang)
        assert "{" not in text.title + text.detail
        if lang == "zh_CN":
            assert text.title != e.title.format_map(dict(f.params)), f.id


def test_sslv2_cipher_kinds_are_graded() -> None:
    obs = replace(MODERN_SERVER,
                  protocols={**MODERN_SERVER.protocols, "SSLv2": True},
                  cipher_suites={**MODERN_SERVER.cipher_suites, "SSLv2": (0x0700C0, 0x010080)})
    sub = grade(result("submission://m.example:587", obs))
    mx = grade(result("smtp://mx.example:25", obs))
    assert (sub.letter, mx.letter) == ("F", "D")
    kinds = {f.params.get("grade_kind") for f in sub.reasons if f.id == "grade.cipher"}
    assert "RC4" in kinds
