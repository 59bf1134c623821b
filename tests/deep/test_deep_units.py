"""Units of scan --deep without a network: group learning, order inference, the rules of
checks/tls.py and checks/mail.py, the JSON document and the terminal view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from mailtls.checks.mail import mail_findings
from mailtls.checks.tls import tls_findings
from mailtls.cli.render import render_deep
from mailtls.export.json import render_scan
from mailtls.model import (
    DeepObservation,
    GradeInfo,
    Observation,
    ProbeFailure,
    ProbeOutcome,
    ScanResult,
    Severity,
    Target,
)
from mailtls.net.deep.groups import TLS13_GROUPS, GroupTracker
from mailtls.net.deep.suites import VersionResult, decide_order, infer_order
from mailtls.proto.tls import NamedGroup as G
from mailtls.proto.tls import ProtocolVersion as V
from mailtls.proto.tls import by_name

SCHEMA = json.loads((Path(__file__).parents[2] / "src/mailtls/schemas/scan-1.json").read_text())
SERVER_GROUPS = [G.X25519, G.SECP256R1, G.FFDHE2048]


def _drive(tracker: GroupTracker, pick_rule: str, rounds: int = 12) -> None:
    """Play a server against the tracker: ``client`` picks the first supported group of
    the list, ``server`` its own favourite among those offered; None offered -> refusal."""
    for _ in range(rounds):
        if tracker.resolved:
            return
        offered = tracker.proposal(safe=False)
        supported = [g for g in offered if g in SERVER_GROUPS]
        if not supported:
            tracker.refused(offered)
            continue
        pick = supported[0] if pick_rule == "client" else min(supported, key=SERVER_GROUPS.index)
        tracker.observe(offered, pick)


@pytest.mark.parametrize("rule", ["client", "server"])
def test_group_tracker_finds_exactly_the_servers_groups(rule: str) -> None:
    tracker = GroupTracker(TLS13_GROUPS)
    _drive(tracker, rule)
    assert tracker.resolved
    assert sorted(tracker.accepted) == sorted(SERVER_GROUPS)
    assert tracker.server_order is (rule == "server")
    if rule == "server":
        assert tracker.ordered() == SERVER_GROUPS


def test_group_tracker_single_group_is_resolved_by_a_refusal() -> None:
    tracker = GroupTracker(TLS13_GROUPS)
    for _ in range(2):
        tracker.observe(tracker.proposal(), int(G.X25519))
    assert tracker.mode == "suspect" and not tracker.resolved
    tracker.refused(tracker.proposal(safe=False))
    assert tracker.resolved and tracker.accepted == [G.X25519] and tracker.server_order is None


def _result(names: list[str], offers: list[list[str]]) -> VersionResult:
    r = VersionResult(V.TLSv1_2, supported=True, complete=True)
    r.accepted = [by_name(n) for n in names]
    r.offers = [tuple(by_name(n).code for n in offer) for offer in offers]
    return r


def test_picks_against_our_order_prove_server_order() -> None:
    all_ = ["AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]
    r = _result(["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA", "AES256-SHA"],
                [all_, all_[:2], all_[1:2]])  # fmt: skip
    assert infer_order(r, None) and r.server_order is True


def test_picks_in_our_order_need_the_reversed_list() -> None:
    all_ = ["AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]
    r = _result(all_, [all_, all_[1:], all_[2:]])
    assert not infer_order(r, None) and r.server_order is None
    decide_order(r, by_name("ECDHE-RSA-AES128-GCM-SHA256"))  # the client's pick: last one
    assert r.server_order is False
    decide_order(r, by_name("AES128-SHA"))
    assert r.server_order is True


def test_older_version_follows_the_best_versions_order() -> None:
    best = _result(["AES128-SHA", "AES256-SHA"], [["AES128-SHA", "AES256-SHA"], ["AES256-SHA"]])
    best.server_order = False
    older = _result(["AES128-SHA", "AES256-SHA"], [["AES128-SHA", "AES256-SHA"], ["AES256-SHA"]])
    assert infer_order(older, best) and older.server_order is False


def _codes(*names: str) -> tuple[int, ...]:
    return tuple(by_name(n).code for n in names)


BAD = DeepObservation(
    protocols={"SSLv2": True, "SSLv3": True, "TLSv1": True, "TLSv1.1": False,
               "TLSv1.2": False, "TLSv1.3": False},
    cipher_suites={"SSLv2": (0x010080,), "SSLv3": _codes("NULL-SHA", "ADH-AES128-SHA",
                   "EXP-RC4-MD5", "RC4-SHA", "DES-CBC3-SHA", "AES128-SHA")},
    server_order={"SSLv3": True},
    dh_bits=512, dh_group=None, compression=True, secure_renegotiation=False,
    client_renegotiation=True, fallback_scsv=False, extended_master_secret=False,
    heartbleed="vulnerable", ccs_injection="vulnerable", starttls_injection="vulnerable",
    starttls_injection_evidence=("250 NOOP answered in TLS",), mail_without_tls=250,
    starttls_seen=(True, False, True), incomplete=True,
    notes=("TLSv1.2 suites: conn.rate_limited (421 too many connections)",),
    outcomes=(ProbeFailure("TLSv1.2 suites", ProbeOutcome.THROTTLED, "conn.rate_limited"),),
)  # fmt: skip


def test_every_tls_rule_fires_on_a_bad_server() -> None:
    ids = {f.id for f in tls_findings(BAD)}
    assert ids == {
        "protocol.sslv2", "protocol.sslv3", "protocol.tls1_0", "protocol.no_tls1_2_or_later",
        "cipher.null", "cipher.anonymous", "cipher.export", "cipher.rc4", "cipher.3des",
        "kex.dh_weak", "vuln.heartbleed", "vuln.ccs_injection", "tls.compression",
        "reneg.insecure", "reneg.client_initiated", "tls.no_fallback_scsv",
        "tls.no_extended_master_secret", "scan.incomplete", "kex.no_forward_secrecy",
    }  # fmt: skip
    by_id = {f.id: f for f in tls_findings(BAD)}
    assert by_id["kex.dh_weak"].severity is Severity.CRITICAL  # below 1024 bits
    assert by_id["kex.no_forward_secrecy"].severity is Severity.MEDIUM  # prefers NULL-SHA
    assert "the server throttled" in by_id["scan.incomplete"].params["reasons"]


@pytest.mark.parametrize(
    ("outcomes", "notes", "throttled"),
    [
        ((ProbeFailure("SSLv2", ProbeOutcome.THROTTLED, "conn.refused"),), (), True),
        ((ProbeFailure("SSLv2", ProbeOutcome.FAILED, "conn.timeout"),), (), False),
        ((ProbeFailure("fallback SCSV", ProbeOutcome.ERROR, "scan.internal_error"),), (), False),
        # words in the notes are for people: a check never reads them
        ((), ("SSLv2: conn.rate_limited (421 refused)",), False),
    ],
)
def test_incomplete_reads_the_outcomes_not_the_notes(
    outcomes: tuple[ProbeFailure, ...], notes: tuple[str, ...], throttled: bool
) -> None:
    deep = DeepObservation(incomplete=True, outcomes=outcomes, notes=notes)
    (finding,) = tls_findings(deep)
    assert finding.id == "scan.incomplete"
    expected = "the server throttled" if throttled else "some probes could not be completed"
    assert expected in finding.params["reasons"]


def test_no_rule_reads_unknown_as_no() -> None:
    assert tls_findings(DeepObservation()) == []
    unknown = DeepObservation(protocols=dict.fromkeys(("SSLv2", "TLSv1.2"), None))
    assert tls_findings(unknown) == []


def test_already_reported_ids_are_not_repeated() -> None:
    ids = [f.id for f in tls_findings(BAD, already=["protocol.no_tls1_2_or_later"])]
    assert "protocol.no_tls1_2_or_later" not in ids


def test_cbc_only_and_no_forward_secrecy() -> None:
    suites = {"TLSv1.2": _codes("AES128-SHA", "AES256-SHA")}
    deep = DeepObservation(protocols={"TLSv1.2": True}, cipher_suites=suites)
    ids = {f.id for f in tls_findings(deep)}
    assert {"cipher.cbc_only", "kex.no_forward_secrecy"} <= ids


def _obs(url: str, caps: tuple[str, ...]) -> Observation:
    scheme, rest = url.split("://")
    host, port = rest.split(":")
    return Observation(Target(scheme, host, int(port)), capabilities=caps, starttls_offered=True)


@pytest.mark.parametrize(
    ("url", "caps", "expected"),
    [
        ("smtp://mx:25", ("AUTH PLAIN LOGIN", "STARTTLS"), {"smtp.auth_before_tls"}),
        ("imap://mx:143", ("IMAP4rev1", "STARTTLS", "AUTH=PLAIN"), {"imap.login_before_tls"}),
        ("imap://mx:143", ("IMAP4rev1", "STARTTLS", "LOGINDISABLED"), set()),
        ("pop3://mx:110", ("USER", "STLS", "SASL PLAIN"), {"pop3.user_before_tls"}),
        ("pop3://mx:110", ("STLS", "SASL GSSAPI"), set()),
    ],
)
def test_login_before_tls(url: str, caps: tuple[str, ...], expected: set[str]) -> None:
    ids = {f.id for f in mail_findings(_obs(url, caps), DeepObservation())}
    assert ids == expected


def test_mail_without_tls_is_info_on_an_mx_and_medium_on_submission() -> None:
    deep = DeepObservation(mail_without_tls=250)
    (mx,) = mail_findings(_obs("smtp://mx:25", ()), deep)
    (sub,) = mail_findings(_obs("submission://mx:587", ()), deep)
    assert mx.id == sub.id == "starttls.not_required"
    assert mx.severity is Severity.INFO and sub.severity is Severity.MEDIUM
    refused = DeepObservation(mail_without_tls=530)
    assert mail_findings(_obs("submission://mx:587", ()), refused) == []


def test_injection_and_intermittent_starttls() -> None:
    ids = {f.id for f in mail_findings(_obs("smtp://mx:25", ()), BAD)}
    assert ids == {"starttls.command_injection", "starttls.not_required", "starttls.intermittent"}


def _result_for(deep: DeepObservation) -> ScanResult:
    target = Target("smtp", "mx.example", 25, "127.0.0.1")
    grade = GradeInfo("C", "mozilla-intermediate", "mx", ())
    return ScanResult(target, "127.0.0.1", "TLSv1", "AES128-SHA", None, (),
                      tuple(tls_findings(deep)), True, deep=deep, grade=grade)  # fmt: skip


def test_json_document_validates_and_names_suites() -> None:
    doc = json.loads(render_scan([_result_for(BAD)], "en"))
    jsonschema.validate(doc, SCHEMA)
    result = doc["results"][0]
    suites = result["tls"]["cipher_suites"]
    assert suites["SSLv3"][0] == {"iana": "TLS_RSA_WITH_NULL_SHA", "code": "0x0002",
                                  "openssl": "NULL-SHA"}  # fmt: skip
    assert suites["SSLv2"][0]["code"] == "0x010080"
    assert result["tls"]["protocols"] == ["SSLv2", "SSLv3", "TLSv1"]
    assert result["grade"]["letter"] == "C" and result["incomplete"] is True
    assert result["outcomes"] == [
        {"probe": "TLSv1.2 suites", "outcome": "throttled", "cause": "conn.rate_limited"}]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_terminal_view_renders(lang: str) -> None:
    console = Console(width=120, record=True)
    render_deep([_result_for(BAD)], console, lang)
    text = console.export_text()
    assert "NULL-SHA" in text and "SSLv3" in text
    assert ("协议" if lang == "zh_CN" else "Protocols") in text


def test_every_failure_id_of_the_runner_is_a_catalogue_id() -> None:
    """Outcome causes are finding ids of the catalogue (issue 9, item 8): the ids the
    runner retries on, the one it names itself, and the one for a probe that raised."""
    from mailtls.catalog import ENTRIES
    from mailtls.net.deep import runner

    assert runner.TRANSIENT | runner.THROTTLING | {runner.INTERNAL_ERROR} <= set(ENTRIES)
    assert runner.THROTTLING <= runner.TRANSIENT
    import inspect

    source = inspect.getsource(runner)
    named = set(re.findall(r'"((?:conn|starttls|tls|scan)\.[a-z_.]+)"', source))
    assert named and named <= set(ENTRIES), named - set(ENTRIES)
