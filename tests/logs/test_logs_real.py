"""Real Postfix and Dovecot (tests/logs/loglab.py) write the logs; ``mailtls logs`` counts
exactly what the lab sent: verified, unverified and clear deliveries, a verification
failure, AUTH over TLS through Dovecot SASL, TLS 1.0 clients refused, IMAP logins."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import loglab
import pytest

pytestmark = pytest.mark.servers


def _sessions_closed(lab: loglab.LogLab) -> bool:
    for instance in (lab.sender, lab.receiver):
        text = instance.log_text()
        if text.count(": connect from ") != text.count(": disconnect from "):
            return False
    return True


@pytest.fixture(scope="module")
def ran(lab_files: object) -> Iterator[tuple[loglab.LogLab, loglab.Sent]]:
    if not loglab.have_servers():
        pytest.fail("postfix, dovecot and openssl are needed: run `make test`", pytrace=False)
    lab = loglab.start(lab_files)
    try:
        sent = loglab.run_all(lab)
        deadline = time.monotonic() + 30
        while not _sessions_closed(lab) and time.monotonic() < deadline:
            time.sleep(0.2)
        yield lab, sent
    finally:
        lab.cleanup()


def summary(lab: loglab.LogLab) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-m", "mailtls", "logs", "--json",
                           *map(str, lab.log_files())],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_outbound_counts_equal_what_was_sent(ran: tuple[loglab.LogLab, loglab.Sent]) -> None:
    lab, sent = ran
    doc = summary(lab)
    assert doc["totals"]["mail"]["outbound"] == {
        "verified": sent.verified, "unverified": sent.untrusted, "clear": sent.clear}
    by_peer = {p["peer"]: p for p in doc["peers"] if p["direction"] == "outbound"}

    def mail(port: str) -> dict[str, int]:
        return by_peer[f"localhost[127.0.0.1]:{sent.ports[port]}"]["mail"]  # type: ignore[no-any-return]

    assert mail("verified") == {"verified": sent.verified}
    assert mail("untrusted") == {"unverified": sent.untrusted}
    assert mail("clear") == {"clear": sent.clear}
    failing = next(p for p in doc["peers"] if p["peer"].startswith("127.0.0.1["))
    assert failing["failures"]["untrusted issuer"] == sent.failed_verify
    assert failing["undelivered"] == {"deferred": sent.failed_verify}


def test_inbound_counts_auth_and_failed_handshakes(
        ran: tuple[loglab.LogLab, loglab.Sent]) -> None:
    lab, sent = ran
    doc = summary(lab)
    submitted = sent.verified + sent.untrusted + sent.clear + sent.failed_verify
    relayed_tls = sent.verified + sent.untrusted
    assert doc["totals"]["mail"]["inbound"] == {"unverified": submitted + relayed_tls,
                                                "clear": sent.clear}
    assert doc["totals"]["auth"] == {"tls": sent.auth_tls + sent.imap_tls,
                                     "clear": sent.imap_clear}
    assert doc["totals"]["logins"] == {"tls": sent.imap_tls, "clear": sent.imap_clear}
    smtp = next(p for p in doc["peers"] if p["direction"] == "inbound" and p["service"] == "smtp")
    imap = next(p for p in doc["peers"] if p["service"] == "imap")
    assert smtp["sessions"]["failed"] == sent.failed_tls10
    assert sum(smtp["failures"].values()) == sent.failed_tls10
    assert imap["sessions"]["failed"] == sent.imap_failed
    assert doc["unknown_lines"] == 0
    ids = {f["id"] for f in doc["findings"]}
    assert {"logs.mail_in_clear", "logs.verify_failures", "logs.mail_unverified",
            "logs.handshake_failures"} <= ids


def test_ecs_documents_of_the_real_logs(ran: tuple[loglab.LogLab, loglab.Sent]) -> None:
    from ecs_fields import check_document

    lab, sent = ran
    done = subprocess.run([sys.executable, "-m", "mailtls", "logs", "--format", "ecs",
                           *map(str, lab.log_files())],
                          capture_output=True, text=True, timeout=120, check=False)
    docs = [json.loads(x) for x in done.stdout.splitlines()]
    for d in docs:
        assert check_document(d) == [], d
    verified = [d for d in docs if d.get("mailtls", {}).get("trust") == "verified"]
    assert len(verified) >= 1
    assert verified[0]["tls"] == {"version": "1.3", "version_protocol": "tls",
                                  "cipher": "TLS_AES_256_GCM_SHA384", "curve": "X25519",
                                  "established": True}
    assert verified[0]["destination"]["port"] == sent.ports["verified"]
