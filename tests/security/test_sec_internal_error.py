"""A failure inside lint is never a green run: the file gets ``lint.internal_error``,
the run exits 3 (could not test), the other files are reported, and ``--verbose``
shows the traceback."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import sec_workers
from click.testing import CliRunner

from mailtls.cli.lint import lint_command
from mailtls.lint import Options, engine, lint_paths, parallel

INSECURE = "import smtplib\ns = smtplib.SMTP('mx')\ns.starttls()\n"


def lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(lint_command, [*args, "--today", "2026-06-01"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def tree(top: Path, bad: str, count: int) -> None:
    for i in range(count):
        (top / f"app{i:02}.py").write_text(INSECURE)
    (top / bad).write_text(INSECURE)


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_scan_chunk", sec_workers.scan_chunk)


def test_a_scanner_crash_is_exit_3_with_the_file_named(tmp_path: Path,
                                                       in_workers: None) -> None:
    tree(tmp_path, "raise-me.py", 2)
    code, out, err = lint(str(tmp_path), "-j", "1")
    assert code == 3
    assert "raise-me.py:1" in out and "lint.internal_error" in out
    assert "ValueError: scanner bug on raise-me.py" in out
    assert "app00.py:3" in out and "app01.py:3" in out  # the others are still reported
    assert "Traceback" not in out + err


def test_verbose_shows_the_traceback(tmp_path: Path, in_workers: None) -> None:
    tree(tmp_path, "raise-me.py", 1)
    code, out, err = lint(str(tmp_path), "-j", "1", "--verbose")
    assert code == 3 and "Traceback (most recent call last)" in err
    assert "raise-me.py" in err and "scanner bug" in err and "Traceback" not in out


def test_json_carries_the_finding_and_fail_on_never_is_still_3(tmp_path: Path,
                                                               in_workers: None) -> None:
    tree(tmp_path, "raise-me.py", 1)
    code, out, _ = lint(str(tmp_path), "-j", "1", "--json", "--fail-on", "never")
    doc = json.loads(out)
    failed = [f for f in doc["findings"] if f["id"] == "lint.internal_error"]
    assert code == 3 and [Path(f["file"]).name for f in failed] == ["raise-me.py"]
    assert doc["files_skipped"] == 1 and doc["files_scanned"] == 1


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_in_workers_a_crash_and_a_dead_worker_are_both_named(
        tmp_path: Path, in_workers: None, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 files in 2 workers: one file kills its worker, one makes its scanner raise."""
    monkeypatch.setattr(parallel, "METHOD", method)
    tree(tmp_path, "raise-me.py", 38)
    (tmp_path / "kill-me.py").write_text(INSECURE)
    report = lint_paths([tmp_path], options=Options(jobs=2))
    failed = {Path(f.location.file).name: f.params["error"] for f in report.findings
              if f.id == "lint.internal_error" and f.location}
    assert set(failed) == {"raise-me.py", "kill-me.py"}
    assert "worker process died" in failed["kill-me.py"]
    assert failed["raise-me.py"] == "ValueError: scanner bug on raise-me.py"
    ok = {Path(f.location.file).name for f in report.findings
          if f.id == "lint.python.smtplib_no_context" and f.location}
    assert ok == {f"app{i:02}.py" for i in range(38)}
    assert set(report.errors) == {str(tmp_path / "raise-me.py"), str(tmp_path / "kill-me.py")}


def test_workers_do_not_inherit_a_lock_held_by_a_thread(tmp_path: Path,
                                                        in_workers: None) -> None:
    """A plain fork copies a lock held by another thread of the parent, held forever."""
    tree(tmp_path, "app-last.py", 39)
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        with sec_workers.LOCK:
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(60)
        method = parallel.start_method()
        report = lint_paths([tmp_path], options=Options(jobs=2))
    finally:
        release.set()
        holder.join()
    assert report.errors == {} and len(report.findings) == 40
    assert method in ("forkserver", "spawn")
    # with one thread fork is safe and fastest (threads of earlier tests may still run here)
    alone = threading.active_count() == 1
    assert parallel.start_method() == ("fork" if alone else "forkserver")
