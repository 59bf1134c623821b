"""ROBOT on the wire (net/deep/robot.py): a responder with the oracle and one without
(tests/support/robotserver.py), the real ``openssl s_server`` restricted to RSA key
exchange, real Postfix, and the deep scan's choice of "not applicable"."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from unittest import mock

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailtls.checks.tls import tls_findings
from mailtls.model import Target
from mailtls.net.deep import Budget, Runner, deep_probe, robot
from mailtls.net.deep.robot import robot_fields, robot_probe
from mailtls.proto.tls import ProtocolVersion
from mailtls.proto.tls.robot import Oracle, RobotResult, RobotVerdict
from servers.ports import free_ports
from support.robotserver import RobotServer, rsa_identity, serve
from support.tlsfakes import TLS12, TLS13, FakeTLS
from support.tlsfakes import serve as serve_fake

FAST = Budget(timeout=5.0, read_timeout=1.0, retries=1, backoff=0.05, max_backoff=0.1)
KEY, CERT = rsa_identity(2048)
RSA_SUITES = (0x009C, 0x002F, 0x0035)


def patient() -> AbstractContextManager[object]:
    """For the responder: it decrypts in pure Python in the client's own event loop, on a
    machine shared with other work, so an answer to the key exchange alone can take a few
    hundred milliseconds here, where a real server takes a few. The key exchange's wait
    gets 0.6 s, not 0.3 s (the formula is tested in test_robot_units.py). Not for
    openssl s_server: it serves one connection at a time, and the next hello would wait."""
    return mock.patch.object(robot, "EARLY_WAIT", (0.6, robot.EARLY_WAIT[1]))


def probe(mode: str, **kw: bool) -> tuple[RobotResult | None, RobotServer, Runner]:
    server = RobotServer(KEY, CERT, mode, **kw)

    async def main() -> tuple[RobotResult | None, Runner]:
        async with serve(server) as port:
            runner = Runner(Target("smtp", "robot.test", port, "127.0.0.1"), FAST)
            result = await robot_probe(runner, ProtocolVersion.TLSv1_2, RSA_SUITES, "robot.test")
            return result, runner

    with patient():
        result, runner = asyncio.run(asyncio.wait_for(main(), 60))
    return result, server, runner


def test_a_server_without_the_oracle_is_not_vulnerable_in_five_connections() -> None:
    """Silent to the key exchange alone, bad_record_mac after the Finished, for every
    padding: one connection per padding measures both cases."""
    result, server, runner = probe("sound")
    assert result is not None and result.verdict == RobotVerdict.NOT_VULNERABLE, runner.notes
    assert result.evidence[0] == "valid padding: alert bad_record_mac"
    assert runner.connections == server.connections == 5
    # the responder saw every padding once
    assert sorted(server.verdicts) == sorted(
        ["ok", "bad prefix", "bad separator", "bad separator", "bad version"]
    )


def test_a_server_that_checks_the_first_bytes_is_a_strong_oracle() -> None:
    result, server, runner = probe("strong")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert result.oracle == Oracle.STRONG
    assert "wrong first two bytes: alert decrypt_error before the Finished" in result.evidence
    assert "valid padding: alert bad_record_mac" in result.evidence
    assert runner.connections == server.connections == 10  # answers differ: confirmed once


def test_a_server_that_only_tells_the_version_apart_is_a_weak_oracle() -> None:
    result, _, runner = probe("weak")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert result.oracle == Oracle.WEAK


def test_a_tcp_reset_is_an_answer_of_its_own() -> None:
    result, _, runner = probe("reset")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert "wrong first two bytes: reset before the Finished" in result.evidence


def test_an_oracle_seen_only_without_the_finished_is_found_on_the_same_connections() -> None:
    """Alike when the Finished comes at once; without it, wrong first bytes are closed at
    once and the rest wait: the key exchange's wait sees the close, the Finished the rest."""
    result, server, runner = probe("bare")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert "wrong first two bytes: closed before the Finished" in result.evidence
    assert "valid padding: alert bad_record_mac" in result.evidence
    assert runner.connections == server.connections == 10


def test_the_same_alert_at_once_or_after_the_finished_is_an_oracle() -> None:
    """bad_record_mac for every padding, but at once for wrong first bytes: when the
    answer came is part of it (the paper's measurement without the Finished)."""
    result, server, runner = probe("hasty")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert result.oracle == Oracle.STRONG
    assert "wrong first two bytes: alert bad_record_mac before the Finished" in result.evidence
    assert "valid padding: alert bad_record_mac" in result.evidence
    assert runner.connections == server.connections == 10


def test_a_server_that_closes_before_any_finished_is_asked_with_the_finished() -> None:
    """Every padding closed alike while the Finished is held back; with the Finished sent
    at once the first bytes show: the measurement with the Finished runs on its own
    (5 merged, then 5 + 5 with the Finished, as the answers differ)."""
    result, server, runner = probe("impatient")
    assert result is not None and result.verdict == RobotVerdict.VULNERABLE, runner.notes
    assert result.oracle == Oracle.STRONG
    assert "wrong first two bytes: alert decrypt_error" in result.evidence
    assert "valid padding: alert bad_record_mac" in result.evidence
    assert runner.connections == server.connections == 15
    assert sum(1 for t in runner.trail if "with the Finished" in t) == 10


