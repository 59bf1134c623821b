"""The per-service model: a rule judges the parameter a service really reads (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtls.checks import postfix_client
from mailtls.checks.postfix import allowed_protocols, weak_in
from mailtls.model import Finding
from support.audit import MASTER, AuditPostfix, at

SUBMISSION = "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n"


def tls_main(certs: dict[str, tuple[Path, Path]]) -> str:
    cert, key = certs["good"]
    return (
        "compatibility_level = 3.6\n"                                # 1
        "myhostname = localhost\n"                                   # 2
        f"smtpd_tls_chain_files = {key},{cert}\n"                    # 3
        "smtpd_tls_security_level = may\n"                           # 4
        "smtpd_tls_protocols = >=TLSv1.2\n"                          # 5
        "smtp_tls_security_level = may\n"                            # 6
        "smtp_tls_protocols = >=TLSv1.2\n"                           # 7
        "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"     # 8
        "smtpd_tls_loglevel = 1\nsmtp_tls_loglevel = 1\n"            # 9, 10
    )


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def one(findings: list[Finding], fid: str) -> Finding:
    (f,) = [f for f in findings if f.id == fid]
    return f


# --- the two reproducers of the issue, and the rows of the table ------------------------

def test_client_at_encrypt_reads_the_mandatory_protocols(postfix: AuditPostfix,
                                                         certs: dict) -> None:
    main = tls_main(certs).replace("smtp_tls_security_level = may",
                                   "smtp_tls_security_level = verify")
    main = main.replace("smtp_tls_protocols = >=TLSv1.2", "smtp_tls_mandatory_protocols = "
                        ">=TLSv1.2")
    assert at(postfix(main), "postfix.legacy_protocols") == []  # smtp_tls_protocols unused
    bad = postfix(main.replace("smtp_tls_mandatory_protocols = >=TLSv1.2", "# none"))
    f = one(bad, "postfix.legacy_protocols")
    assert (f.params["param"], f.location and f.location.line) == (
        "smtp_tls_mandatory_protocols", 6)  # the default, at the level line
    assert f.params["services"] == "smtp/unix, relay/unix"


def test_server_at_may_reads_the_opportunistic_protocols(postfix: AuditPostfix,
                                                         certs: dict) -> None:
    assert at(postfix(tls_main(certs)), "postfix.legacy_protocols") == []
    bad = postfix(tls_main(certs).replace("smtpd_tls_protocols = >=TLSv1.2", "# none"))
    f = one(bad, "postfix.legacy_protocols")
    assert (f.params["param"], f.params["services"]) == ("smtpd_tls_protocols", "smtp/inet")


def test_submission_at_encrypt_reads_the_mandatory_protocols(postfix: AuditPostfix,
                                                             certs: dict) -> None:
    found = postfix(tls_main(certs), MASTER + SUBMISSION)
    f = one(found, "postfix.legacy_protocols")  # the default, at the -o that makes it used
    assert (f.params["param"], at(found, "postfix.legacy_protocols")) == (
        "smtpd_tls_mandatory_protocols", [("master.cf", 5)])
    assert f.params["services"] == "submission/inet"
    wrapper = MASTER + "smtps inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n"
    assert one(postfix(tls_main(certs), wrapper), "postfix.legacy_protocols").params[
        "param"] == "smtpd_tls_mandatory_protocols"


def test_policy_entry_makes_the_mandatory_protocols_used(postfix: AuditPostfix, certs: dict,
                                                         tmp_path: Path) -> None:
    policy = tmp_path / "tls_policy"
    policy.write_text("# relays\nexample.net verify\n")
    main = tls_main(certs) + f"smtp_tls_policy_maps = texthash:{policy}\n"
    f = one(postfix(main), "postfix.legacy_protocols")
    assert (f.params["param"], at([f], f.id)) == ("smtp_tls_mandatory_protocols",
                                                  [("tls_policy", 2)])
    policy.write_text("example.net verify protocols=>=TLSv1.2\n")  # its own value
    assert at(postfix(main), "postfix.legacy_protocols") == []


def test_dane_reads_both(postfix: AuditPostfix, certs: dict) -> None:
    main = tls_main(certs).replace("smtp_tls_security_level = may",
                                   "smtp_tls_security_level = dane\nsmtp_dns_support_level = "
                                   "dnssec")
    f = one(postfix(main), "postfix.legacy_protocols")  # TLSA found: mandatory
    assert f.params["param"] == "smtp_tls_mandatory_protocols"
    main = main.replace("smtp_tls_protocols = >=TLSv1.2", "smtp_tls_protocols = >=TLSv1")
    assert {f.params["param"] for f in postfix(main) if f.id == "postfix.legacy_protocols"} == {
        "smtp_tls_protocols", "smtp_tls_mandatory_protocols"}  # no TLSA: may


def test_ciphers_follow_the_level(postfix: AuditPostfix, certs: dict) -> None:
    main = tls_main(certs) + "smtpd_tls_mandatory_ciphers = export\n"
    assert at(postfix(main), "postfix.weak_ciphers") == []  # nobody requires TLS
    f = one(postfix(main, MASTER + SUBMISSION), "postfix.weak_ciphers")
    assert f.params["services"] == "submission/inet"


def test_legacy_names_and_3des() -> None:
    assert allowed_protocols("!SSLv3") == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert "SSLv2" not in allowed_protocols("")  # OpenSSL 1.1+: SSLv2 cannot be negotiated
    assert weak_in("HIGH:3DES", "") == ["3DES"]
    assert weak_in("HIGH:EDH-RSA-DES-CBC3-SHA", "") == ["3DES"]
    assert weak_in("HIGH:3DES", "3DES") == []


def test_ssl_v3_is_never_described_as_v2(postfix: AuditPostfix, certs: dict) -> None:
    main = tls_main(certs).replace("smtpd_tls_protocols = >=TLSv1.2", "smtpd_tls_protocols = "
                                   "!SSLv3")
    f = one(postfix(main), "postfix.legacy_protocols")
    assert f.params["protocols"] == "TLSv1, TLSv1.1"


# --- no TLS at all ---------------------------------------------------------------------------

DEBIAN_MAIN = ("smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\nbiff = no\n"
               "append_dot_mydomain = no\nreadme_directory = no\ncompatibility_level = 3.6\n")


def test_debian_default_is_not_silent(postfix: AuditPostfix) -> None:
    found = postfix(DEBIAN_MAIN)
    assert at(found, "postfix.inbound_no_tls") == [("master.cf", 1)]
    assert at(found, "postfix.outbound_no_tls") == [("master.cf", 2)]  # the default transport
    assert one(found, "postfix.inbound_no_tls").fix is None  # no certificate: by hand
    assert one(found, "postfix.outbound_no_tls").fix == (
        f"postconf -c {Path(found[0].location.file).parent} "  # type: ignore[union-attr]
        "-e 'smtp_tls_security_level = may'")


def test_certificate_but_no_tls(postfix: AuditPostfix, certs: dict) -> None:
    main = tls_main(certs).replace("smtpd_tls_security_level = may\n", "")
    found = postfix(main)
    assert at(found, "postfix.cert_unused") == [("main.cf", 3)]
    f = one(found, "postfix.inbound_no_tls")
    assert f.fix and f.fix.endswith("-e 'smtpd_tls_security_level = may'")  # a cert: fixable
    assert at(postfix(tls_main(certs)), "postfix.cert_unused") == []


def test_submission_without_tls_is_critical(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=none\n"
    found = postfix(tls_main(certs), master)
    assert at(found, "postfix.submission_no_tls") == [("master.cf", 5)]
    assert at(found, "postfix.submission_tls_optional") == []
    assert "-P 'submission/inet/smtpd_tls_security_level=encrypt'" in (
        one(found, "postfix.submission_no_tls").fix or "")
    no_cert = postfix(DEBIAN_MAIN, master)
    assert one(no_cert, "postfix.submission_no_tls").fix is None


def test_loopback_reinjection_is_not_port_25(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + ("127.0.0.1:10025 inet n - n - - smtpd\n"
                       "  -o smtpd_tls_security_level=none\n")
    assert at(postfix(tls_main(certs), master), "postfix.inbound_no_tls") == []


def test_outbound_only_for_the_transport_of_remote_mail(postfix: AuditPostfix,
                                                        certs: dict) -> None:
    main = tls_main(certs).replace("smtp_tls_security_level = may\n", "")
    f = one(postfix(main), "postfix.outbound_no_tls")  # one finding, one fix, two services
    assert (at([f], f.id), f.params["service"]) == ([("master.cf", 2)], "smtp/unix, relay/unix")
    local = main + "default_transport = error:no\nrelay_transport = error:no\n"
    assert at(postfix(local), "postfix.outbound_no_tls") == []


# --- relay credentials at every level that can fall back ---------------------------------------

RELAY = "relayhost = [smtp.example.net]:587\nsmtp_sasl_auth_enable = yes\n"


@pytest.mark.parametrize("level", ["may", "dane", "encrypt"])
def test_relay_credentials_at_fallible_levels(postfix: AuditPostfix, certs: dict,
                                              level: str) -> None:
    main = tls_main(certs) + RELAY + f"smtp_tls_security_level = {level}\n"
    assert at(postfix(main), "postfix.relay_credentials_unverified") == [("main.cf", 13)]
    verified = tls_main(certs) + RELAY + "smtp_tls_security_level = secure\n"
    assert at(postfix(verified), "postfix.relay_credentials_unverified") == []


def test_sender_dependent_relays(postfix: AuditPostfix, certs: dict, tmp_path: Path) -> None:
    relays = tmp_path / "relays"
    relays.write_text("@example.org [mail.example.org]:587\n")
    policy = tmp_path / "policy"
    policy.write_text("[mail.example.org]:587 encrypt\n")
    main = tls_main(certs) + ("smtp_sasl_auth_enable = yes\nsmtp_tls_security_level = secure\n"
                              f"sender_dependent_relayhost_maps = texthash:{relays}\n"
                              f"smtp_tls_policy_maps = texthash:{policy}\n")
    found = postfix(main)
    assert at(found, "postfix.relay_credentials_unverified") == [("policy", 1)]
    f = found[[x.id for x in found].index("postfix.relay_credentials_unverified")]
    assert f.fix is None and f.params["destination"] == "[mail.example.org]:587"


# --- fixes that keep mail flowing ---------------------------------------------------------------

def test_verify_comes_with_a_ca(postfix: AuditPostfix, certs: dict,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    main = tls_main(certs).replace("smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n", "")
    main += "smtp_tls_security_level = encrypt\n"
    monkeypatch.setattr(postfix_client, "system_bundle", lambda: "/the/bundle.pem")
    f = next(f for f in postfix(main) if f.id == "postfix.outbound_unverified")
    assert f.fix is not None and f.fix.splitlines()[1].endswith(
        "-e 'smtp_tls_CAfile = /the/bundle.pem'")
    monkeypatch.setattr(postfix_client, "system_bundle", lambda: None)
    f = next(f for f in postfix(main) if f.id == "postfix.outbound_unverified")
    assert f.fix is None  # verify without any CA would stop every delivery


def test_secure_only_for_a_named_relay(postfix: AuditPostfix, certs: dict) -> None:
    main = tls_main(certs) + "smtp_sasl_auth_enable = yes\n"
    f = next(f for f in postfix(main) if f.id == "postfix.relay_credentials_unverified")
    assert f.fix is None  # any MX host: 'secure' would refuse most of them


def test_submission_encrypt_only_with_a_certificate(postfix: AuditPostfix, certs: dict,
                                                    tmp_path: Path) -> None:
    master = MASTER + "submission inet n - y - - smtpd\n"
    with_cert = one(postfix(tls_main(certs), master), "postfix.submission_tls_optional")
    assert with_cert.fix and with_cert.fix.endswith(
        "-P 'submission/inet/smtpd_tls_security_level=encrypt'")
    gone = tls_main(certs).replace(str(certs["good"][0]), str(tmp_path / "gone.pem"))
    assert one(postfix(gone, master), "postfix.submission_tls_optional").fix is None


# --- bad input -----------------------------------------------------------------------------------

def test_service_named_twice(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + "smtp      inet  n       -       y       -       -       smtpd\n"
    found = postfix(tls_main(certs), master)
    assert at(found, "postfix.config_error") == [("master.cf", 4)]
    assert "first at line 1" in one(found, "postfix.config_error").params["context"]


def test_unknown_option(postfix: AuditPostfix, certs: dict) -> None:
    master = MASTER + ("submission inet n - y - - smtpd\n  -o smtpd_tls_securty_level=encrypt\n"
                       "  -o mine=yes\n  -o smtpd_tls_auth_only=$mine\n")
    found = postfix(tls_main(certs), master)
    assert at(found, "postfix.config_error") == [("master.cf", 5)]  # $mine is used
    assert "submission_tls_optional" in " ".join(ids(found))  # the rest still audited


def test_unreadable_policy_map(postfix: AuditPostfix, certs: dict, tmp_path: Path) -> None:
    main = tls_main(certs) + f"smtp_tls_policy_maps = hash:{tmp_path}/missing\n"
    found = postfix(main)
    assert at(found, "postfix.config_error") == [("main.cf", 11)]
    assert "missing" in one(found, "postfix.config_error").params["context"]
