"""ROBOT, sans-I/O (proto/tls/robot.py): the five paddings decrypt, with the server's
private key, into exactly the messages sslyze and testssl.sh send; the answers are
described and judged as sslyze judges them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mailtls.catalog import describe
from mailtls.checks.tls import tls_findings
from mailtls.export.json import render_scan
from mailtls.model import DeepObservation, ScanResult, Severity, Target
from mailtls.net.deep.robot import early_wait, robot_fields
from mailtls.proto.tls.robot import (
    MIN_MODULUS_BYTES,
    Oracle,
    Payload,
    RobotVerdict,
    classify,
    describe_reply,
    finished_bytes,
    has_answer,
    padded_premaster,
    probe_bytes,
    rsa_encrypt_raw,
)
from support.robotserver import judge_padding, rsa_identity
from support.tlsfakes import alert

TLS12 = 0x0303
KEY, _ = rsa_identity(1024)
N = KEY.public_key().public_numbers().n
E = KEY.public_key().public_numbers().e
D = KEY.private_numbers().d


def _decrypt(ciphertext: bytes) -> bytes:
    return pow(int.from_bytes(ciphertext, "big"), D, N).to_bytes(128, "big")


EXPECTED = {
    Payload.VALID: "ok",
    Payload.WRONG_FIRST_TWO_BYTES: "bad prefix",
    Payload.WRONG_POSITION_00: "bad separator",
    Payload.NO_00_IN_THE_MIDDLE: "bad separator",
    Payload.WRONG_VERSION_NUMBER: "bad version",
}


@pytest.mark.parametrize("payload", list(Payload))
def test_each_padding_decrypts_to_what_it_claims(payload: Payload) -> None:
    data = probe_bytes(payload, N, E, version=TLS12, client_version=TLS12, finish=False)
    assert data[:6] == bytes([22, 3, 3, 0, 134, 16])  # handshake record, ClientKeyExchange
    assert data[6:11] == bytes([0, 0, 130, 0, 128])  # u24 130, then the u16-prefixed 128 bytes
    message = _decrypt(data[11:])
    assert len(message) == 128
    assert judge_padding(message, TLS12) == EXPECTED[payload]


def test_the_valid_padding_is_pkcs1_v15_with_48_premaster_bytes() -> None:
    message = padded_premaster(Payload.VALID, 256, TLS12)
    assert message[:2] == b"\x00\x02" and len(message) == 256
    assert b"\x00" not in message[2:207] and message[207] == 0  # 205 filler bytes
    assert message[208:210] == b"\x03\x03" and len(message[208:]) == 48


def test_the_broken_paddings_differ_only_where_they_say() -> None:
    valid = padded_premaster(Payload.VALID, 128, TLS12)
    first = padded_premaster(Payload.WRONG_FIRST_TWO_BYTES, 128, TLS12)
    version = padded_premaster(Payload.WRONG_VERSION_NUMBER, 128, 0x0301)
    assert first[:2] == b"\x41\x17" and first[2:] == valid[2:]
    assert version[79:82] == b"\x00\x02\x02" and version[:79] == valid[:79]
    assert b"\x00" not in padded_premaster(Payload.NO_00_IN_THE_MIDDLE, 128, TLS12)[1:]
    assert padded_premaster(Payload.WRONG_POSITION_00, 128, TLS12)[-2:] == b"\x00\x11"


def test_with_finish_a_ccs_and_a_finished_follow() -> None:
    bare = probe_bytes(Payload.VALID, N, E, version=TLS12, client_version=TLS12, finish=False)
    full = probe_bytes(Payload.VALID, N, E, version=TLS12, client_version=TLS12, finish=True)
    assert full.startswith(bare)
    tail = full[len(bare) :]
    assert tail == finished_bytes(TLS12)  # what the merged probe sends after its wait
    assert tail[:6] == bytes([20, 3, 3, 0, 1, 1])  # ChangeCipherSpec
    assert tail[6:11] == bytes([22, 3, 3, 0, 80]) and len(tail) == 11 + 80


def test_a_modulus_too_small_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="too small"):
        padded_premaster(Payload.VALID, MIN_MODULUS_BYTES - 1, TLS12)
    with pytest.raises(ValueError, match="not smaller"):
        rsa_encrypt_raw(b"\xff" * 128, N, E)


def test_raw_encryption_is_textbook_rsa() -> None:
    message = padded_premaster(Payload.VALID, 128, TLS12)
    assert _decrypt(rsa_encrypt_raw(message, N, E)) == message


# --- describing the answer -----------------------------------------------------------------


def test_the_first_alert_names_the_answer() -> None:
    assert describe_reply(alert(20) + alert(40), "closed") == "alert bad_record_mac"
    assert describe_reply(b"", "closed") == "closed"
    assert describe_reply(b"", "reset") == "reset"
    assert describe_reply(b"", "timeout") == "timeout"
    assert describe_reply(b"\x14\x03\x03\x00\x01\x01", "closed") == "records"
    assert describe_reply(b"HTTP/1.1 400", "closed") == "not TLS"


def test_an_answer_before_the_finished_is_not_the_same_answer() -> None:
    assert (
        describe_reply(alert(20), "closed", early=True)
        == "alert bad_record_mac before the Finished"
    )
    assert describe_reply(b"", "closed", early=True) == "closed before the Finished"
    assert describe_reply(alert(20), "closed", early=True) != describe_reply(alert(20), "closed")


def test_the_key_exchange_alone_waits_three_round_trips_at_least_300_ms() -> None:
    assert early_wait(0.001, 2.0) == 0.3
    assert early_wait(0.2, 2.0) == pytest.approx(0.6)
    assert early_wait(0.9, 2.0) == 2.0  # never longer than the answer's own wait
    assert early_wait(0.0, 0.1) == 0.1


def test_robot_connections_are_counted_from_the_trail() -> None:
    trail = ["SSLv2", "ROBOT (the key exchange alone, then the Finished): valid padding",
             "TLS 1.2 suites", "ROBOT (with the Finished): valid padding", "ROBOTS"]  # fmt: skip
    assert robot_fields(None, trail)["robot_connections"] == 2
    result = classify(_same("alert bad_record_mac"))
    fields = robot_fields(result, trail)
    assert fields["robot_connections"] == 2 and fields["robot"] == "not vulnerable"
    assert robot_fields(result)["robot_connections"] == 0


def test_an_answer_is_complete_at_the_first_whole_record() -> None:
    whole = alert(51)
    assert not has_answer(b"") and not has_answer(whole[:6])
    assert has_answer(whole) and has_answer(b"garbage!")


# --- judging -------------------------------------------------------------------------------


def _same(answer: str) -> dict[Payload, list[str]]:
    return {p: [answer, answer] for p in Payload}


def test_identical_answers_are_no_oracle() -> None:
    result = classify(_same("alert bad_record_mac"))
    assert result.verdict == RobotVerdict.NOT_VULNERABLE and result.oracle is None
    assert result.evidence[0] == "valid padding: alert bad_record_mac"


def test_broken_paddings_told_apart_are_a_strong_oracle() -> None:
    answers = _same("alert bad_record_mac")
    answers[Payload.WRONG_FIRST_TWO_BYTES] = ["alert decrypt_error"] * 2
    result = classify(answers)
    assert result.verdict == RobotVerdict.VULNERABLE and result.oracle == Oracle.STRONG


def test_only_the_well_formed_message_told_apart_is_a_weak_oracle() -> None:
    answers = _same("alert bad_record_mac")
    answers[Payload.WRONG_VERSION_NUMBER] = ["reset", "reset"]
    result = classify(answers)
    assert result.verdict == RobotVerdict.VULNERABLE and result.oracle == Oracle.WEAK


def test_a_payload_answered_two_ways_is_inconclusive() -> None:
    answers = _same("alert bad_record_mac")
    answers[Payload.WRONG_FIRST_TWO_BYTES] = ["alert decrypt_error", "alert handshake_failure"]
    result = classify(answers)
    assert result.verdict == RobotVerdict.INCONCLUSIVE
    assert "wrong first two bytes: alert decrypt_error / alert handshake_failure" in result.evidence


def test_classify_needs_every_payload() -> None:
    with pytest.raises(ValueError, match="five payloads"):
        classify({Payload.VALID: ["closed"]})


# --- the rule, the words and the JSON ------------------------------------------------------

EVIDENCE = ("valid padding: alert bad_record_mac", "wrong first two bytes: alert decrypt_error")
SCHEMA = json.loads((Path(__file__).parents[2] / "src/mailtls/schemas/scan-1.json").read_text())


def _robot(verdict: str | None, oracle: str | None = None) -> DeepObservation:
    return DeepObservation(robot=verdict, robot_oracle=oracle, robot_evidence=EVIDENCE,
                           robot_connections=10)  # fmt: skip


def test_a_strong_oracle_is_high_and_a_weak_one_medium() -> None:
    (strong,) = [f for f in tls_findings(_robot("vulnerable", "strong")) if f.id == "vuln.robot"]
    (weak,) = [f for f in tls_findings(_robot("vulnerable", "weak")) if f.id == "vuln.robot"]
    assert strong.severity is Severity.HIGH and weak.severity is Severity.MEDIUM
    text = describe(strong).detail
    assert "a strong oracle" in text and "wrong first two bytes: alert decrypt_error" in text
    assert "弱预言机" in describe(weak, "zh_CN").detail


@pytest.mark.parametrize("verdict", [None, "not vulnerable", "inconclusive", "not applicable"])
def test_no_finding_unless_vulnerable(verdict: str | None) -> None:
    assert "vuln.robot" not in {f.id for f in tls_findings(_robot(verdict))}


def test_the_json_document_carries_robot_and_validates() -> None:
    deep = _robot("vulnerable", "weak")
    target = Target("smtp", "mx.example", 25, "127.0.0.1")
    result = ScanResult(target, "127.0.0.1", "TLSv1.2", "AES128-SHA", None, (),
                        tuple(tls_findings(deep)), True, deep=deep)  # fmt: skip
    doc = json.loads(render_scan([result], "en"))
    jsonschema.validate(doc, SCHEMA)
    tls = doc["results"][0]["tls"]
    assert (tls["robot"], tls["robot_oracle"]) == ("vulnerable", "weak")
    assert tls["robot_evidence"] == list(EVIDENCE)
    assert tls["robot_connections"] == 10
    tls["robot_connections"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
