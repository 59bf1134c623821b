"""A Postfix main.cf in a source tree goes through the rules of audit-config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def lint_json(path: Path) -> dict:  # type: ignore[type-arg]
    p = subprocess.run([sys.executable, "-m", "mailtls", "lint", "--json", str(path)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "Traceback" not in p.stderr
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def test_relay_password_over_encrypt_is_found_with_its_line(tmp_path: Path) -> None:
    cf = tmp_path / "roles" / "postfix" / "main.cf"
    cf.parent.mkdir(parents=True)
    cf.write_text("# relay\nsmtp_sasl_auth_enable = yes\nrelayhost = [smtp.example.com]:587\n"
                  "smtp_tls_security_level = encrypt\n")
    doc = lint_json(tmp_path)
    hits = {(f["id"], f["line"]) for f in doc["findings"]}
    assert ("postfix.relay_credentials_unverified", 4) in hits


def test_verified_relay_is_clean(tmp_path: Path) -> None:
    cf = tmp_path / "main.cf"
    cf.write_text("smtp_sasl_auth_enable = yes\nrelayhost = [smtp.example.com]:587\n"
                  "smtp_tls_security_level = secure\nsmtp_tls_loglevel = 1\n"
                  "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"
                  "smtp_tls_protocols = >=TLSv1.2\nsmtp_tls_mandatory_protocols = >=TLSv1.2\n"
                  "# smtp_tls_security_level = encrypt  (a comment is not a setting)\n")
    doc = lint_json(tmp_path)
    assert [f["id"] for f in doc["findings"] if f["id"].startswith("postfix.")] == []
