"""The monitor's e-mail notifications through the client's real Postfix (SASL via Dovecot).

Here, beside the client's tests, because it needs their ``submit_lab``: a ``mailtls monitor
run`` that raises an alert mails it through the "good" submission listener, and Postfix's
log shows the TLS session and then the login; with the wrong CA nothing is sent (no AUTH,
no MAIL in Postfix's log) and the problem names the refusal.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from clientlab import ADDRESS, SubmitLab

from mailtls.cli.main import cli
from mailtls.lab.pki import CA

pytestmark = pytest.mark.servers


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def _inventory(tmp: Path, lab: SubmitLab, ca_file: Path, tag: str) -> Path:
    (tmp / "smtp-password").write_text(lab.password + "\n")
    path = tmp / "monitor.toml"
    path.write_text(f"""\
[scan]
trust = "none"
timeout = 15

[[endpoint]]
target = "{lab.url('expired')}"
resolve = "{ADDRESS}"
ca_file = ["{lab.ca_file}"]
tags = ["{tag}"]

[notify]
stdout = true

[[notify.email]]
server = "{lab.url('good')}"
from = "alice@localhost"
to = ["alice@localhost"]
username = "{lab.user}"
password_file = "smtp-password"
ca_file = ["{ca_file}"]
""")
    return path


def _mails_with(lab: SubmitLab, text: str) -> list[str]:
    found = []
    for p in lab.postfix.maildir_messages("alice"):
        body = p.read_text(errors="replace")
        if text in body:
            found.append(body)
    return found


def _wait_mail(lab: SubmitLab, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _mails_with(lab, text)
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no mail with {text!r}:\n{lab.postfix.log_text()[-3000:]}")


def test_alert_mailed_over_verified_tls_with_auth(submit_lab: SubmitLab, tmp_path: Path) -> None:
    mark = submit_lab.mark("good")
    inventory = _inventory(tmp_path, submit_lab, submit_lab.ca_file, uuid.uuid4().hex)
    result = invoke(["monitor", "run", "-i", str(inventory)])
    assert "e-mail via" not in result.output, result.output
    raw = _wait_mail(submit_lab, submit_lab.url("expired", "submission"))
    mail = email.message_from_string(raw, policy=email.policy.default)
    assert mail["Subject"] == "mailtls monitor: 1 alert change(s), critical"
    body = mail.get_body()
    assert body is not None
    assert f"{submit_lab.url('expired')}: Certificate expired [cert.expired critical]" in (
        body.get_content())
    # Postfix's own log, in order: a verified-by-us TLS session, then AUTH, then the mail
    submit_lab.postfix.wait_for_log(r"postfix/good/smtpd.*sasl_method=PLAIN, sasl_username=alice")
    lines = submit_lab.postfix.log_lines("good/smtpd")[mark:]
    tls = next(i for i, x in enumerate(lines) if re.search(r"TLS connection established", x))
    auth = next(i for i, x in enumerate(lines) if "sasl_username=alice" in x)
    assert tls < auth, "\n".join(lines)
    assert re.search(r"TLSv1\.[23]", lines[tls]), lines[tls]


def test_wrong_ca_sends_nothing_and_names_the_refusal(submit_lab: SubmitLab,
                                                      tmp_path: Path) -> None:
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(CA.root("Some Other Root CA").issued.cert_pem())
    mark = submit_lab.mark("good")
    inventory = _inventory(tmp_path, submit_lab, other_ca, uuid.uuid4().hex)
    result = invoke(["monitor", "run", "-i", str(inventory)])
    problem = next((x for x in result.output.splitlines() if "e-mail via" in x), "")
    assert submit_lab.url("good") in problem, result.output
    assert "cert.untrusted" in problem, problem
    assert submit_lab.password not in result.output
    submit_lab.wait_disconnects("good", 1)
    time.sleep(0.5)  # a mail, had it been sent, would be queued by now
    submit_lab.assert_nothing_sent("good", mark)
    assert not _mails_with(submit_lab, str(inventory.parent))
