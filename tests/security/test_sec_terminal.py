"""Text taken from a scanned file never reaches the terminal as escape sequences: a
hostile file could otherwise erase the finding printed about it (``ESC[1A ESC[2K``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mailtls.cli.lint import lint_command

ESCAPES = "\x1b[1A\x1b[2K\x1b]0;all clear\x07\x9b2J"


def lint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(lint_command, [*args, "-j", "1", "--today", "2026-06-01"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_escapes_in_a_snippet_and_a_key_are_shown_not_sent(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        f"import smtplib\ns = smtplib.SMTP('mx')\ns.starttls()  # {ESCAPES}\n")
    (tmp_path / "mail.properties").write_text("x.\x1b[1A\x1b[2K\x9b2J.mail.smtp.ssl.trust = *\n")
    code, out = lint(str(tmp_path))
    assert code == 1 and "app.py:3" in out
    assert not any(c in out for c in "\x1b\x07\x9b")
    assert "\\x1b[2K" in out  # shown, visibly
    _, out = lint(str(tmp_path), "--json")
    doc = json.loads(out)
    shown = [f["snippet"] + "".join(f["params"].values()) for f in doc["findings"]]
    assert len(shown) == 2 and not any(c in s for s in shown for c in "\x1b\x07\x9b")


def test_a_file_name_with_escapes_is_shown_not_sent(tmp_path: Path) -> None:
    (tmp_path / "a\x1b[2Kb.properties").write_text("mail.smtp.ssl.trust = *\n")
    code, out = lint(str(tmp_path))
    assert code == 1 and "a\\x1b[2Kb.properties:1" in out and "\x1b" not in out
