"""One test per Postfix rule: a bad configuration gives the id at the right line, a good one not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtls.checks.postfix import allowed_protocols
from support.audit import MASTER, AuditPostfix, at


def good_main(certs: dict[str, tuple[Path, Path]], name: str = "good") -> str:
    cert, key = certs[name]
    return (
        "compatibility_level = 3.6\n"                       # 1
        "myhostname = localhost\n"                          # 2
        f"smtpd_tls_chain_files = {key},{cert}\n"           # 3
        "smtpd_tls_security_level = may\n"                  # 4
        "smtpd_tls_protocols = >=TLSv1.2\n"                 # 5
        "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"       # 6
        "smtpd_tls_loglevel = 1\n"                          # 7
        "smtp_tls_security_level = may\n"                   # 8
        "smtp_tls_protocols = >=TLSv1.2\n"                  # 9
        "smtp_tls_mandatory_protocols = >=TLSv1.2\n"        # 10
        "smtp_tls_loglevel = 1\n"                           # 11
        "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"  # 12
    )


def test_good_configuration_has_no_finding(postfix: AuditPostfix, certs: dict) -> None:
    outbound = ("smtp_dns_support_level = dnssec\nsmtp_tls_security_level = dane\n"
                "smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix\n")
    found = postfix(good_main(certs) + outbound)  # DANE and MTA-STS when sending: one note
    assert [f.id for f in found] == ["postfix.outbound_authenticated"]


def test_relay_credentials_unverified(postfix: AuditPostfix, certs: dict) -> None:
    base = good_main(certs) + "relayhost = [smtp.example.net]:587\nsmtp_sasl_auth_enable = yes\n"
    bad = postfix(base + "smtp_tls_security_level = encrypt\n")  # line 15
    assert at(bad, "postfix.relay_credentials_unverified") == [("main.cf", 15)]
    f = next(f for f in bad if f.id == "postfix.relay_credentials_unverified")
    assert f.fix and "-e 'smtp_tls_security_level = secure'" in f.fix
    assert at(bad, "postfix.outbound_unverified") == []  # said once, as the critical
    assert at(postfix(base + "smtp_tls_security_level = secure\n"),
              "postfix.relay_credentials_unverified") == []


def test_relay_credentials_per_transport(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + "  -o smtp_sasl_auth_enable=yes\n"  # the relay transport, line 4
    bad = postfix(good_main(certs) + "relayhost = [smtp.example.net]:587\n", master)
    assert at(bad, "postfix.relay_credentials_unverified") == [("main.cf", 8)]
    f = next(f for f in bad if f.id == "postfix.relay_credentials_unverified")
    assert f.fix and "-P 'relay/unix/smtp_tls_security_level=secure'" in f.fix
    ok = MASTER + "  -o smtp_sasl_auth_enable=yes\n  -o smtp_tls_security_level=secure\n"
    assert at(postfix(good_main(certs) + "relayhost = [smtp.example.net]:587\n", ok),
              "postfix.relay_credentials_unverified") == []


def test_relay_credentials_policy_map(postfix: AuditPostfix, certs: dict,
                                      tmp_path: Path) -> None:
    policy = tmp_path / "tls_policy"
    policy.write_text("# relay\n[smtp.example.net]:587 encrypt\n")
    main = good_main(certs) + ("relayhost = [smtp.example.net]:587\nsmtp_sasl_auth_enable = yes\n"
                               f"smtp_tls_policy_maps = texthash:{policy}\n")
    assert at(postfix(main), "postfix.relay_credentials_unverified") == [("tls_policy", 2)]
    policy.write_text("[smtp.example.net]:587 secure\n")
    assert at(postfix(main), "postfix.relay_credentials_unverified") == []


def test_outbound_unverified(postfix: AuditPostfix, certs: dict) -> None:
    bad = postfix(good_main(certs) + "smtp_tls_security_level = encrypt\n")
    assert at(bad, "postfix.outbound_unverified") == [("main.cf", 13)] * 2
    good = postfix(good_main(certs) + "smtp_tls_security_level = verify\n")
    assert at(good, "postfix.outbound_unverified") == []


def test_dane_without_dnssec(postfix: AuditPostfix, certs: dict) -> None:
    bad = postfix(good_main(certs) + "smtp_tls_security_level = dane\n")
    assert at(bad, "postfix.dane_without_dnssec") == [("main.cf", 13)] * 2
    good = postfix(good_main(certs) + "smtp_tls_security_level = dane\n"
                   "smtp_dns_support_level = dnssec\n")
    assert at(good, "postfix.dane_without_dnssec") == []


def test_verify_without_ca(postfix: AuditPostfix, certs: dict) -> None:
    main = good_main(certs).replace("smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n", "")
    bad = postfix(main + "smtp_tls_security_level = secure\n")  # line 12
    assert at(bad, "postfix.verify_without_ca") == [("main.cf", 12)] * 2
    missing = postfix(main + "smtp_tls_CAfile = /nonexistent/ca.pem\n"
                      "smtp_tls_security_level = verify\n")
    assert at(missing, "postfix.verify_without_ca") == [("main.cf", 13)] * 2
    good = postfix(main + f"smtp_tls_CAfile = {certs['good'][0]}\n"
                   "smtp_tls_security_level = secure\n")
    assert at(good, "postfix.verify_without_ca") == []


@pytest.mark.parametrize("value", ["!SSLv2, !SSLv3", ">=TLSv1", "TLSv1.2 TLSv1.1", "!SSLv2:!SSLv3"])
def test_legacy_protocols(postfix: AuditPostfix, certs: dict, value: str) -> None:
    main = good_main(certs).replace("smtpd_tls_protocols = >=TLSv1.2",
                                    f"smtpd_tls_protocols = {value}")
    assert at(postfix(main), "postfix.legacy_protocols") == [("main.cf", 5)]


def test_legacy_protocols_default_and_override(postfix: AuditPostfix, certs: dict) -> None:
    main = good_main(certs).replace("smtpd_tls_mandatory_protocols = >=TLSv1.2\n", "# x\n")
    # level may reads smtpd_tls_protocols only: the default mandatory one is not used
    assert at(postfix(main), "postfix.legacy_protocols") == []
    bad = postfix(main.replace("smtpd_tls_security_level = may", "smtpd_tls_security_level = "
                               "encrypt"))  # the default >=TLSv1, at the line that makes it used
    assert at(bad, "postfix.legacy_protocols") == [("main.cf", 4)]
    master = MASTER.replace("smtpd\n", "smtpd\n  -o smtpd_tls_protocols=>=TLSv1.1\n", 1)
    bad = postfix(good_main(certs), master)
    assert at(bad, "postfix.legacy_protocols") == [("master.cf", 2)]
    assert "-P 'smtp/inet/smtpd_tls_protocols=>=TLSv1.2'" in (bad[0].fix or "")


def test_allowed_protocols_both_syntaxes() -> None:
    assert allowed_protocols("!SSLv2, !SSLv3") == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert allowed_protocols(">=TLSv1.2") == ["TLSv1.2", "TLSv1.3"]
    assert allowed_protocols("!SSLv2 !SSLv3 !TLSv1 !TLSv1.1") == ["TLSv1.2", "TLSv1.3"]
    assert allowed_protocols("TLSv1.2, TLSv1.3") == ["TLSv1.2", "TLSv1.3"]
    assert allowed_protocols(">=TLSv1 <=TLSv1.2") == ["TLSv1", "TLSv1.1", "TLSv1.2"]


@pytest.mark.parametrize("grade", ["export", "low", "null"])
def test_weak_ciphers(postfix: AuditPostfix, certs: dict, grade: str) -> None:
    bad = postfix(good_main(certs) + f"smtpd_tls_ciphers = {grade}\n")
    assert at(bad, "postfix.weak_ciphers") == [("main.cf", 13)]
    assert at(postfix(good_main(certs) + "smtpd_tls_ciphers = medium\n"),
              "postfix.weak_ciphers") == []


def test_weak_ciphers_in_the_cipherlist(postfix: AuditPostfix, certs: dict) -> None:
    bad = postfix(good_main(certs) + "tls_medium_cipherlist = HIGH:MEDIUM:RC4\n")
    assert at(bad, "postfix.weak_ciphers")  # reported at the grade (default medium)
    excluded = good_main(certs) + ("tls_medium_cipherlist = HIGH:MEDIUM:RC4\n"
                                   "smtpd_tls_exclude_ciphers = RC4\n"
                                   "smtp_tls_exclude_ciphers = RC4\n"
                                   "smtpd_tls_mandatory_exclude_ciphers = RC4\n"
                                   "smtp_tls_mandatory_exclude_ciphers = RC4\n")
    assert at(postfix(excluded), "postfix.weak_ciphers") == []


def test_auth_before_tls(postfix: AuditPostfix, certs: dict) -> None:
    bad = postfix(good_main(certs) + "smtpd_sasl_auth_enable = yes\n")
    assert at(bad, "postfix.auth_before_tls") == [("main.cf", 13)]
    good = postfix(good_main(certs) + "smtpd_sasl_auth_enable = yes\nsmtpd_tls_auth_only = yes\n")
    assert at(good, "postfix.auth_before_tls") == []


def test_submission_tls_optional(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + ("submission inet n - y - - smtpd\n"          # line 4
                       "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_tls_auth_only=yes\n"
                       "smtps     inet  n       -       y       -       -       smtpd\n")  # 7
    bad = postfix(good_main(certs), master)
    assert at(bad, "postfix.submission_tls_optional") == [("master.cf", 4), ("master.cf", 7)]
    fixed = master.replace("-o smtpd_tls_auth_only=yes\n",
                           "-o smtpd_tls_auth_only=yes\n  -o smtpd_tls_security_level=encrypt\n")
    fixed += "  -o smtpd_tls_wrappermode=yes\n"
    assert at(postfix(good_main(certs), fixed), "postfix.submission_tls_optional") == []


def test_tls_logging_off(postfix: AuditPostfix, certs: dict) -> None:
    bad = postfix(good_main(certs).replace("smtpd_tls_loglevel = 1", "smtpd_tls_loglevel = 0"))
    assert at(bad, "postfix.tls_logging_off") == [("main.cf", 7)]
    assert at(postfix(good_main(certs)), "postfix.tls_logging_off") == []


@pytest.mark.parametrize(("situation", "rule"), [
    ("expired", "postfix.cert_expired"),
    ("expires-soon", "postfix.cert_expires_soon"),
    ("wrong-host", "postfix.cert_hostname_mismatch"),
    ("chain-incomplete", "postfix.chain_incomplete"),
    ("self-signed", "postfix.cert_untrusted"),
    ("weak-key", "postfix.cert_invalid"),
])
def test_certificate_problems(postfix: AuditPostfix, certs: dict, situation: str,
                              rule: str) -> None:
    bad = postfix(good_main(certs, situation))
    assert at(bad, rule) == [("main.cf", 3)]
    assert at(postfix(good_main(certs)), rule) == []


def test_cert_missing_and_unreadable(postfix: AuditPostfix, certs: dict, tmp_path: Path) -> None:
    cert, key = certs["good"]
    missing = good_main(certs).replace(str(cert), str(tmp_path / "nope.pem"))
    assert at(postfix(missing), "postfix.cert_missing") == [("main.cf", 3)]
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    unreadable = good_main(certs).replace(str(cert), str(garbage))
    assert at(postfix(unreadable), "postfix.cert_unreadable") == [("main.cf", 3)]
    no_file = good_main(certs).replace(f"smtpd_tls_chain_files = {key},{cert}\n", "# none\n")
    assert at(postfix(no_file), "postfix.cert_missing") == [("main.cf", 4)]  # the TLS line


def test_cert_key_mismatch(postfix: AuditPostfix, certs: dict) -> None:
    _, other_key = certs["expires-soon"]
    main = good_main(certs).replace(f"{certs['good'][1]},", f"{other_key},")
    assert at(postfix(main), "postfix.cert_key_mismatch") == [("main.cf", 3)]
    assert at(postfix(good_main(certs)), "postfix.cert_key_mismatch") == []


def test_key_world_readable(postfix: AuditPostfix, certs: dict, tmp_path: Path) -> None:
    key = certs["good"][1]
    loose = tmp_path / "loose.key"
    loose.write_bytes(key.read_bytes())
    loose.chmod(0o644)
    bad = postfix(good_main(certs).replace(str(key), str(loose)))
    assert at(bad, "postfix.key_world_readable") == [("main.cf", 3)]
    f = next(f for f in bad if f.id == "postfix.key_world_readable")
    assert f.fix == f"chmod 600 '{loose}'"
    assert at(postfix(good_main(certs)), "postfix.key_world_readable") == []


def test_separate_cert_and_key_files(postfix: AuditPostfix, certs: dict) -> None:
    cert, key = certs["expired"]
    main = good_main(certs).replace(f"smtpd_tls_chain_files = {certs['good'][1]},"
                                    f"{certs['good'][0]}\n",
                                    f"smtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n")
    assert at(postfix(main), "postfix.cert_expired") == [("main.cf", 3)]
