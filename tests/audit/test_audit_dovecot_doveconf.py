"""Dovecot as doveconf reads it: obsolete settings, refusals, doveconf missing or of another
version, and Dovecot 2.4's layout (read by the documented 2.4 grammar: no 2.4 here)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mailtls.checks.dovecot import audit_dovecot
from mailtls.config.dovecot import load_dovecot, min_protocol
from mailtls.model import Finding
from support.audit import at

Audit = Callable[[str], list[Finding]]
DOVECONF = shutil.which("doveconf")
needs_doveconf = pytest.mark.skipif(DOVECONF is None, reason="doveconf is not installed")


def good(certs: dict[str, tuple[Path, Path]]) -> str:
    cert, key = certs["good"]
    return (f"protocols = imap pop3\n"           # 1
            f"ssl = required\n"                  # 2
            f"ssl_cert = <{cert}\n"              # 3
            f"ssl_key = <{key}\n")               # 4


# Dovecot's own test vectors (src/lib-ssl-iostream/test-iostream-openssl.c) and more
VECTORS = ["!TLSv1 !TLSv1.2", "!SSLv3", "SSLv3", "!SSLv3 !TLSv1 !TLSv1.2", "TLSv1.1 TLSv1.2",
           "TLSv1.1", "TLSv1.1 !SSLv3", "TLSv1.2 !TLSv1.1", "!SSLv2 !SSLv3", "!SSLv2",
           "!SSLv3 !TLSv1 !TLSv1.1", "TLSv1 TLSv1.1 TLSv1.2", "ALL", "TLSv1.3", "",
           "!SSLv3:!TLSv1", "!SSLv3,!TLSv1", "!SSLv3 !TLSv1 !TLSv1.1 !TLSv1.2"]


@needs_doveconf
@pytest.mark.servers
@pytest.mark.parametrize("value", VECTORS)
def test_ssl_protocols_mapped_as_doveconf_maps_it(value: str, tmp_path: Path) -> None:
    conf = tmp_path / "d.conf"
    conf.write_text(f"ssl_protocols = {value}\n")
    theirs = subprocess.run([str(DOVECONF), "-c", str(conf), "-h", "ssl_min_protocol"],
                            capture_output=True, text=True, check=True).stdout.strip()
    mapped, error = min_protocol(value)
    ours = load_dovecot(conf).value("ssl_min_protocol")
    assert ours == theirs
    assert (mapped is None) == bool(error)
    assert ("Could not find a minimum" in subprocess.run(
        [str(DOVECONF), "-c", str(conf), "-n"], capture_output=True, text=True).stderr) == (
        mapped is None)


def test_obsolete_ssl_protocols_is_a_legacy_finding(dovecot: Audit, certs: dict) -> None:
    found = dovecot(good(certs) + "ssl_protocols = !SSLv3\n")
    legacy = [f for f in found if f.id == "dovecot.legacy_protocols"]
    assert at(found, "dovecot.legacy_protocols") == [("dovecot.conf", 5)]
    assert legacy[0].params["setting"] == "ssl_protocols = !SSLv3"
    assert legacy[0].params["value"] == "TLSv1"
    assert legacy[0].fix == "ssl_min_protocol = TLSv1.2"
    assert at(found, "dovecot.obsolete_setting") == []  # one finding, one fix for the line


def test_obsolete_settings_that_do_not_weaken(dovecot: Audit, certs: dict) -> None:
    found = dovecot(good(certs) + "ssl_protocols = !SSLv2 !SSLv3\n"       # 5: not convertible
                    "ssl_dh_parameters_length = 2048\n"                    # 6: dropped
                    "ssl_protocols = !SSLv3 !TLSv1 !TLSv1.1\n")            # 7: TLSv1.2
    assert at(found, "dovecot.legacy_protocols") == []
    assert at(found, "dovecot.obsolete_setting") == [("dovecot.conf", 5), ("dovecot.conf", 6),
                                                     ("dovecot.conf", 7)]
    fixes = [f.fix for f in found if f.id == "dovecot.obsolete_setting"]
    assert fixes == ["ssl_min_protocol = TLSv1.2", None, "ssl_min_protocol = TLSv1.2"]


def test_obsolete_file_names_and_ssl_disable(dovecot: Audit, certs: dict) -> None:
    cert, key = certs["expired"]
    text = good(certs).replace("ssl = required\n", "ssl_disable = no\n") + (
        f"ssl_cert_file = {cert}\nssl_key_file = {key}\n")
    found = dovecot(text)
    assert at(found, "dovecot.ssl_not_required") == [("dovecot.conf", 2)]  # ssl = yes
    assert at(found, "dovecot.cert_expired") == [("dovecot.conf", 5)]
    off = dovecot(good(certs).replace("ssl = required\n", "ssl_disable = yes\n"))
    assert at(off, "dovecot.ssl_disabled") == [("dovecot.conf", 2)]


@needs_doveconf
@pytest.mark.servers
@pytest.mark.parametrize(("line", "message"), [
    ("ssl = Yes", "Invalid value: Yes"),
    ("ssl_parameters = /var/lib/dovecot/ssl-parameters.dat", "Unknown setting: ssl_parameters"),
    ("disable_plaintext_auth = maybe", "Invalid boolean value: maybe"),
    ("ssl_server_cert_file = /etc/ssl/x.pem", "Unknown setting: ssl_server_cert_file"),
])
def test_doveconf_refusal_is_a_config_error(dovecot: Audit, certs: dict, line: str,
                                            message: str) -> None:
    found = dovecot(good(certs) + line + "\nssl_min_protocol = TLSv1\n")
    errors = [f for f in found if f.id == "dovecot.config_error"]
    assert [(Path(f.location.file).name, f.location.line) for f in errors if f.location] == [
        ("dovecot.conf", 5)]
    assert message in errors[0].params["context"]
    assert at(found, "dovecot.legacy_protocols") == [("dovecot.conf", 6)]  # the rest reported


@pytest.mark.parametrize(("line", "problem", "number"), [
    ("ssl = Yes", "refuses this value", 5),
    ("disable_plaintext_auth = maybe", "refuses this value", 5),
    ("auth_allow_cleartext = no", "Dovecot 2.3 does not know", 5),
    ("protocol imap {\n  local 192.0.2.1 {\n    ssl = no\n  }\n}", "inside a protocol", 6),
])
def test_built_in_refusals_without_doveconf(tmp_path: Path, certs: dict, line: str,
                                            problem: str, number: int) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(good(certs) + line + "\n")
    config = load_dovecot(conf, doveconf=None)
    assert [(p.line, problem in p.problem) for p in config.problems] == [(number, True)]
    if DOVECONF is not None:  # doveconf refuses the same line
        assert [p.line for p in load_dovecot(conf).problems] == [number]


def test_doveconf_missing_is_named_and_the_audit_goes_on(tmp_path: Path, certs: dict,
                                                         ctx: object) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(good(certs) + "ssl_min_protocol = TLSv1\n")
    config = load_dovecot(conf, doveconf=str(tmp_path / "no-doveconf"))
    found = audit_dovecot(config, ctx, "localhost")  # type: ignore[arg-type]
    assert at(found, "dovecot.doveconf_missing") == [("dovecot.conf", 1)]
    assert at(found, "dovecot.legacy_protocols") == [("dovecot.conf", 5)]


def fake_doveconf(tmp_path: Path, version: str) -> str:
    script = tmp_path / "doveconf"
    script.write_text(f"#!/bin/sh\necho '# {version} (0000): x'\n"
                      "echo 'doveconf: Fatal: Error in configuration file x line 1: nope' >&2\n"
                      "exit 89\n")
    script.chmod(0o755)
    return str(script)


def test_doveconf_of_another_version_is_not_the_judge(tmp_path: Path, certs: dict,
                                                      ctx: object) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text(good(certs))
    config = load_dovecot(conf, doveconf=fake_doveconf(tmp_path, "2.4.1"))
    found = audit_dovecot(config, ctx, "localhost")  # type: ignore[arg-type]
    assert [f.id for f in found] == ["dovecot.doveconf_other_version"]
    assert found[0].params["installed"] == "2.4" and found[0].params["version"] == "2.3"
    same = load_dovecot(conf, doveconf=fake_doveconf(tmp_path, "2.3.21"))
    assert [(p.line, p.context) for p in same.problems] == [(1, "nope")]


# --- Dovecot 2.4: the documented grammar (doc.dovecot.org/2.4: settings syntax, SSL) -------

V24 = "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n"


def test_24_ssl_server_block_is_read(tmp_path: Path, certs: dict, ctx: object) -> None:
    cert, key = certs["expired"]
    conf = tmp_path / "dovecot.conf"
    conf.write_text(V24 + f"protocols = imap\nssl = required\n"
                    f"ssl_server {{\n  cert_file = {cert}\n  key_file = {key}\n}}\n")
    config = load_dovecot(conf)
    assert config.version == "2.4"
    assert config.setting("ssl_cert") is not None
    found = audit_dovecot(config, ctx, "localhost")  # type: ignore[arg-type]
    assert at(found, "dovecot.cert_expired") == [("dovecot.conf", 6)]
    assert at(found, "dovecot.cert_missing") == at(found, "dovecot.config_error") == []
    if DOVECONF is not None:  # a 2.3 doveconf is not the judge of a 2.4 file
        assert at(found, "dovecot.doveconf_other_version") == [("dovecot.conf", 1)]


def test_24_full_names_filters_and_cleartext(tmp_path: Path, certs: dict, ctx: object) -> None:
    cert, key = certs["good"]
    bad_cert, bad_key = certs["expired"]
    conf = tmp_path / "dovecot.conf"
    conf.write_text(V24 + "protocols = imap pop3\nssl = required\n"              # 3, 4
                    f"ssl_server_cert_file = {cert}\nssl_server_key_file = {key}\n"  # 5, 6
                    "local_name mail.example.org {\n"                            # 7
                    f"  ssl_server {{\n    cert_file = {bad_cert}\n"            # 8, 9
                    f"    ssl_server_key_file = {bad_key}\n  }}\n}}\n"           # 10
                    "remote 192.0.2.0/24 {\n  auth_allow_cleartext = yes\n}\n"  # 13, 14
                    "ssl_client {\n  ca_dir = /etc/ssl/certs\n}\n"               # 16
                    "ssl_cert = </etc/ssl/old.pem\n")                            # 19
    config = load_dovecot(conf)
    found = audit_dovecot(config, ctx, "localhost")  # type: ignore[arg-type]
    assert at(found, "dovecot.cert_expired") == [("dovecot.conf", 9)]
    assert at(found, "dovecot.plaintext_auth") == [("dovecot.conf", 14)]
    assert ("ssl_client_ca_dir", ()) in {(s.written or s.key, s.scope) for s in config.settings}
    errors = [p for p in config.problems]
    assert [(p.line, "2.4" in p.problem) for p in errors] == [(19, True)]
