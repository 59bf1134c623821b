"""``mailtls audit-config``: outputs, exit codes, --effective, --fix and --write."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from mailtls.cli.audit import audit_command

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "mailtls" / "schemas" / "audit-1.json"
MAIN = ("compatibility_level = 3.6\n"
        "smtpd_tls_security_level = may\n"
        "smtpd_tls_protocols = !SSLv2, !SSLv3\n"
        "smtpd_tls_mandatory_protocols = >=TLSv1.2\n"
        "smtp_tls_security_level = encrypt\n"
        "smtp_sasl_auth_enable = yes\n"
        "relayhost = [smtp.example.net]:587\n"
        "smtpd_tls_loglevel = 1\nsmtp_tls_loglevel = 1\n"
        "smtp_tls_protocols = >=TLSv1.2\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n")
MASTER = ("smtp inet n - y - - smtpd\n"
          "submission inet n - y - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
          "  -o smtpd_tls_chain_files=CERTDIR/key.pem,CERTDIR/cert.pem\n"
          "  -o smtpd_tls_auth_only=yes\n"
          "smtp unix - - y - - smtp\n")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(audit_command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def pf(tmp_path: Path) -> Path:
    d = tmp_path / "postfix"
    d.mkdir()
    (d / "main.cf").write_text(MAIN)
    certs = tmp_path / "certs"  # outside the directory, so that copies of it share them
    certs.mkdir()
    (d / "master.cf").write_text(MASTER.replace("CERTDIR", str(certs)))
    for name in ("key.pem", "cert.pem"):  # a certificate is configured: encrypt is offered
        (certs / name).write_text("")
    return d


def test_json_document(pf: Path) -> None:
    code, out, _ = run("--postfix", str(pf), "--json", "--at", "2030-01-01T00:00:00")
    assert code == 2  # relay_credentials_unverified is critical
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    found = {(f["id"], Path(f["file"]).name, f["line"]) for f in doc["findings"]}
    assert ("postfix.relay_credentials_unverified", "main.cf", 5) in found
    assert ("postfix.legacy_protocols", "main.cf", 3) in found
    assert ("postfix.submission_tls_optional", "master.cf", 2) in found
    f = next(f for f in doc["findings"] if f["id"] == "postfix.legacy_protocols")
    assert f["fix"] == f"postconf -c {pf} -e 'smtpd_tls_protocols = >=TLSv1.2'"


def test_chinese_text_and_sarif(pf: Path) -> None:
    code, out, _ = run("--postfix", str(pf), "--lang", "zh_CN")
    assert code == 2 and "向未经验证的中继发送 SMTP AUTH 密码" in out
    code, out, _ = run("--postfix", str(pf), "--format", "sarif")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    assert any(r["ruleId"] == "postfix.relay_credentials_unverified" for r in results)


def test_exit_codes(tmp_path: Path) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text("ssl = required\nssl_min_protocol = TLSv1.1\n")
    assert run("--dovecot", str(conf))[0] == 1
    conf.write_text("ssl = no\n")
    assert run("--dovecot", str(conf))[0] == 1
    assert run("--dovecot", str(tmp_path / "none.conf"))[0] == 66  # EX_NOINPUT
    assert run("--write")[0] == 2  # usage error
    assert run("--fix", "--write", "--dovecot", str(conf))[0] == 2  # needs --to / --in-place


@pytest.mark.servers
def test_effective_is_postconf(pf: Path) -> None:
    if shutil.which("postconf") is None:
        pytest.fail("postconf is not installed: run `make test`", pytrace=False)
    code, out, _ = run("--postfix", str(pf), "--effective")
    real = subprocess.run(["postconf", "-c", str(pf), "-n", "-x"], capture_output=True,
                          text=True, check=True).stdout
    assert code == 0 and out == real


def test_fix_prints_a_patch_that_postconf_agrees_with(pf: Path, tmp_path: Path) -> None:
    _, out, _ = run("--postfix", str(pf), "--fix")
    assert out.startswith(f"--- {pf}/main.cf\n+++ {pf}/main.cf\n")
    assert "-smtpd_tls_protocols = !SSLv2, !SSLv3\n+smtpd_tls_protocols = >=TLSv1.2\n" in out
    assert "+  -o smtpd_tls_security_level=encrypt\n" in out
    assert (pf / "main.cf").read_text() == MAIN  # --fix alone writes nothing
    # applying the patch with patch(1) gives the same files as --write --to
    copy = tmp_path / "copy"
    shutil.copytree(pf, copy)
    subprocess.run(["patch", "-p0", "-d", "/", "--dry-run"], input=out, text=True, check=True,
                   capture_output=True)
    _, _, err = run("--postfix", str(pf), "--fix", "--write", "--to", str(copy))
    written = copy / str(pf).lstrip("/")
    assert "Wrote" in err and (written / "main.cf").exists() and (written / "master.cf").exists()
    _, out, _ = run("--postfix", str(written), "--json")
    ids = {f["id"] for f in json.loads(out)["findings"]}
    assert not ids & {"postfix.relay_credentials_unverified", "postfix.legacy_protocols",
                      "postfix.submission_tls_optional"}


@pytest.mark.servers
def test_fix_matches_postconf_e(pf: Path, tmp_path: Path) -> None:
    """Our edits give the same effective configuration as running the fix commands."""
    theirs = tmp_path / "theirs"
    shutil.copytree(pf, theirs)
    _, out, _ = run("--postfix", str(pf), "--json")
    for f in json.loads(out)["findings"]:
        for cmd in (f["fix"] or "").splitlines():
            if cmd.startswith("postconf"):
                subprocess.run(cmd.replace(str(pf), str(theirs)), shell=True, check=True,
                               capture_output=True)
    run("--postfix", str(pf), "--fix", "--write", "--in-place")
    assert (pf / "main.cf.bak").read_text() == MAIN
    for args in (["-n"], ["-P"]):
        a = subprocess.run(["postconf", "-c", str(pf), *args], capture_output=True, text=True)
        b = subprocess.run(["postconf", "-c", str(theirs), *args], capture_output=True, text=True)
        assert a.stdout.replace(str(pf), "D") == b.stdout.replace(str(theirs), "D")


def test_dovecot_fix_in_place_with_backup(tmp_path: Path) -> None:
    conf = tmp_path / "dovecot.conf"
    conf.write_text("ssl = yes\nlocal 127.0.0.2 {\n  ssl_min_protocol = TLSv1\n}\n")
    _, _, err = run("--dovecot", str(conf), "--fix", "--write", "--in-place")
    assert "backup" in err
    assert conf.read_text() == ("ssl = required\nlocal 127.0.0.2 {\n"
                                "  ssl_min_protocol = TLSv1.2\n}\n")
    assert (tmp_path / "dovecot.conf.bak").exists()
    run("--dovecot", str(conf), "--fix", "--write", "--in-place")
    assert not (tmp_path / "dovecot.conf.bak.1").exists()  # nothing left to change
