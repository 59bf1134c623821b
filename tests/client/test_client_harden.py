"""mailtls.harden() with the real smtplib, imaplib and poplib against real Postfix and Dovecot.

Each scenario runs in a fresh interpreter: harden() changes the process for good (there is
deliberately no way back), and the test process must stay as Python ships.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytestmark = pytest.mark.servers

SCRIPT = textwrap.dedent("""
    import contextlib, imaplib, json, poplib, smtplib, ssl, sys
    import mailtls
    args = json.loads(sys.argv[1])
    out = {}

    def attempt(name, fn):
        try:
            fn()
            out[name] = "accepted"
        except ssl.SSLCertVerificationError as exc:
            out[name] = "refused: " + exc.verify_message

    def smtp(port):
        def go():
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                s.starttls()
                s.ehlo()
        return go

    def smtps(port):
        def go():
            with smtplib.SMTP_SSL("localhost", port, timeout=10) as s:
                s.ehlo()
        return go

    def imap(address, port):
        def go():
            i = imaplib.IMAP4(address, port, timeout=10)
            try:
                i.starttls()
            finally:
                with contextlib.suppress(OSError):
                    i.shutdown()
        return go

    def pop(address, port):
        def go():
            p = poplib.POP3(address, port, timeout=10)
            try:
                p.stls()
            finally:
                with contextlib.suppress(OSError):
                    p.close()
        return go

    def imaps(address, port):
        def go():
            imaplib.IMAP4_SSL(address, port, timeout=10).shutdown()
        return go

    def pop3s(address, port):
        def go():
            poplib.POP3_SSL(address, port, timeout=10).close()
        return go

    attempt("smtp_before", smtp(args["smtp_expired"]))
    mailtls.harden(ca_file=args["ca_file"])
    mailtls.harden(ca_file=args["ca_file"])  # idempotent
    attempt("smtp_after", smtp(args["smtp_expired"]))
    attempt("smtp_good_after", smtp(args["smtp_good"]))
    attempt("smtps_good_after", smtps(args["smtps"]))
    attempt("imap_after", imap(*args["imap_expired"]))
    attempt("pop3_after", pop(*args["pop3_expired"]))
    attempt("imaps_after", imaps(*args["imaps_expired"]))
    attempt("pop3s_after", pop3s(*args["pop3s_expired"]))
    attempt("imap_good_after", imap(*args["imap_good"]))
    attempt("own_context_kept", lambda: smtplib.SMTP("127.0.0.1", args["smtp_expired"],
            timeout=10).starttls(context=ssl._create_unverified_context()))
    print(json.dumps(out))
""")


def run_script(args: dict[str, Any]) -> dict[str, str]:
    p = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    result: dict[str, str] = json.loads(p.stdout)
    return result


def test_harden_makes_the_stdlib_verify(postfix_lab: Any, dovecot_lab: Any) -> None:
    exp_addr, exp_ports = dovecot_lab["expired"]
    good_addr, good_ports = dovecot_lab["good"]
    out = run_script({
        "ca_file": str(postfix_lab.ca_file),
        "smtp_expired": postfix_lab["expired"],
        "smtp_good": postfix_lab["good"],
        "smtps": postfix_lab.smtps,
        "imap_expired": [exp_addr, exp_ports["imap"]],
        "pop3_expired": [exp_addr, exp_ports["pop3"]],
        "imaps_expired": [exp_addr, exp_ports["imaps"]],
        "pop3s_expired": [exp_addr, exp_ports["pop3s"]],
        "imap_good": [good_addr, good_ports["imap"]],
    })
    # the problem: Python's smtplib accepts an expired certificate by default
    assert out["smtp_before"] == "accepted"
    assert out["smtp_after"] == "refused: certificate has expired"
    assert out["smtp_good_after"] == "accepted"
    assert out["smtps_good_after"] == "accepted"
    for name in ("imap_after", "pop3_after", "imaps_after", "pop3s_after"):
        assert out[name].startswith("refused"), (name, out[name])
    assert out["imap_good_after"] == "accepted"
    # the documented limit: a caller's own unverified context is left alone
    assert out["own_context_kept"] == "accepted"
