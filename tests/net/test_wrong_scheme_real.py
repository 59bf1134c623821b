"""Wrong scheme against real Postfix and Dovecot: 465-style ports named with a STARTTLS
scheme, 587-style ports named with an implicit-TLS one, through the probe and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from mailtls.model import Target
from mailtls.net.probe import probe

pytestmark = pytest.mark.servers
HOST = "127.0.0.1"


def scan_json(url: str, ca_file: str) -> tuple[int, dict[str, Any]]:
    p = subprocess.run(
        [sys.executable, "-m", "mailtls", "scan", "--json", "--timeout", "30",
         "--ca-file", ca_file, url],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "LANG": "C.UTF-8"},
    )  # fmt: skip
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


def primary(doc: dict[str, Any]) -> dict[str, Any]:
    (result,) = doc["results"]
    return next(f for f in result["findings"] if f.get("primary"))


def test_cli_smtp_on_postfix_smtps_port(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    code, doc = scan_json(f"smtp://{HOST}:{postfix_lab.smtps}", str(postfix_lab.ca_file))
    f = primary(doc)
    assert f["id"] == "conn.wrong_scheme.tls"
    assert f["params"]["suggested"] == f"smtps://{HOST}:{postfix_lab.smtps}"
    assert code == 3


def test_cli_smtps_on_postfix_starttls_port(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    port = postfix_lab["good"]
    code, doc = scan_json(f"smtps://{HOST}:{port}", str(postfix_lab.ca_file))
    f = primary(doc)
    assert f["id"] == "conn.wrong_scheme.plain"
    assert f["params"]["suggested"] == f"smtp://{HOST}:{port}"
    assert f["params"]["greeting"].startswith("220 ")
    assert code == 3


def test_cli_the_suggested_url_scans_clean(postfix_lab) -> None:  # type: ignore[no-untyped-def]
    _, doc = scan_json(f"smtp://{HOST}:{postfix_lab.smtps}", str(postfix_lab.ca_file))
    code, fixed = scan_json(primary(doc)["params"]["suggested"], str(postfix_lab.ca_file))
    assert fixed["results"][0]["tls"]["version"] and code == 0, fixed


# scheme used -> (scheme of the port's real service, finding, scheme suggested)
DOVECOT = [
    ("imap", "imaps", "conn.wrong_scheme.tls", "imaps"),
    ("pop3", "pop3s", "conn.wrong_scheme.tls", "pop3s"),
    ("smtp", "imaps", "conn.wrong_scheme.tls", "smtps"),
    ("imaps", "imap", "conn.wrong_scheme.plain", "imap"),
    ("pop3s", "pop3", "conn.wrong_scheme.plain", "pop3"),
    ("smtps", "sieve", "conn.wrong_scheme.plain", "sieve"),
]


@pytest.mark.parametrize(("used", "service", "finding", "suggested"), DOVECOT)
def test_dovecot_ports_under_the_wrong_scheme(  # type: ignore[no-untyped-def]
    dovecot_lab, used: str, service: str, finding: str, suggested: str
) -> None:
    port = dovecot_lab.ports[service]
    obs = asyncio.run(probe(Target(used, HOST, port), timeout=30))
    assert (obs.error_id, obs.error) == (finding, f"{suggested}://{HOST}:{port}")


def test_sieve_on_dovecot_imaps_port(dovecot_lab) -> None:  # type: ignore[no-untyped-def]
    obs = asyncio.run(probe(Target("sieve", HOST, dovecot_lab.ports["imaps"]), timeout=30))
    assert (obs.error_id, obs.error) == ("conn.wrong_scheme.tls", f"sieve://{HOST}:4190")


@pytest.mark.parametrize("scheme", ["smtp", "imap", "pop3", "sieve", "imaps", "pop3s"])
def test_right_schemes_are_untouched(dovecot_lab, postfix_lab, scheme: str) -> None:  # type: ignore[no-untyped-def]
    port = postfix_lab["good"] if scheme == "smtp" else dovecot_lab.ports[scheme]
    obs = asyncio.run(probe(Target(scheme, HOST, port), timeout=30))
    assert obs.error_id is None and obs.tls_version is not None
