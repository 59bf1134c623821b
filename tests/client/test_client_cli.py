"""``mailtls send`` against the client's Postfix: exit codes, JSON (schema-checked), passwords."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from clientlab import ADDRESS, HOST, SubmitLab

from mailtls.cli.main import cli

pytestmark = pytest.mark.servers
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src" / "mailtls" / "schemas"
                     / "send-1.json").read_text())


@pytest.fixture()
def pwfile(tmp_path: Path, submit_lab: SubmitLab) -> Path:
    p = tmp_path / "pw"
    p.write_text(submit_lab.password + "\n")
    p.chmod(0o600)
    return p


@pytest.fixture()
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.txt"
    p.write_text("Hello from mailtls send.\n.\n")
    return p


def send(lab: SubmitLab, name: str, *extra: str, scheme: str = "submission") -> Any:
    port = lab.port(name)
    args = ["send", "--server", f"{scheme}://{HOST}:{port}",
            "--resolve", f"{HOST}:{port}:{ADDRESS}", "--ca-file", str(lab.ca_file),
            "--from", "alice@localhost", "--to", "alice@localhost", "--timeout", "15", *extra]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def doc(result: Any) -> dict[str, Any]:
    d: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(d, SCHEMA)
    return d


def test_send_json_success(submit_lab: SubmitLab, pwfile: Path, body: Path) -> None:
    subject = f"cli {uuid.uuid4()}"
    r = send(submit_lab, "good", "--subject", subject, "--body-file", str(body),
             "--user", "alice", "--password-file", str(pwfile), "--json")
    assert r.exit_code == 0, r.output
    d = doc(r)
    assert d["sent"] is True and d["queue_id"]
    submit_lab.postfix.wait_for_log(rf"{d['queue_id']}: to=<alice@localhost>.*status=sent")
    assert submit_lab.password not in r.output


def test_send_text_with_eml_file(submit_lab: SubmitLab, pwfile: Path, tmp_path: Path) -> None:
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: alice@localhost\nTo: alice@localhost\nSubject: eml\n\nbody\n")
    r = send(submit_lab, "smtps", "--file", str(eml), "--user", "alice",
             "--password-file", str(pwfile), scheme="smtps")
    assert r.exit_code == 0, r.output
    assert "queued as" in r.stdout


@pytest.mark.parametrize(("name", "finding"), [("expired", "cert.expired"),
                                                ("no-tls", "starttls.not_offered"),
                                                ("wrong-host", "cert.hostname_mismatch")])
def test_send_refused(submit_lab: SubmitLab, pwfile: Path, body: Path, name: str,
                      finding: str) -> None:
    mark = submit_lab.mark(name)
    r = send(submit_lab, name, "--subject", "no", "--body-file", str(body), "--user", "alice",
             "--password-file", str(pwfile), "--json")
    assert r.exit_code == 2
    d = doc(r)
    assert d == {**d, "sent": False}
    assert d["error"]["id"] == finding and d["error"]["remediation"]
    submit_lab.assert_nothing_sent(name, mark)


def test_send_refused_in_chinese(submit_lab: SubmitLab, body: Path) -> None:
    r = send(submit_lab, "expired", "--subject", "no", "--body-file", str(body),
             "--lang", "zh_CN")
    assert r.exit_code == 2
    assert "证书已过期" in r.stderr and "未发送" in r.stderr


def test_world_readable_password_file_warns(submit_lab: SubmitLab, pwfile: Path,
                                            body: Path) -> None:
    pwfile.chmod(0o644)
    r = send(submit_lab, "good", "--subject", "warned", "--body-file", str(body),
             "--user", "alice", "--password-file", str(pwfile), "--json")
    assert r.exit_code == 0, r.output
    d = doc(r)
    assert [w["id"] for w in d["warnings"]] == ["client.password_file_insecure"]
    assert "chmod 600" in r.stderr


@pytest.mark.parametrize(("extra", "finding"), [
    (["--subject", "hi\r\nBcc: evil@example.com"], "client.header_injection"),
    (["--subject", "hi", "--to", "bob@localhost\r\nRCPT TO:<x@y>"], "client.bad_address"),
    (["--subject", "hi", "--to", "not-an-address"], "client.bad_address"),
])
def test_bad_input_is_refused(submit_lab: SubmitLab, body: Path, extra: list[str],
                              finding: str) -> None:
    r = send(submit_lab, "good", "--body-file", str(body), "--json", *extra)
    assert r.exit_code == 2
    assert doc(r)["error"]["id"] == finding


def test_missing_password_file(submit_lab: SubmitLab, body: Path, tmp_path: Path) -> None:
    r = send(submit_lab, "good", "--subject", "x", "--body-file", str(body), "--user", "alice",
             "--password-file", str(tmp_path / "nope"), "--json")
    assert r.exit_code == 66  # EX_NOINPUT
    d = doc(r)
    assert d["error"]["id"] == "client.password_file_unreadable"
    assert "no such file" in d["error"]["detail"]


def test_password_never_on_the_command_line(submit_lab: SubmitLab, body: Path) -> None:
    r = send(submit_lab, "good", "--subject", "x", "--body-file", str(body), "--user", "alice",
             "--password", "oops")
    assert r.exit_code == 2 and "No such option" in r.output


def test_no_terminal_for_the_password(submit_lab: SubmitLab, body: Path) -> None:
    r = send(submit_lab, "good", "--subject", "x", "--body-file", str(body), "--user", "alice")
    assert r.exit_code == 2 and "--password-file" in r.output


def test_real_process_and_exit_status(submit_lab: SubmitLab, pwfile: Path, body: Path) -> None:
    port = submit_lab.port("expired")
    p = subprocess.run(
        [sys.executable, "-m", "mailtls", "send", "--server", f"submission://{HOST}:{port}",
         "--resolve", f"{HOST}:{port}:{ADDRESS}", "--ca-file", str(submit_lab.ca_file),
         "--from", "alice@localhost", "--to", "alice@localhost", "--subject", "x",
         "--body-file", str(body), "--user", "alice", "--password-file", str(pwfile)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "LANG": "C.UTF-8"})
    assert p.returncode == 2
    assert "Certificate expired [cert.expired]" in p.stderr
    assert "Traceback" not in p.stderr and submit_lab.password not in p.stderr + p.stdout


@pytest.mark.parametrize("missing", ["--body-file", "--ca-file"])
def test_unreadable_input_file_is_66(tmp_path: Path, missing: str) -> None:
    body = tmp_path / "body.txt"
    body.write_text("hello\n")
    files = {"--body-file": str(body), "--ca-file": None}
    files[missing] = str(tmp_path / "absent")
    args = [sys.executable, "-m", "mailtls", "send", "--server", "submission://127.0.0.1:9",
            "--from", "a@localhost", "--to", "b@localhost", "--subject", "x", "--json"]
    for option, value in files.items():
        if value is not None:
            args += [option, value]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 66, p.stdout + p.stderr
    assert "absent" in json.loads(p.stdout)["error"]["message"]
    assert "Traceback" not in p.stderr
