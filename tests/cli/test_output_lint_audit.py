"""lint and audit-config in a pipe: ``PATH:LINE[:COL] SEVERITY ID TITLE`` records, unwrapped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

RECORD = re.compile(r"^(?P<where>\S+:\d+(:\d+)?) (?P<severity>\S+) (?P<id>[a-z0-9_.]+) \S")
CODE = (
    "import smtplib, ssl\n"
    "ctx = ssl._create_unverified_context()\n"
    "server = smtplib.SMTP('mail.example.com')\n"
    "server.starttls()\n"
)
MAIN_CF = (
    "smtp_tls_security_level = may\nsmtpd_tls_security_level = none\n"
    "smtp_tls_protocols = !SSLv2\n"
)


def mailtls(*args: str, cwd: Path, lang: str = "C.UTF-8") -> str:
    """Run the CLI with stdout a pipe and a narrow COLUMNS (which a pipe must ignore)."""
    env = {**os.environ, "LANG": lang, "LANGUAGE": "", "COLUMNS": "40"}
    done = subprocess.run([sys.executable, "-m", "mailtls", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def check_pipe_text(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    assert all(line == line.rstrip() for line in lines), "trailing spaces"
    assert max(len(line) for line in lines) > 40  # COLUMNS=40 did not wrap anything
    return [m.groupdict() for line in lines if (m := RECORD.match(line))]


@pytest.mark.parametrize(("lang", "critical"), [("C.UTF-8", "critical"), ("zh_CN.UTF-8", "严重")])
def test_lint_records_are_one_line_each(tmp_path: Path, lang: str, critical: str) -> None:
    (tmp_path / "send.py").write_text(CODE)
    records = check_pipe_text(mailtls("lint", ".", cwd=tmp_path, lang=lang))
    found = {(r["where"], r["severity"], r["id"]) for r in records}
    assert ("send.py:2:7", critical, "lint.python.unverified_context") in found
    assert any(w.startswith("send.py:4:") and i == "lint.python.smtplib_no_context"
               for w, _, i in found)


def test_lint_summary_plurals(tmp_path: Path) -> None:
    (tmp_path / "send.py").write_text(CODE)
    (tmp_path / "ok.py").write_text("print('hello')\n")
    assert mailtls("lint", ".", cwd=tmp_path).splitlines()[-1].startswith(
        "2 findings, 2 critical, 2 files scanned")
    (tmp_path / "send.py").unlink()
    en = mailtls("lint", ".", cwd=tmp_path).splitlines()[-1]
    assert en == "0 findings, 1 file scanned"
    zh = mailtls("lint", ".", cwd=tmp_path, lang="zh_CN.UTF-8").splitlines()[-1]
    assert zh == "0 项发现，已扫描 1 个文件"


@pytest.mark.parametrize(("lang", "medium"), [("C.UTF-8", "medium"), ("zh_CN.UTF-8", "中")])
def test_audit_records_are_one_line_each_severities_translated(
    tmp_path: Path, lang: str, medium: str
) -> None:
    pf = tmp_path / "postfix"
    pf.mkdir()
    (pf / "main.cf").write_text(MAIN_CF)
    text = mailtls("audit-config", "--postfix", str(pf), cwd=tmp_path, lang=lang)
    records = check_pipe_text(text)
    main_cf = str(pf / "main.cf")
    assert (f"{main_cf}:3", medium, "postfix.legacy_protocols") in {
        (r["where"], r["severity"], r["id"]) for r in records}
    assert all(r["severity"] in ("critical", "high", "medium", "low", "info",
                                 "严重", "高", "中", "低", "信息") for r in records)
    fixes = [line for line in text.splitlines() if "postconf -c" in line]
    assert fixes and all(line.startswith("    ") and line.endswith("'") for line in fixes)
