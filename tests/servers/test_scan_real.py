"""``mailtls scan --json`` against real Postfix and Dovecot listeners: exactly the primary cause.

Each listener presents one certificate situation from the lab PKI (tests/conftest.py);
the scan must name that situation's finding as the primary one, and nothing else above
info. Postfix's own log then shows how the scanner behaved on the wire.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from mailtls.lab.pki import LabPKI

pytestmark = pytest.mark.servers
SITUATIONS = [
    "good",
    "expired",
    "not-yet-valid",
    "expires-soon",
    "wrong-host",
    "self-signed",
    "untrusted",
    "chain-incomplete",
    "weak-key",
    "weak-signature",
    "not-for-server",
]


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    p = subprocess.run(
        [sys.executable, "-m", "mailtls", "scan", "--json", "--timeout", "20", *args],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "LANG": "C.UTF-8"},
    )
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


def above_info(result: dict[str, Any]) -> list[str]:
    return [f["id"] for f in result["findings"] if f["severity"] != "info"]


def primary(result: dict[str, Any]) -> str:
    marked = [f["id"] for f in result["findings"] if f.get("primary")]
    assert len(marked) <= 1
    return marked[0] if marked else result["findings"][0]["id"]


def check(result: dict[str, Any], expected: str) -> None:
    assert primary(result) == expected, result["findings"]
    if expected == "cert.verified":
        assert above_info(result) == []
    else:
        assert above_info(result) == [expected]


def test_postfix_each_situation_gives_exactly_its_cause(postfix_lab, lab_pki: LabPKI) -> None:  # type: ignore[no-untyped-def]
    urls = [f"smtp://localhost:{postfix_lab[s]}" for s in SITUATIONS]
    urls += [f"smtp://localhost:{postfix_lab.no_tls}", f"smtps://localhost:{postfix_lab.smtps}"]
    status, doc = scan_json("--ca-file", str(postfix_lab.ca_file), *urls)
    results = doc["results"]
    for name, result in zip(SITUATIONS, results, strict=False):
        check(result, lab_pki.situations[name].expect)
        leaf = lab_pki.situations[name].issued.cert
        assert result["certificate"]["serial"] == format(leaf.serial_number, "x")
        assert result["address"] == "127.0.0.1"  # ::1 refused first, then the IPv4 address
    check(results[-2], "starttls.not_offered")
    check(results[-1], "cert.verified")
    assert results[-1]["scheme"] == "smtps"
    assert status == 2


def test_postfix_log_shows_a_polite_dialogue(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    port = postfix_lab["expired"]
    scan_json(
        "--ca-file",
        str(postfix_lab.ca_file),
        "--ehlo",
        "probe.mailtls.test",
        f"smtp://127.0.0.1:{port}",
    )
    # Postfix logs the commands of each session when it ends: EHLO, STARTTLS, EHLO, QUIT;
    # never HELO, never AUTH or MAIL.
    match = postfix_lab.instance.wait_for_log(
        r"disconnect from \S+ ehlo=2 starttls=1 quit=1 commands=4"
    )
    line = match.group(0)
    assert "helo=" not in line and "auth=" not in line and "mail=" not in line
    sessions = re.findall(r"disconnect from \S+ (.*)", postfix_lab.instance.log_text())
    assert sessions and not any("helo=" in s or "auth=" in s for s in sessions)


def test_dovecot_each_situation_on_every_protocol(dovecot_lab, lab_pki: LabPKI) -> None:  # type: ignore[no-untyped-def]
    for name in SITUATIONS:
        address, ports = dovecot_lab[name]
        schemes = ["imap", "imaps", "pop3", "pop3s", "sieve"]
        resolve = [arg for s in schemes for arg in ("--resolve", f"localhost:{ports[s]}:{address}")]
        urls = [f"{s}://localhost:{ports[s]}" for s in schemes]
        _, doc = scan_json("--ca-file", str(dovecot_lab.ca_file), *resolve, *urls)
        for scheme, result in zip(schemes, doc["results"], strict=True):
            assert result["address"] == address, (name, scheme)
            check(result, lab_pki.situations[name].expect)


def test_untested_endpoint_exit_status(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    status, doc = scan_json("--timeout", "3", "smtp://127.0.0.1:1")
    assert status == 3 and primary(doc["results"][0]) == "conn.refused"
