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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from devcert_helpers import mailtls

from servers.dovecot import DovecotInstance, Site
from servers.ports import free_ports
from servers.postfix import Listener, PostfixInstance

pytestmark = pytest.mark.servers
NODE_DIR = Path(__file__).parent / "node"


def snippet(ca_dir: Path, client: str, *extra: str) -> str:
    r = mailtls("devcert", "trust", "--dir", str(ca_dir), "--client", client,
                "--host", "localhost", *extra)
    assert r.status == 0, r.err
    return r.out


def settings(text: str) -> dict[str, str]:
    """``name = value`` lines of a main.cf/dovecot.conf snippet (comments dropped)."""
    pairs = (line.split("=", 1) for line in text.splitlines()
             if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass(frozen=True)
class Servers:
    ca_dir: Path
    other_ca: Path  # ca.pem of an unrelated devcert CA: every client must fail with it
    smtp: int
    imaps: int


@pytest.fixture(scope="module")
def servers(served_ca: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if os.geteuid() != 0 or not shutil.which("postfix") or not shutil.which("dovecot"):
        pytest.fail("the devcert server tests need Postfix and Dovecot and root: run make test",
                    pytrace=False)
    other = tmp_path_factory.mktemp("other") / "ca"
    assert mailtls("devcert", "init", "--dir", str(other)).status == 0
    smtp, imaps = free_ports(2)
    # Postfix takes its certificate from the printed main.cf lines, not from the fixture
    postfix = PostfixInstance([Listener("devcert", smtp,
                                        options={"smtpd_tls_security_level": "may"})],
                              main_cf=settings(snippet(served_ca, "postfix", "--port",
                                                       str(smtp))))
    dovecot_conf = snippet(served_ca, "dovecot")
    conf = settings(dovecot_conf)
    site = Site("127.0.0.1", Path(conf["ssl_cert"].lstrip("<")), Path(conf["ssl_key"].lstrip("<")))
    dovecot = DovecotInstance([site], {"imaps": imaps}, "pw", extra_conf=dovecot_conf)
    postfix.start()
    try:
        dovecot.start()
        try:
            yield Servers(served_ca, other / "ca.pem", smtp, imaps)
        finally:
            dovecot.cleanup()
    finally:
        postfix.cleanup()


def run_both(srv: Servers, text: str, argv: list[str], suffix: str,
             tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], ...]:
    """Run ``text`` (saved as a file, given to ``argv``) as printed, then with the other CA."""
    ca = str(srv.ca_dir.resolve() / "ca.pem")
    assert ca in text
    results = []
    for name, body in (("good", text), ("other", text.replace(ca, str(srv.other_ca)))):
        path = tmp_path / f"{name}{suffix}"
        path.write_text(body)
        path.chmod(0o600)
        results.append(subprocess.run([*argv, str(path)], capture_output=True, text=True,
                                      timeout=60, stdin=subprocess.DEVNULL, cwd=tmp_path))
    return tuple(results)


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
    ca = str(servers.ca_dir.resolve() / "ca.pem")
    outcomes = []
    for body in (text, text.replace(ca, str(servers.other_ca))):
        script = tmp_path / "app.js"
        script.write_text(body)
        outcomes.append(subprocess.run(["node", str(script)], capture_output=True, text=True,
                                       timeout=60, env=env, stdin=subprocess.DEVNULL))
    good, other = outcomes
    assert good.returncode == 0 and "verified" in good.stdout, good.stderr
    assert other.returncode == 1 and "certificate" in other.stderr
