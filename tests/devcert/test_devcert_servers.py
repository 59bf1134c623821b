"""Real Postfix and Dovecot configured with the printed devcert snippets, reached with
verification on by smtplib, imaplib, mailtls.client, curl, swaks, msmtp and nodemailer,
each running the text ``mailtls devcert trust --client NAME`` printed.

Every client is also run against a second devcert CA (the same snippet, another ca.pem)
and must then fail: so each snippet is shown to verify, not merely to connect.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from devcert_helpers import Servers, run_both, snippet

pytestmark = pytest.mark.servers
NODE_DIR = Path(__file__).parent / "node"


def test_smtplib_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "smtplib", "--port", str(servers.smtp))
    good, other = run_both(servers, text, [sys.executable], ".py", tmp_path)
    assert good.returncode == 0, good.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in other.stderr


def test_imaplib_snippet_against_dovecot(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "imaplib", "--imap-port", str(servers.imaps))
    good, other = run_both(servers, text, [sys.executable], ".py", tmp_path)
    assert good.returncode == 0, good.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in other.stderr


def test_mailtls_client_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "mailtls", "--port", str(servers.smtp))
    good, other = run_both(servers, text, [sys.executable], ".py", tmp_path)
    assert good.returncode == 0, good.stderr
    assert other.returncode != 0 and "Untrusted" in other.stderr


def test_curl_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "curl", "--port", str(servers.smtp))
    good, other = run_both(servers, text, ["bash", "-e"], ".sh", tmp_path)
    assert good.returncode == 0, good.stderr
    assert other.returncode == 60, other.stderr  # CURLE_PEER_FAILED_VERIFICATION


def test_swaks_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "swaks", "--port", str(servers.smtp))
    good, other = run_both(servers, text, ["bash", "-e"], ".sh", tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "TLS started" in good.stdout
    assert other.returncode != 0
    assert "certificate verify failed" in (other.stdout + other.stderr)


def test_msmtp_snippet(servers: Servers, tmp_path: Path) -> None:
    text = snippet(servers.ca_dir, "msmtp", "--port", str(servers.smtp))
    good, other = run_both(servers, text, ["msmtp", "--serverinfo", "-C"], ".msmtprc", tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "TLS session parameters" in good.stdout
    assert other.returncode != 0 and "certificate" in other.stderr.lower()


def test_nodemailer_snippet(servers: Servers, tmp_path: Path) -> None:
    if not shutil.which("node"):
        pytest.skip("node is not installed: the nodemailer snippet cannot run here")
    if not (NODE_DIR / "node_modules" / "nodemailer").is_dir():
        pytest.skip("nodemailer is not installed in tests/devcert/node: make test installs it "
                    "(make node-deps, which needs npm)")
    text = snippet(servers.ca_dir, "nodemailer", "--port", str(servers.smtp))
    env = {**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")}
    outcomes = []
    for body in (text, servers.other(text)):
        script = tmp_path / "app.js"
        script.write_text(body)
        outcomes.append(subprocess.run(["node", str(script)], capture_output=True, text=True,
                                       timeout=60, env=env, stdin=subprocess.DEVNULL))
    good, other = outcomes
    assert good.returncode == 0 and "verified" in good.stdout, good.stderr
    assert other.returncode == 1 and "certificate" in other.stderr
