"""One test per Dovecot rule: id and line for a bad file, nothing for a good one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailtls.model import Finding
from support.audit import at

Audit = Callable[[str], list[Finding]]


def good(certs: dict[str, tuple[Path, Path]], name: str = "good") -> str:
    cert, key = certs[name]
    return (f"protocols = imap pop3\n"           # 1
            f"ssl = required\n"                  # 2
            f"ssl_cert = <{cert}\n"              # 3
            f"ssl_key = <{key}\n"                # 4
            f"ssl_min_protocol = TLSv1.2\n")     # 5


def test_good_file_has_no_finding(dovecot: Audit, certs: dict) -> None:
    assert dovecot(good(certs)) == []


def test_ssl_disabled(dovecot: Audit, certs: dict) -> None:
    bad = dovecot(good(certs).replace("ssl = required", "ssl = no"))
    assert at(bad, "dovecot.ssl_disabled") == [("dovecot.conf", 2)]
    inner = dovecot(good(certs) + "local 192.0.2.1 {\n  ssl = no\n}\n")
    assert at(inner, "dovecot.ssl_disabled") == [("dovecot.conf", 7)]


@pytest.mark.parametrize("block", ["local 127.0.0.2", "remote 127.0.0.0/8", "local ::1",
                                   "remote 192.0.2.0/24 {\n  local 127.0.0.1"])
def test_loopback_is_not_exposed(dovecot: Audit, certs: dict, block: str) -> None:
    """Dovecot treats local connections as secured: nothing crosses the network."""
    closing = "}\n" * (block.count("{") + 1)
    text = good(certs) + f"{block} {{\n  ssl = no\n  disable_plaintext_auth = no\n{closing}"
    found = dovecot(text)
    assert at(found, "dovecot.ssl_disabled") == at(found, "dovecot.plaintext_auth") == []


def test_trusted_networks_allow_plaintext_anyway(dovecot: Audit, certs: dict) -> None:
    block = "remote 10.1.0.0/16 {\n  disable_plaintext_auth = no\n}\n"
    trusted = good(certs) + "login_trusted_networks = 10.0.0.0/8 192.0.2.7\n" + block
    assert at(dovecot(trusted), "dovecot.plaintext_auth") == []
    other = good(certs) + "login_trusted_networks = 10.2.0.0/16\n" + block
    assert at(dovecot(other), "dovecot.plaintext_auth") == [("dovecot.conf", 8)]


def test_protocol_block_names_its_protocol(dovecot: Audit, certs: dict) -> None:
    text = good(certs).replace("imap pop3", "imap pop3 sieve") + (
        "protocol sieve {\n  ssl = no\n}\n")
    found = dovecot(text)
    assert at(found, "dovecot.ssl_disabled") == [("dovecot.conf", 7)]
    assert found[0].params["protocols"] == "ManageSieve"
    not_served = dovecot(good(certs) + "protocol sieve {\n  ssl = no\n}\n")
    assert at(not_served, "dovecot.ssl_disabled") == []
    lmtp = dovecot(good(certs) + "protocol lmtp {\n  ssl = no\n}\n")
    assert at(lmtp, "dovecot.ssl_disabled") == []


def test_ssl_not_required(dovecot: Audit, certs: dict) -> None:
    bad = dovecot(good(certs).replace("ssl = required", "ssl = yes"))
    assert at(bad, "dovecot.ssl_not_required") == [("dovecot.conf", 2)]
    default = dovecot(good(certs).replace("ssl = required\n", "# ssl default\n"))
    assert at(default, "dovecot.ssl_not_required") == [("dovecot.conf", 1)]
    covered = good(certs).replace("ssl = required\n", "# x\n") + (
        "protocol imap {\n  ssl = required\n}\nprotocol pop3 {\n  ssl = required\n}\n")
    assert at(dovecot(covered), "dovecot.ssl_not_required") == []


def test_plaintext_auth(dovecot: Audit, certs: dict) -> None:
    bad = dovecot(good(certs) + "disable_plaintext_auth = no\n")
    assert at(bad, "dovecot.plaintext_auth") == [("dovecot.conf", 6)]
    v24 = dovecot(good(certs) + "remote 10.0.0.0/8 {\n  auth_allow_cleartext = yes\n}\n")
    assert at(v24, "dovecot.plaintext_auth") == [("dovecot.conf", 7)]
    assert at(dovecot(good(certs) + "disable_plaintext_auth = yes\n"),
              "dovecot.plaintext_auth") == []


@pytest.mark.parametrize("value", ["TLSv1", "TLSv1.1", "SSLv3", "ANY"])
def test_legacy_protocols(dovecot: Audit, certs: dict, value: str) -> None:
    bad = dovecot(good(certs).replace("TLSv1.2", value))
    assert at(bad, "dovecot.legacy_protocols") == [("dovecot.conf", 5)]


def test_legacy_protocols_in_include(dovecot: Audit, certs: dict, tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "10-ssl.conf").write_text("# ssl\nssl_min_protocol = TLSv1.1\n")
    bad = dovecot(good(certs) + "!include conf.d/*.conf\n")
    assert at(bad, "dovecot.legacy_protocols") == [("10-ssl.conf", 2)]


@pytest.mark.parametrize(("situation", "rule"), [
    ("expired", "dovecot.cert_expired"),
    ("expires-soon", "dovecot.cert_expires_soon"),
    ("wrong-host", "dovecot.cert_hostname_mismatch"),
    ("chain-incomplete", "dovecot.chain_incomplete"),
])
def test_certificate_problems(dovecot: Audit, certs: dict, situation: str, rule: str) -> None:
    assert at(dovecot(good(certs, situation)), rule) == [("dovecot.conf", 3)]
    assert at(dovecot(good(certs)), rule) == []


def test_local_block_certificate(dovecot: Audit, certs: dict) -> None:
    cert, key = certs["expired"]
    text = good(certs) + f"local 127.0.0.2 {{\n  ssl_cert = <{cert}\n  ssl_key = <{key}\n}}\n"
    assert at(dovecot(text), "dovecot.cert_expired") == [("dovecot.conf", 7)]


def test_cert_missing_key_mismatch_world_readable(dovecot: Audit, certs: dict,
                                                  tmp_path: Path) -> None:
    cert, key = certs["good"]
    missing = good(certs).replace(str(cert), str(tmp_path / "none.pem"))
    assert at(dovecot(missing), "dovecot.cert_missing") == [("dovecot.conf", 3)]
    other = good(certs).replace(str(key), str(certs["expired"][1]))
    assert at(dovecot(other), "dovecot.cert_key_mismatch") == [("dovecot.conf", 4)]
    loose = tmp_path / "loose.key"
    loose.write_bytes(key.read_bytes())
    loose.chmod(0o604)
    bad = dovecot(good(certs).replace(str(key), str(loose)))
    assert at(bad, "dovecot.key_world_readable") == [("dovecot.conf", 4)]
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello\n")
    assert at(dovecot(good(certs).replace(str(cert), str(garbage))),
              "dovecot.cert_unreadable") == [("dovecot.conf", 3)]


def _fixed(found: list[Finding], text: str, finding_id: str) -> str:
    """The file after the fixes of ``finding_id`` (as audit-config --fix applies them)."""
    from mailtls.config.edit import plan_fixes

    [path] = {f.location.file for f in found if f.location}
    plan = plan_fixes([f for f in found if f.id == finding_id], {path: text})
    return plan.texts[path]


def test_client_unverified(dovecot: Audit, certs: dict) -> None:
    text = good(certs) + "ssl_client_require_valid_cert = no\n"        # 6
    found = dovecot(text)
    assert at(found, "dovecot.client_unverified") == [("dovecot.conf", 6)]
    [f] = [f for f in found if f.id == "dovecot.client_unverified"]
    assert f.severity.name == "CRITICAL" and f.fix == "ssl_client_require_valid_cert = yes"
    assert "ssl_client_require_valid_cert = yes\n" in _fixed(found, text,
                                                            "dovecot.client_unverified")
    assert at(dovecot(good(certs) + "ssl_client_require_valid_cert = yes\n"),
              "dovecot.client_unverified") == []
    inner = dovecot(good(certs) + "protocol imap {\n  ssl_client_require_valid_cert = NO\n}\n")
    assert at(inner, "dovecot.client_unverified") == [("dovecot.conf", 7)]


def test_client_unverified_imapc_and_relay_only_with_tls(dovecot: Audit, certs: dict) -> None:
    quiet = good(certs) + "imapc_ssl_verify = no\nsubmission_relay_ssl_verify = no\n"
    assert at(dovecot(quiet), "dovecot.client_unverified") == []  # neither client uses TLS
    loud = quiet + "imapc_ssl = imaps\nsubmission_relay_ssl = starttls\n"
    assert at(dovecot(loud), "dovecot.client_unverified") == [("dovecot.conf", 6),
                                                              ("dovecot.conf", 7)]


def test_client_unverified_24_block(dovecot: Audit, certs: dict) -> None:
    cert, key = certs["good"]
    text = ("dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n"
            f"protocols = imap\nssl = required\nssl_server_cert_file = {cert}\n"
            f"ssl_server_key_file = {key}\n"
            "ssl_client {\n  ca_dir = /etc/ssl/certs\n  require_valid_cert = no\n}\n")  # 9
    found = dovecot(text)
    assert at(found, "dovecot.client_unverified") == [("dovecot.conf", 9)]
    [f] = [f for f in found if f.id == "dovecot.client_unverified"]
    assert f.params["setting"] == "ssl_client_require_valid_cert = no"
    assert "  require_valid_cert = yes\n}" in _fixed(found, text, "dovecot.client_unverified")


@pytest.mark.parametrize(("cipher_list", "weak"), [
    ("ALL:!aNULL:!eNULL:RC4", "RC4"),
    ("HIGH:3DES:EXPORT", "3DES, EXPORT"),
    ("HIGH:aNULL", "aNULL"),
    ("HIGH:eNULL@STRENGTH", "NULL"),
    ("ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA", "3DES"),
])
def test_weak_ciphers(dovecot: Audit, certs: dict, cipher_list: str, weak: str) -> None:
    text = good(certs) + f"ssl_cipher_list = {cipher_list}\n"           # 6
    found = dovecot(text)
    assert at(found, "dovecot.weak_ciphers") == [("dovecot.conf", 6)]
    [f] = [f for f in found if f.id == "dovecot.weak_ciphers"]
    assert f.params["ciphers"] == weak
    fixed = _fixed(found, text, "dovecot.weak_ciphers")
    assert fixed.count("ssl_cipher_list") == 1  # the line is rewritten, not repeated
    assert at(dovecot(fixed), "dovecot.weak_ciphers") == []


@pytest.mark.parametrize("cipher_list", [
    "ALL:!kRSA:!SRP:!kDHd:!DSS:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK:!RC4:!ADH:!LOW@STRENGTH",
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    "HIGH:RC4:-RC4:+3DES:!3DES",
])
def test_strong_cipher_lists(dovecot: Audit, certs: dict, cipher_list: str) -> None:
    assert at(dovecot(good(certs) + f"ssl_cipher_list = {cipher_list}\n"),
              "dovecot.weak_ciphers") == []


def test_weak_ciphers_in_a_block_and_on_loopback(dovecot: Audit, certs: dict) -> None:
    text = good(certs) + "local 192.0.2.1 {\n  ssl_cipher_list = HIGH:RC4\n}\n"
    assert at(dovecot(text), "dovecot.weak_ciphers") == [("dovecot.conf", 7)]
    local = good(certs) + "local 127.0.0.1 {\n  ssl_cipher_list = HIGH:RC4\n}\n"
    assert at(dovecot(local), "dovecot.weak_ciphers") == []
