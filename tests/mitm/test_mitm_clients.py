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
    ALL,
    CERT_ATTACKS,
    IMPLICIT,
    curl,
    fetchmail,
    getmail,
    mailtls_send,
    mbsync,
    mpop,
    msmtp,
    mutt,
    nodemailer,
    py,
    s_nail,
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
    # fetchmail 6.4: sslcertck is the default; "no sslcertck" without sslproto is
    # opportunistic TLS: when STARTTLS is missing, refused or its handshake fails (the
    # injection, TLS 1.0), it logs in again in clear text and gives away the password
    ("fetchmail-pop3-sslcertck", "pop3", fetchmail("pop3", "verify"), verdicts()),
    ("fetchmail-pop3-sslproto-no-sslcertck", "pop3", fetchmail("pop3", "nocheck-required"),
     verdicts(CERT_ATTACKS)),
    ("fetchmail-pop3-no-sslcertck", "pop3", fetchmail("pop3", "nocheck"), verdicts(ALL[1:])),
    ("fetchmail-imap-sslcertck", "imap", fetchmail("imap", "verify"), verdicts()),
    ("fetchmail-imap-no-sslcertck", "imap", fetchmail("imap", "nocheck"), verdicts(ALL[1:])),
    # isync 1.4 cannot turn verification off; SSLType None sends everything in clear
    # (the control, which needs TLS, is then inconclusive)
    ("mbsync-starttls", "imap", mbsync("STARTTLS"), verdicts()),
    ("mbsync-ssltype-none", "imap", mbsync("None"),
     {**verdicts(ALL), "control": "inconclusive"}),
    # mpop (GnuTLS, like msmtp) agrees to TLS 1.0 even with tls_certcheck on
    ("mpop-certcheck-on", "pop3", mpop(True), verdicts(("tls1_0_only",))),
    ("mpop-certcheck-off", "pop3", mpop(False), verdicts((*CERT_ATTACKS, "tls1_0_only"))),
    ("s-nail-tls-verify-strict", "smtp", s_nail(True), verdicts()),
    ("s-nail-tls-verify-ignore", "smtp", s_nail(False), verdicts(CERT_ATTACKS)),
    # mutt in batch mode has nobody to ask, so it refuses what it does not accept by itself
    ("mutt-verifying", "smtp", mutt(True), verdicts()),
    ("mutt-no-force-tls-no-verify-host-dates", "smtp", mutt(False),
     verdicts(("expired", "wrong_host", "starttls_stripped"))),
    # implicit TLS (smtps, imaps, pop3s): the STARTTLS scenarios do not apply
    ("smtplib-SMTP_SSL-no-context", "smtps", py("smtps", False),
     verdicts(CERT_ATTACKS, IMPLICIT)),
    ("smtplib-SMTP_SSL-default-context", "smtps", py("smtps", True), verdicts((), IMPLICIT)),
    ("imaplib-IMAP4_SSL-no-context", "imaps", py("imaps", False),
     verdicts(CERT_ATTACKS, IMPLICIT)),
    ("imaplib-IMAP4_SSL-default-context", "imaps", py("imaps", True), verdicts((), IMPLICIT)),
    ("poplib-POP3_SSL-no-context", "pop3s", py("pop3s", False),
     verdicts(CERT_ATTACKS, IMPLICIT)),
    ("poplib-POP3_SSL-default-context", "pop3s", py("pop3s", True), verdicts((), IMPLICIT)),
    ("curl-smtps", "smtps", curl("smtps", True), verdicts((), IMPLICIT)),
    ("curl-smtps-k", "smtps", curl("smtps", False), verdicts(CERT_ATTACKS, IMPLICIT)),
    ("curl-imaps", "imaps", curl("imaps", True), verdicts((), IMPLICIT)),
    ("curl-imaps-k", "imaps", curl("imaps", False), verdicts(CERT_ATTACKS, IMPLICIT)),
    ("curl-pop3s", "pop3s", curl("pop3s", True), verdicts((), IMPLICIT)),
    ("curl-pop3s-k", "pop3s", curl("pop3s", False), verdicts(CERT_ATTACKS, IMPLICIT)),
    # getmail6 has no STARTTLS; without ca_certs it verifies nothing at all
    ("getmail-pop3s-ca-certs", "pop3s", getmail("pop3s", True), verdicts((), IMPLICIT)),
    ("getmail-pop3s", "pop3s", getmail("pop3s", False), verdicts(CERT_ATTACKS, IMPLICIT)),
    ("getmail-imaps-ca-certs", "imaps", getmail("imaps", True), verdicts((), IMPLICIT)),
    ("getmail-imaps", "imaps", getmail("imaps", False), verdicts(CERT_ATTACKS, IMPLICIT)),
]
IMPLICIT_SCHEMES = {"smtps": "smtp", "imaps": "imap", "pop3s": "pop3"}


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
    command = tuple(a.replace("{ca}", str(ca)).replace("{dir}", str(tmp_path))
                    for a in argv)
    # HOME: no user configuration (~/.muttrc, ~/.mpoprc, ~/.curlrc) takes part
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "HOME": str(tmp_path)}
    implicit = protocol in IMPLICIT_SCHEMES
    options = RunOptions(IMPLICIT_SCHEMES.get(protocol, protocol), implicit, command, 20.0,
                         env=env)
    results = run_scenarios(options, pki)
    got = {r.scenario.id: r.verdict for r in results}
    assert got == expected, {r.scenario.id: (r.verdict, r.facts, r.stderr[-300:])
                             for r in results if got[r.scenario.id] != expected[r.scenario.id]}
    for r in results:  # a password is never kept: only the fact that one was captured
        assert "s3cret-password" not in repr(r)
        if r.verdict == "vulnerable" and r.scenario.id in CERT_ATTACKS:
            assert r.credentials_sent
