"""The command line as CI drives it: subprocesses, exit statuses, stdout documents, signals, pipes.

Exit statuses (cli/exits.py): 0/1/2/3 the verdict, 64 usage error, 66 input file unreadable,
130 interrupted (finished results still printed), 141 stdout closed early.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mailtls.lab.servers import Lab

SCHEMAS = Path(__file__).parents[2] / "src/mailtls/schemas"
ERROR_SCHEMA = json.loads((SCHEMAS / "error-1.json").read_text())
SCAN_SCHEMA = json.loads((SCHEMAS / "scan-1.json").read_text())
MAILTLS = [sys.executable, "-m", "mailtls"]
ENV = {**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": "", "COLUMNS": "120"}
HANG_GUARD = 60.0  # seconds; only so that a broken build fails instead of hanging CI


def mailtls(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILTLS, *args], capture_output=True, text=True, timeout=120,
                          env={**ENV, **(env or {})}, stdin=subprocess.DEVNULL)  # fmt: skip


def endpoint(lab: Lab, name: str) -> str:
    return next(e.url for e in lab.endpoints if e.name == name)


def error_doc(p: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(p.stdout)
    jsonschema.validate(doc, ERROR_SCHEMA)
    assert doc["exit_status"] == p.returncode
    return doc


# --- usage errors: 64, and a JSON document with --json ---------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "--json"], "no target"),
        (["scan", "--bogus", "--json", "localhost"], "No such option"),
        (["scan", "--json", "--timeout", "0", "localhost"], "--timeout"),
        (["scan", "--json", "--at", "yesterday", "localhost"], "not an ISO 8601 time"),
        (["audit-config", "--write", "--json"], "--write goes with --fix"),
        (["lint", "--bogus", "--json"], "No such option"),
        (["send", "--json"], "--server"),
        (["lab", "--json", "--bogus"], "No such option"),
        (["nonsense", "--json"], "No such command"),
    ],
)
def test_usage_errors_exit_64_with_a_json_document(args: list[str], message: str) -> None:
    p = mailtls(*args)
    assert p.returncode == 64, p.stderr
    doc = error_doc(p)
    assert doc["error"]["id"] == "cli.usage_error" and message in doc["error"]["message"]
    assert message in p.stderr and "Traceback" not in p.stderr


def test_usage_error_without_json_prints_nothing_on_stdout() -> None:
    p = mailtls("scan")
    assert p.returncode == 64 and p.stdout == "" and "no target" in p.stderr


def test_help_documents_the_exit_statuses() -> None:
    for args in (["--help"], ["scan", "--help"], ["audit-config", "--help"], ["lint", "--help"]):
        p = mailtls(*args)
        assert p.returncode == 0
        text = " ".join(p.stdout.split())
        assert "64 usage error" in text and "66 input file unreadable" in text, args
        assert "130 interrupted" in text


# --- unreadable input files: 66 ----------------------------------------------------------------

def test_missing_ca_file_exits_66(tmp_path: Path) -> None:
    p = mailtls("scan", "--json", "--ca-file", str(tmp_path / "ca.pem"), "localhost")
    assert p.returncode == 66
    doc = error_doc(p)
    assert doc["error"]["id"] == "cli.input_unreadable"
    assert f"--ca-file {tmp_path / 'ca.pem'}: cannot read it" in doc["error"]["message"]
    assert "Traceback" not in p.stderr


def test_targets_file_that_is_a_directory_exits_66(tmp_path: Path) -> None:
    p = mailtls("scan", "--targets", str(tmp_path))
    assert p.returncode == 66 and f"--targets {tmp_path}: is a directory" in p.stderr
    p = mailtls("scan", "--targets", str(tmp_path / "none.txt"), "localhost")
    assert p.returncode == 66 and "No such file" in p.stderr


def test_audit_input_that_is_missing_exits_66(tmp_path: Path) -> None:
    p = mailtls("audit-config", "--dovecot", str(tmp_path / "dovecot.conf"), "--json")
    assert p.returncode == 66 and error_doc(p)["error"]["id"] == "cli.input_unreadable"


# --- bad lines among many ----------------------------------------------------------------------

def test_ten_thousand_targets_with_garbage_lines(tmp_path: Path) -> None:
    lines, garbage = [], {}
    for i in range(10_000):
        if i % 500 == 7:
            lines.append(f"garbage line {i} !!")
            garbage[i + 1] = "a target contains no white space"
        elif i % 2000 == 3:
            lines.append("http://x.example")
            garbage[i + 1] = "unknown scheme 'http'"
        else:  # closed ports on loopback addresses: refused at once
            lines.append(f"smtp://127.0.{i // 250}.{i % 250 + 1}:1")
    targets = tmp_path / "targets.txt"
    targets.write_text("\n".join(lines) + "\n")
    p = mailtls("scan", "--json", "--concurrency", "200", "--targets", str(targets))
    doc = json.loads(p.stdout)
    assert len(doc["results"]) == 10_000 - len(garbage)
    assert {r["findings"][0]["id"] for r in doc["results"]} == {"conn.refused"}
    assert len(doc["errors"]) == len(garbage)
    for error, (number, reason) in zip(doc["errors"], sorted(garbage.items()), strict=True):
        assert error.startswith(f"{targets}:{number}: ") and reason in error
    assert p.returncode == 3 and "Traceback" not in p.stderr


# --- interrupts: finished results printed, exit 130 --------------------------------------------

@pytest.fixture
def tarpit() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel's backlog) and never greets."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield f"smtp://127.0.0.1:{s.getsockname()[1]}"


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*MAILTLS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=ENV)  # fmt: skip


def wait_for_line(stream: Any, wanted: str) -> list[str]:
    """Lines of ``stream`` up to the first that contains ``wanted``."""
    seen: list[str] = []
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        deadline = time.monotonic() + HANG_GUARD
        while time.monotonic() < deadline:
            if sel.select(timeout=1.0):
                line = stream.readline()
                assert line, f"stream closed before {wanted!r}: {seen}"
                seen.append(line)
                if wanted in line:
                    return seen
    raise AssertionError(f"no line with {wanted!r} in {HANG_GUARD} s: {seen}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_after_the_first_result_keeps_it_json(
    lab: Lab, tarpit: str, sig: signal.Signals
) -> None:
    good = endpoint(lab, "good")
    p = start("scan", "--json", "--progress", "--timeout", "120", "--ca-file", str(lab.ca_file),
              good, tarpit)  # fmt: skip
    wait_for_line(p.stderr, f"1/2 finished: {good}")
    p.send_signal(sig)
    out, err = p.communicate(timeout=HANG_GUARD)
    assert p.returncode == 130, err
    doc = json.loads(out)
    jsonschema.validate(doc, SCAN_SCHEMA)
    assert doc["interrupted"] is True
    assert [r["target"] for r in doc["results"]] == [good]
    assert doc["results"][0]["findings"][0]["id"] == "cert.verified"
    assert doc["unfinished"] == [tarpit]
    assert "Traceback" not in err and "Aborted" not in err


def test_ctrl_c_after_the_first_result_keeps_it_text(lab: Lab, tarpit: str) -> None:
    good = endpoint(lab, "good")
    p = start("scan", "--progress", "--timeout", "120", "--ca-file", str(lab.ca_file),
              tarpit, good)  # fmt: skip
    wait_for_line(p.stderr, f"1/2 finished: {good}")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=HANG_GUARD)
    assert p.returncode == 130
    assert good in out and tarpit not in out
    assert "Interrupted: 1 of 2 finished" in err and "Traceback" not in err


def test_second_signal_exits_at_once(tmp_path: Path) -> None:
    script = tmp_path / "twice.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "from mailtls.cli.interrupt import Interrupt\n"
        "with Interrupt() as interrupt:\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(30)\n"
        "    except KeyboardInterrupt:\n"
        "        print('first', flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)\n"
        "    print('not reached', flush=True)\n"
    )
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=HANG_GUARD, env=ENV)  # fmt: skip
    assert p.returncode == 130 and p.stdout == "first\n", p.stderr


def test_interrupt_before_any_result_with_json(tarpit: str) -> None:
    p = start("scan", "--json", "--timeout", "120", tarpit)
    time.sleep(0.5)  # the interrupt may land before or during the scan: both must hold
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=HANG_GUARD)
    assert p.returncode == 130 and "Traceback" not in err
    doc = json.loads(out)
    assert doc.get("interrupted") is True or doc["error"]["id"] == "cli.interrupted"


# --- pipes ---------------------------------------------------------------------------------------

def test_stdout_closed_early_is_quiet(lab: Lab) -> None:
    p = subprocess.Popen([*MAILTLS, "scan", "--json", "--ca-file", str(lab.ca_file),
                          endpoint(lab, "good")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, env=ENV)  # fmt: skip
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # the reader is gone before anything is written
    err = p.stderr.read().decode()
    assert p.wait(timeout=HANG_GUARD) == 141
    assert err == ""


@pytest.mark.parametrize("command", ["scan", "lint"])
def test_head_1_leaves_no_traceback(lab: Lab, tmp_path: Path, command: str) -> None:
    if command == "scan":
        args = f"scan --ca-file {lab.ca_file} --targets {lab.targets_file}"
    else:
        for i in range(200):
            (tmp_path / f"m{i}.py").write_text("import smtplib\nsmtplib.SMTP('h').starttls()\n")
        args = f"lint {tmp_path}"
    cmd = " ".join(MAILTLS) + f" {args} | head -1; echo status=${{PIPESTATUS[0]}} >&2"
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120, env=ENV)
    assert len(p.stdout.splitlines()) == 1
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr
    assert p.stderr.strip().splitlines()[-1] in {f"status={n}" for n in (0, 1, 2, 3, 141)}


def test_pipe_through_cat(lab: Lab) -> None:
    good, expired = endpoint(lab, "good"), endpoint(lab, "expired")
    cmd = " ".join(MAILTLS) + f" scan --ca-file {lab.ca_file} {good} {expired} | cat"
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True,
                       timeout=120, env=ENV)  # fmt: skip
    assert p.returncode == 2  # the critical (expired) comes through the pipe
    assert good in p.stdout and expired in p.stdout and "cert.expired" in p.stdout
    assert "\x1b[" not in p.stdout  # no terminal codes in a pipe


# --- as-of time and language --------------------------------------------------------------------

def test_at_is_shown_and_recorded(lab: Lab) -> None:
    good = endpoint(lab, "good")
    p = mailtls("scan", "--ca-file", str(lab.ca_file), "--at", "2099-01-01T00:00:00Z", good)
    assert p.stdout.splitlines()[0] == "Verdict as of 2099-01-01 00:00:00 UTC"
    assert p.returncode == 2  # expired by then
    p = mailtls("scan", "--json", "--ca-file", str(lab.ca_file), "--at", "2099-01-01", good)
    assert json.loads(p.stdout)["as_of"] == "2099-01-01T00:00:00+00:00"
    p = mailtls("scan", "--lang", "zh_CN", "--ca-file", str(lab.ca_file), "--at", "2099-01-01",
                good)  # fmt: skip
    assert p.stdout.splitlines()[0] == "结论对应的时间：2099-01-01 00:00:00 UTC"
    assert "证书已过期" in p.stdout


def test_chinese_interrupt_message(lab: Lab, tarpit: str) -> None:
    good = endpoint(lab, "good")
    p = start("scan", "--lang", "zh_CN", "--progress", "--timeout", "120", "--ca-file",
              str(lab.ca_file), good, tarpit)  # fmt: skip
    wait_for_line(p.stderr, "已完成 1/2")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=HANG_GUARD)
    assert p.returncode == 130 and "已中断：2 项中完成了 1 项" in err and good in out
