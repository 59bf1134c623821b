"""The fixes audit-config prints are commands an administrator pastes into a shell: a
configuration folder or value chosen by an attacker must not run anything when pasted."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import stat
import subprocess
from pathlib import Path

from mailtls.checks.certfiles import CertContext
from mailtls.checks.postfix import audit_postfix
from mailtls.config.postfix import load_postfix
from mailtls.verify import TrustStore


def _fixes(directory: Path) -> list[str]:
    ctx = CertContext(dt.datetime.now(dt.UTC), TrustStore("none", ()), 30)
    findings = audit_postfix(load_postfix(directory), ctx)
    return [cmd for f in findings if f.fix for cmd in f.fix.split("\n")]


def test_hostile_folder_and_value_stay_quoted(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    folder = tmp_path / "pf'; touch pwned; echo '"
    folder.mkdir()
    (folder / "main.cf").write_text(
        "compatibility_level = 3.6\n"
        "smtpd_tls_security_level = may\n"
        "smtpd_tls_protocols = !SSLv2, !SSLv3 ' ; touch pwned ; '\n"
        "smtp_tls_security_level = encrypt\n"
    )
    fixes = [c for c in _fixes(folder) if c.startswith("postconf ")]
    assert fixes
    for cmd in fixes:
        argv = shlex.split(cmd)
        assert argv[:3] == ["postconf", "-c", str(folder)] and len(argv) == 5, argv
        # pasted into a real shell, with postconf replaced by a harmless stand-in
        subprocess.run(["sh", "-c", "postconf() { :; }; " + cmd], check=True, timeout=10,
                       cwd=tmp_path)
    assert not canary.exists()


def test_chmod_fix_quotes_the_key_path(tmp_path: Path) -> None:
    from mailtls.checks.shell import quoted

    canary = tmp_path / "pwned"
    hostile = "key'; touch pwned; echo '.pem"
    cmd = f"chmod 600 {quoted(str(tmp_path / hostile))}"
    (tmp_path / hostile).write_text("x")
    os.chmod(tmp_path / hostile, 0o644)
    subprocess.run(["sh", "-c", cmd], check=True, timeout=10, cwd=tmp_path)
    assert not canary.exists()
    assert stat.S_IMODE((tmp_path / hostile).stat().st_mode) == 0o600


def test_postconf_commands_quote_values_and_service_names(tmp_path: Path) -> None:
    from mailtls.checks.postfix_services import postconf_e, postconf_p
    from mailtls.config.postfix import Service

    config = load_postfix(_minimal(tmp_path))
    svc = Service(name="sub';touch${IFS}pwned;'", type="inet", command="smtpd", args=(),
                  overrides={}, file=str(tmp_path / "master.cf"), line=1, end_line=1)  # fmt: skip
    hostile = "x' ; touch pwned ; '"
    for cmd in (postconf_e(config, "smtp_tls_CAfile", hostile),
                postconf_p(config, svc, "smtpd_tls_security_level", hostile)):  # fmt: skip
        assert len(shlex.split(cmd)) == 5
        subprocess.run(["sh", "-c", "postconf() { :; }; " + cmd], check=True, timeout=10,
                       cwd=tmp_path)  # fmt: skip
    assert not (tmp_path / "pwned").exists()


def _minimal(tmp_path: Path) -> Path:
    folder = tmp_path / "pf"
    folder.mkdir()
    (folder / "main.cf").write_text("compatibility_level = 3.6\n")
    return folder
