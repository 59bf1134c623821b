"""``audit-config --fix --write``: files land only inside --to, never on their source,
and whatever they replace is kept as ``.bak``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailtls.cli.audit import audit_command

MAIN = ("compatibility_level = 3.6\n"
        "smtpd_tls_security_level = may\n"
        "smtpd_tls_protocols = !SSLv2, !SSLv3\n"
        "smtp_tls_security_level = encrypt\n"
        "smtp_sasl_auth_enable = yes\n"
        "relayhost = [smtp.example.net]:587\n")
MASTER = "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"
USAGE = (2, 64)  # click's usage status, or EX_USAGE once the CLI maps it


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(audit_command, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def tree(top: Path) -> dict[str, bytes]:
    """Every file under ``top`` with its bytes (links as what they point to)."""
    return {str(p.relative_to(top)): (os.readlink(p).encode() if p.is_symlink() else
                                      p.read_bytes())
            for p in sorted(top.rglob("*")) if p.is_file() or p.is_symlink()}


@pytest.fixture
def pf(tmp_path: Path) -> Path:
    d = tmp_path / "pf"
    d.mkdir()
    (d / "main.cf").write_text(MAIN)
    (d / "master.cf").write_text(MASTER)
    return d


def copy_of(out: Path, source: Path) -> Path:
    return out / str(source.resolve()).lstrip("/")


def test_relative_source_lands_inside_the_folder(pf: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = tree(pf)
    code, out = run("--postfix", "../pf", "--fix", "--write", "--to", ".")
    assert code not in USAGE and "Traceback" not in out
    assert tree(pf) == before  # the source is untouched (it used to be overwritten, no .bak)
    written = copy_of(work, pf)
    assert "smtpd_tls_protocols = >=TLSv1.2" in (written / "main.cf").read_text()
    assert (written / "master.cf").exists()  # the copy is a whole Postfix directory


def test_a_destination_that_is_the_source_is_refused(pf: Path) -> None:
    before = tree(pf)
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", "/")
    assert code in USAGE and "the file being fixed" in out and str(pf / "main.cf") in out
    assert tree(pf) == before


def test_a_hard_link_to_the_source_is_refused(pf: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    target = copy_of(out_dir, pf)
    target.mkdir(parents=True)
    os.link(pf / "main.cf", target / "main.cf")
    before = tree(pf)
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", str(out_dir))
    assert code in USAGE and "the file being fixed" in out
    assert tree(pf) == before


def test_a_folder_link_leading_out_is_refused(pf: Path, tmp_path: Path) -> None:
    out_dir, outside = tmp_path / "out", tmp_path / "outside"
    out_dir.mkdir()
    outside.mkdir()
    first = str(pf.resolve()).lstrip("/").split("/")[0]
    (out_dir / first).symlink_to(outside)
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", str(out_dir))
    assert code in USAGE and "symbolic link" in out
    assert list(outside.iterdir()) == []  # not even a folder made out there


def test_a_file_link_leading_out_is_refused(pf: Path, tmp_path: Path) -> None:
    out_dir, victim = tmp_path / "out", tmp_path / "victim"
    victim.write_text("precious\n")
    target = copy_of(out_dir, pf)
    target.mkdir(parents=True)
    (target / "main.cf").symlink_to(victim)
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", str(out_dir))
    assert code in USAGE and "symbolic link" in out
    assert victim.read_text() == "precious\n" and (target / "main.cf").is_symlink()


def test_what_is_replaced_is_kept(pf: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    target = copy_of(out_dir, pf)
    target.mkdir(parents=True)
    (target / "main.cf").write_text("mine = 1\n")
    (target / "master.cf").write_text("my master\n")
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", str(out_dir))
    assert code not in USAGE
    assert (target / "main.cf.bak").read_text() == "mine = 1\n"
    assert (target / "master.cf.bak").read_text() == "my master\n"
    assert "backup" in out


def test_in_place_backup_never_follows_a_planted_link(pf: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"  # does not exist: the link dangles
    (pf / "main.cf.bak").symlink_to(victim)
    code, _ = run("--postfix", str(pf), "--fix", "--write", "--in-place")
    assert code not in USAGE and not victim.exists()
    assert (pf / "main.cf.bak.1").read_text() == MAIN


def test_the_refusal_is_in_chinese_too(pf: Path) -> None:
    code, out = run("--postfix", str(pf), "--fix", "--write", "--to", "/", "--lang", "zh_CN")
    assert code in USAGE and "拒绝写入" in out and "正在修复的文件" in out
