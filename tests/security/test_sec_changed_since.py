"""``lint --changed-since``: the value is a revision, never an option given to git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailtls.cli.lint import lint_command

INSECURE = "import smtplib\ns = smtplib.SMTP('mx')\ns.starttls()\n"
USAGE = (2, 64)  # click's usage status, or EX_USAGE once the CLI maps it


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "t@example.org")
    git(r, "config", "user.name", "t")
    (r / "a.py").write_text("x = 1\n")
    git(r, "add", "a.py")
    git(r, "commit", "-qm", "one")
    (r / "a.py").write_text(INSECURE)
    return r


def lint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, [*args, "-j", "1", "--today", "2026-06-01"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("value", ["--output={victim}", "-o{victim}", "--output {victim}",
                                   "HEAD --output={victim}"])
def test_an_option_is_refused_and_no_file_is_written(repo: Path, tmp_path: Path,
                                                     value: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    spelled = value.format(victim=victim)
    code, out = lint(str(repo), f"--changed-since={spelled}")
    assert victim.read_text() == "precious\n"
    assert code in USAGE and repr(spelled) in out and "files scanned" not in out


def test_a_revision_still_works(repo: Path) -> None:
    code, out = lint(str(repo), "--changed-since", "HEAD")
    assert code == 1 and "a.py:3" in out
    sha = git(repo, "rev-parse", "HEAD")
    assert lint(str(repo), "--changed-since", sha[:10])[0] == 1


def test_a_name_that_is_not_a_commit_is_refused(repo: Path) -> None:
    blob = git(repo, "rev-parse", "HEAD:a.py")  # exists, but is a file's content
    for value in (blob, "no-such-branch", ""):
        code, out = lint(str(repo), "--changed-since", value)
        assert code in USAGE and repr(value) in out


def test_the_repositorys_config_cannot_run_a_program(repo: Path, tmp_path: Path) -> None:
    """A tree to lint may come with its own .git/config: core.fsmonitor must not run."""
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    os.chmod(hook, 0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    code, _ = lint(str(repo), "--changed-since", "HEAD")
    assert code == 1 and not marker.exists()
