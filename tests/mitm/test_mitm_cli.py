"""mailtls mitm run/serve: the JSON contract, exit statuses and bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from clients import py

from mailtls.cli.mitm import mitm_command

PY = sys.executable


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(mitm_command, list(args))
    return result.exit_code, result.output


def test_json_and_exit_1_for_a_vulnerable_client(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    html = tmp_path / "r.html"
    code, out = run("run", "--json", "--trusted-ca-out", str(ca), "--html", str(html),
                    "--scenario", "self_signed", "--", *py("smtp", False))
    doc = json.loads(out[out.index("{"):])
    assert code == 1 and doc["schema"] == 1
    rows = {s["id"]: s for s in doc["scenarios"]}
    assert set(rows) == {"control", "self_signed"}
    assert rows["self_signed"]["verdict"] == "vulnerable"
    assert rows["self_signed"]["credentials_sent"] and rows["self_signed"]["mail_sent"]
    assert "password: captured" in rows["self_signed"]["detail"]
    assert ca.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    assert 'class="vulnerable"' in html.read_text()


def test_safe_client_exits_0_and_prints_chinese(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    argv = [a.replace("{ca}", str(ca)) for a in py("pop3", True)]
    code, out = run("run", "--protocol", "pop3", "--lang", "zh_CN", "--trusted-ca-out",
                    str(ca), "--scenario", "expired", "--", *argv)
    assert code == 0, out
    assert "安全" in out


def test_hang_crash_and_never_connecting_still_give_the_matrix() -> None:
    hang = [PY, "-c", "import socket,sys,time; s=socket.create_connection(('{host}', "
            "int('{port}'))); time.sleep(60)"]
    code, out = run("run", "--json", "--timeout", "1", "--scenario", "expired", "--", *hang)
    doc = json.loads(out[out.index("{"):])
    assert code == 3 and all(s["verdict"] == "inconclusive" for s in doc["scenarios"])
    assert doc["scenarios"][0]["exit_status"] == "killed after 1s"
    crash = [PY, "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(7)"]
    code, out = run("run", "--json", "--scenario", "expired", "--", *crash)
    doc = json.loads(out[out.index("{"):])
    assert code == 3 and doc["scenarios"][0]["stderr"] == "boom\n"
    assert doc["scenarios"][0]["detail"] == "the client never connected"
    code, out = run("run", "--json", "--scenario", "expired", "--", "/nonexistent/client")
    doc = json.loads(out[out.index("{"):])
    assert doc["scenarios"][0]["exit_status"] == "could not start"


def test_garbage_from_the_client() -> None:
    garbage = [PY, "-c", "import socket; s=socket.create_connection(('{host}', int('{port}')));"
               " s.recv(100); s.sendall(bytes(range(256))*40); s.recv(100)"]
    code, out = run("run", "--json", "--timeout", "5", "--scenario", "expired", "--", *garbage)
    doc = json.loads(out[out.index("{"):])
    assert code == 3 and "unintelligible" in doc["scenarios"][0]["detail"]


def test_usage_errors() -> None:
    assert run("run", "--scenario", "nope", "--", "true")[0] == 2
    code, out = run("run")
    assert code == 2 and "after --" in out
    assert run("serve", "--listen", "not-an-ip")[0] == 2


def test_serve_port_in_use_is_a_clear_message() -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        code, out = run("serve", "--port-base", str(busy.getsockname()[1]))
    finally:
        busy.close()
    assert code == 2 and "cannot listen there" in out and "Traceback" not in out


def test_serve_lists_listeners_records_live_and_reports(tmp_path: Path) -> None:
    proc = subprocess.Popen([PY, "-m", "mailtls", "mitm", "serve", "--demo", "--scenario",
                             "self_signed"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    port = None
    while port is None:
        line = proc.stdout.readline()
        lines.append(line)
        if line.strip().startswith("smtp://") and "self-signed" in line:
            port = line.split()[0].rsplit(":", 1)[1]
    subprocess.run([PY, str(Path(__file__).parent / "pyclient.py"), "smtp", "localhost",
                    port], timeout=30, check=True)
    proc.send_signal(2)
    out, _ = proc.communicate(timeout=30)
    assert "What a careless client does" in "".join(lines)
    assert "sent its password or mail" in out and "vulnerable" in out


def test_implicit_tls_run_has_no_starttls_scenarios(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    argv = [a.replace("{ca}", str(ca)) for a in py("pop3s", True)]
    code, out = run("run", "--json", "--protocol", "pop3", "--implicit-tls",
                    "--trusted-ca-out", str(ca), "--", *argv)
    doc = json.loads(out[out.index("{"):])
    assert code == 0, out
    assert [s["id"] for s in doc["scenarios"]] == [
        "control", "self_signed", "expired", "wrong_host", "untrusted_ca", "tls1_0_only"]
    assert all(s["verdict"] == "safe" for s in doc["scenarios"])
    assert doc["scenarios"][0]["handshake"].startswith("TLSv1.3")
    code, out = run("run", "--json", "--protocol", "pop3", "--implicit-tls",
                    "--scenario", "self_signed", "--", *py("pop3s", False))
    rows = {s["id"]: s for s in json.loads(out[out.index("{"):])["scenarios"]}
    assert code == 1 and rows["self_signed"]["credentials_sent"]
