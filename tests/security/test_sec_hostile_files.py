"""Files made to hang or exhaust lint: each is named with the reason, the rest is linted.

Cases that would hang without their fix run the CLI in a subprocess with a deadline,
so a regression fails the test instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailtls.lint import Options, configs, lint_paths

INSECURE_YAML = "spring:\n  mail:\n    properties:\n      mail.smtp.ssl.trust: '*'\n"
DEADLINE = 120  # seconds: far above a normal run; only a hang reaches it


def bomb() -> str:
    """A "billion laughs": 9 levels of 9 aliases each, 9^9 scalars once expanded."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def lint_json(*args: str) -> tuple[int, dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "mailtls", "lint", "--json", "-j", "1",
                           "--today", "2026-06-01", *args],
                          capture_output=True, text=True, timeout=DEADLINE, check=False)
    return done.returncode, json.loads(done.stdout)


def names(items: object, key: str = "file") -> list[tuple[str, str]]:
    assert isinstance(items, list)
    return [(Path(i[key]).name, i["id"]) for i in items]


def test_yaml_billion_laughs_is_bounded_and_named(tmp_path: Path) -> None:
    text = bomb()
    assert len(text) < 500
    (tmp_path / "bomb.yml").write_text(text)
    (tmp_path / "app.yml").write_text(INSECURE_YAML)
    code, doc = lint_json(str(tmp_path))
    assert names(doc["findings"]) == [("app.yml", "lint.spring.mail_ssl_trust_all")]
    assert names(doc["notes"]) == [("bomb.yml", "lint.file_partial")]
    notes = doc["notes"]
    assert isinstance(notes, list) and "aliases" in notes[0]["params"]["reason"]
    assert code == 1


def test_an_alias_is_still_read_where_it_is_used(tmp_path: Path) -> None:
    (tmp_path / "app.yml").write_text(
        "common: &props\n  mail.smtp.ssl.trust: '*'\n"
        "spring:\n  mail:\n    properties: *props\n")
    report = lint_paths([tmp_path], options=Options(jobs=1))
    keys = [f.params["key"] for f in report.findings]
    assert "spring.mail.properties.mail.smtp.ssl.trust" in keys and report.notes == []


def test_a_scanner_past_its_time_budget_is_skipped_and_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forever(text: str) -> object:  # ends on its own only after the test has failed
        end = time.monotonic() + 60
        while time.monotonic() < end:
            time.sleep(0.01)
        return configs.Scan()

    monkeypatch.setattr(configs, "scan_yaml", forever)
    (tmp_path / "slow.yml").write_text(INSECURE_YAML)
    (tmp_path / "app.py").write_text("import smtplib\nsmtplib.SMTP('mx').starttls()\n")
    report = lint_paths([tmp_path], options=Options(jobs=1, file_seconds=0.2))
    assert [(Path(n.location.file).name, n.id, n.params["reason"])
            for n in report.notes if n.location] == [
        ("slow.yml", "lint.file_skipped", "took longer than the time limit to scan")]
    assert [Path(f.location.file).name for f in report.findings if f.location] == ["app.py"]
    assert report.files_skipped == 1


def test_a_fifo_is_not_opened_for_reading(tmp_path: Path) -> None:
    """Named on the command line or swapped in after the walk, a FIFO must not block."""
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-c", "import sys, datetime; from mailtls.lint.engine import scan_file;"
         f"print(scan_file({str(fifo)!r}, 'python', 1 << 20, datetime.date(2026, 6, 1)).notes)"],
        capture_output=True, text=True, timeout=DEADLINE, check=True)
    assert "not a regular file" in done.stdout


def test_a_gitignore_linked_to_dev_zero_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").symlink_to("/dev/zero")
    (tmp_path / "app.yml").write_text(INSECURE_YAML)
    code, doc = lint_json(str(tmp_path))
    assert code == 1
    assert names(doc["findings"]) == [("app.yml", "lint.spring.mail_ssl_trust_all")]


def test_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yml").write_text(INSECURE_YAML)
    top = tmp_path / "tree"
    top.mkdir()
    (top / "linked.yml").symlink_to(outside / "secret.yml")
    (top / "folder").symlink_to(outside)
    (top / "loop").symlink_to(top)
    report = lint_paths([top], options=Options(jobs=1))
    assert report.findings == [] and report.files_scanned == 0


def test_devices_and_oversized_files_are_not_read(tmp_path: Path) -> None:
    """A device says its size is 0 and never ends: only regular files are read."""
    from mailtls.lint.engine import _read

    assert _read("/dev/zero", 1024) == "not a regular file"
    big = tmp_path / "big.yml"
    big.write_bytes(b"a: 1\n" * 1000)
    assert _read(str(big), 1000) == "larger than the size limit"
