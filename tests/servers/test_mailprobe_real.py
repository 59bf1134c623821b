"""The mail-specific probes against real Postfix and Dovecot."""

from __future__ import annotations

import asyncio

import pytest

from mailtls.model import Target
from mailtls.net.mailprobe import probe_injection, probe_mail_without_tls
from mailtls.proto.injection import Verdict

pytestmark = pytest.mark.servers


def test_postfix_drops_commands_pipelined_with_starttls(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    result = asyncio.run(probe_injection(Target("smtp", "127.0.0.1", postfix_lab["good"])))
    assert result.verdict is Verdict.NOT_VULNERABLE, result
    # Postfix logged the pipelined NOOP as improper pipelining, not as a command
    assert any("502" in e or "5.5" in e for e in result.evidence)


@pytest.mark.parametrize("scheme", ["imap", "pop3"])
def test_dovecot_drops_commands_pipelined_with_starttls(dovecot_lab, scheme: str) -> None:  # type: ignore[no-untyped-def]
    _, ports = dovecot_lab["good"]
    result = asyncio.run(probe_injection(Target(scheme, "127.0.0.1", ports[scheme])))
    assert result.verdict is Verdict.NOT_VULNERABLE, result


def test_postfix_may_level_takes_mail_in_clear(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    result = asyncio.run(probe_mail_without_tls(Target("smtp", "127.0.0.1", postfix_lab["good"])))
    assert result.code == 250 and result.starttls_offered
    log = postfix_lab.instance.wait_for_log(r"disconnect from \S+ ehlo=1 mail=1 rset=1 quit=1")
    assert "rcpt=" not in log.group(0)