def test_answers_that_change_between_repeats_are_inconclusive() -> None:
    result, _, runner = probe("flaky")
    assert result is not None and result.verdict == RobotVerdict.INCONCLUSIVE, runner.notes
    assert result.oracle is None


def test_a_server_that_asks_for_a_client_certificate_leaves_the_result_unknown() -> None:
    """Every answer would be about the missing certificate, not the padding (sslyze)."""
    result, server, runner = probe("strong", client_auth=True)
    assert result is None
    assert any("client certificate" in n for n in runner.notes), runner.notes
    assert server.verdicts == [] and runner.connections == 5
    assert robot_fields(result, runner.trail)["robot_connections"] == 5


def test_a_server_that_refuses_the_rsa_suites_leaves_the_result_unknown() -> None:
    fake = FakeTLS(suites={TLS12: [0xC02F]})

    async def main() -> tuple[RobotResult | None, Runner]:
        listener, port = await serve_fake(fake)
        async with listener:
            runner = Runner(Target("smtp", "fake.test", port, "127.0.0.1"), FAST)
            return await robot_probe(runner, ProtocolVersion.TLSv1_2, RSA_SUITES), runner

    result, runner = asyncio.run(main())
    assert result is None
    assert any("ROBOT" in n and "handshake_failure" in n for n in runner.notes), runner.notes
    assert runner.connections == 5  # one round, then it stops


# --- in the deep scan ----------------------------------------------------------------------


def test_the_deep_scan_reports_the_oracle_and_the_finding() -> None:
    server = RobotServer(KEY, CERT, "strong")

    async def main() -> object:
        async with serve(server) as port:
            return await deep_probe(Target("smtp", "robot.test", port, "127.0.0.1"), budget=FAST)

    with patient():
        obs = asyncio.run(asyncio.wait_for(main(), 90))
    assert obs.robot == "vulnerable" and obs.robot_oracle == "strong", obs.notes  # type: ignore[attr-defined]
    findings = {f.id: f for f in tls_findings(obs)}  # type: ignore[arg-type]
    assert "vuln.robot" in findings
    assert obs.connections == server.connections  # type: ignore[attr-defined]
    assert obs.robot_connections == 10  # type: ignore[attr-defined]


def test_the_deep_scan_says_not_applicable_without_rsa_key_exchange() -> None:
    fake = FakeTLS(suites={TLS12: [0xC02F, 0xC030], TLS13: [0x1301]})

    async def main() -> object:
        listener, port = await serve_fake(fake)
        async with listener:
            return await deep_probe(Target("smtp", "fake.test", port, "127.0.0.1"), budget=FAST)

    obs = asyncio.run(asyncio.wait_for(main(), 90))
    assert obs.robot == "not applicable", obs.notes  # type: ignore[attr-defined]
    assert not any(t.startswith("ROBOT") for t in getattr(obs, "notes", ()))
    assert "vuln.robot" not in {f.id for f in tls_findings(obs)}  # type: ignore[arg-type]
    assert obs.robot_connections == 0  # type: ignore[attr-defined]


# --- real servers --------------------------------------------------------------------------


def _pem_files(tmp_path: Path) -> tuple[Path, Path]:
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    pkcs8, plain = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    key_file.write_bytes(KEY.private_bytes(serialization.Encoding.PEM, pkcs8, plain))
    cert = x509.load_der_x509_certificate(CERT)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@pytest.fixture
def rsa_s_server(tmp_path: Path) -> Iterator[int]:
    """``openssl s_server -cipher AES128-SHA`` (RSA key exchange only, TLS 1.2) on loopback."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed (make test installs it)"
    key_file, cert_file = _pem_files(tmp_path)
    port = free_ports(1)[0]
    files = ["-cert", str(cert_file), "-key", str(key_file)]
    cmd = [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-quiet", "-tls1_2", *files,
           "-cipher", "AES128-SHA:@SECLEVEL=0"]  # fmt: skip
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdin=quiet, stdout=quiet, stderr=quiet)
    try:
        _wait_listening(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _wait_listening(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("openssl s_server did not start listening")


def test_openssl_s_server_with_rsa_key_exchange_is_not_vulnerable(rsa_s_server: int) -> None:
    async def main() -> tuple[RobotResult | None, Runner]:
        runner = Runner(Target("smtps", "localhost", rsa_s_server, "127.0.0.1"), FAST)
        return await robot_probe(runner, ProtocolVersion.TLSv1_2, RSA_SUITES), runner

    result, runner = asyncio.run(main())
    assert result is not None and result.verdict == RobotVerdict.NOT_VULNERABLE, runner.notes
    assert runner.connections == 5


@pytest.mark.servers
def test_postfix_with_an_rsa_certificate_is_not_vulnerable(postfix_lab: Mapping[str, int]) -> None:
    """The lab's "weak-key" listener presents an RSA key: Postfix (OpenSSL 3) accepts
    TLS_RSA_* suites there and answers every padding alike."""
    port = postfix_lab["weak-key"]

    async def main() -> tuple[RobotResult | None, Runner]:
        runner = Runner(Target("smtp", "mail.example.test", port, "127.0.0.1"), FAST)
        suites = (0x009C, 0x009D, 0x002F, 0x0035)
        return await robot_probe(runner, ProtocolVersion.TLSv1_2, suites), runner

    result, runner = asyncio.run(main())
    assert result is not None and result.verdict == RobotVerdict.NOT_VULNERABLE, runner.notes
    assert runner.connections == 5
