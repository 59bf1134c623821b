"""Real clients against every scenario, with the verdicts known in advance.

Each verdict below is what the client really does (docs/mitm.md has the matrix): a
changed verdict means the harness misjudges or the client changed, and must be looked at.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from clients import (
    CERT_ATTACKS,
    curl,
    mailtls_send,
    msmtp,
    nodemailer,
    py,
    swaks,
    verdicts,
)

from mailtls.mitm.runner import RunOptions, run_scenarios
from mailtls.pki.mitm import MitmPKI, make_pki

NODE_MODULES = Path(__file__).parents[1] / "devcert" / "node" / "node_modules"

CASES = [
    ("smtplib-no-context", "smtp", py("smtp", False), verdicts(CERT_ATTACKS)),
    ("smtplib-default-context", "smtp", py("smtp", True), verdicts()),
    ("imaplib-no-context", "imap", py("imap", False), verdicts(CERT_ATTACKS)),
    ("imaplib-default-context", "imap", py("imap", True), verdicts()),
    ("poplib-no-context", "pop3", py("pop3", False), verdicts(CERT_ATTACKS)),
    ("poplib-default-context", "pop3", py("pop3", True), verdicts()),
    ("curl-smtp-ssl-reqd", "smtp", curl("smtp", True), verdicts()),
    ("curl-smtp-k", "smtp", curl("smtp", False), verdicts(CERT_ATTACKS)),
    ("curl-imap-ssl-reqd", "imap", curl("imap", True), verdicts()),
    ("curl-imap-k", "imap", curl("imap", False), verdicts(CERT_ATTACKS)),
    ("curl-pop3-ssl-reqd", "pop3", curl("pop3", True), verdicts()),
    ("curl-pop3-k", "pop3", curl("pop3", False), verdicts(CERT_ATTACKS)),
    # swaks 20201014: --tls-verify checks the chain but not the host name, and reads
    # replies injected before the handshake as if they came over TLS
    ("swaks-tls-verify", "smtp", swaks(True),
     verdicts(("wrong_host", "response_injection"))),
    ("swaks-tls", "smtp", swaks(False), verdicts((*CERT_ATTACKS, "response_injection"))),
    # msmtp (GnuTLS) agrees to TLS 1.0 even with tls_certcheck on
    ("msmtp-certcheck-on", "smtp", msmtp(True), verdicts(("tls1_0_only",))),
    ("msmtp-certcheck-off", "smtp", msmtp(False), verdicts((*CERT_ATTACKS, "tls1_0_only"))),
    ("mailtls-send", "smtp", mailtls_send(True), verdicts()),
    ("nodemailer-verifying", "smtp", nodemailer(True), verdicts()),
    ("nodemailer-reject-unauthorized-false", "smtp", nodemailer(False),
     verdicts(CERT_ATTACKS)),
]


@pytest.fixture(scope="module")
def pki() -> MitmPKI:
    return make_pki(dt.datetime.now(dt.UTC))


def _available(argv: list[str]) -> None:
    program = argv[0] if argv[0] != "sh" else argv[3]
    if not shutil.which(program):
        pytest.skip(f"{program} is not installed (scripts/install-deps.sh installs it)")
    if program == "node" and not (NODE_MODULES / "nodemailer").is_dir():
        pytest.skip("nodemailer is not installed: make node-deps")


@pytest.mark.parametrize(("name", "protocol", "argv", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_client_matrix(name: str, protocol: str, argv: list[str], expected: dict[str, str],
                       pki: MitmPKI, tmp_path: Path) -> None:
    _available(argv)
    ca = tmp_path / "control-ca.pem"
    ca.write_bytes(pki.control_ca_pem)
    command = tuple(a.replace("{ca}", str(ca)) for a in argv)
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    results = run_scenarios(RunOptions(protocol, False, command, 20.0, env=env), pki)
    got = {r.scenario.id: r.verdict for r in results}
    assert got == expected, {r.scenario.id: (r.verdict, r.facts, r.stderr[-300:])
                             for r in results if got[r.scenario.id] != expected[r.scenario.id]}
    for r in results:  # a password is never kept: only the fact that one was captured
        assert "s3cret-password" not in repr(r)
        if r.verdict == "vulnerable" and r.scenario.id in CERT_ATTACKS:
            assert r.credentials_sent
