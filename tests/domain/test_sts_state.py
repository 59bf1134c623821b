"""MTA-STS id changes between runs (--state): a changed policy under the same id is reported,
an id changed without the policy is a note, and the state file is checked and rewritten."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from knotlab import DomainLab

from mailtls.domain import sts_state
from mailtls.domain.evaluate import DomainReport, StsFacts
from mailtls.domain.mtasts import Policy, StsRecord, TlsRpt


def report(record_id: str | None, policy: Policy | None, domain: str = "d.test") -> DomainReport:
    sts = StsFacts(StsRecord(record_id is not None, record_id), policy)
    return DomainReport(domain, "authenticated", "secure", (), sts, TlsRpt(False), ())


ENFORCE = Policy("enforce", 604800, ("mx1.d.test",))
NEW_MX = Policy("enforce", 604800, ("mx1.d.test", "mx2.d.test"))


def run(*reports: DomainReport, state: dict | None = None) -> tuple[list[set[str]], dict]:
    out, new = sts_state.compare(list(reports), state or {})
    return [{f.id for f in r.findings} for r in out], new


def test_first_run_remembers_without_findings() -> None:
    ids, state = run(report("20240101", ENFORCE))
    assert ids == [set()]
    assert state == {"d.test": {"id": "20240101", "mode": "enforce", "max_age": 604800,
                                "mx": ["mx1.d.test"]}}


def test_policy_changed_under_the_same_id() -> None:
    _, state = run(report("20240101", ENFORCE))
    ids, state2 = run(report("20240101", NEW_MX), state=state)
    assert ids == [{"mtasts.id_unchanged"}]
    assert state2["d.test"]["mx"] == ["mx1.d.test", "mx2.d.test"]
    out, _ = sts_state.compare([report("20240101", NEW_MX)], state)
    (f,) = out[0].findings
    assert f.params["changed"] == "mx" and f.severity.label == "medium"
    ids, _ = run(report("20240101", Policy("testing", 604800, ("mx1.d.test",))), state=state)
    assert ids == [{"mtasts.id_unchanged"}]


def test_id_changed_without_the_policy_is_a_note() -> None:
    _, state = run(report("20240101", ENFORCE))
    ids, _ = run(report("20240202", Policy("enforce", 604800, ("mx1.d.test",))), state=state)
    assert ids == [{"mtasts.id_changed_only"}]
    ids, _ = run(report("20240202", NEW_MX), state=state)  # both changed: as it should be
    assert ids == [set()]
    ids, _ = run(report("20240101", ENFORCE), state=state)  # nothing changed
    assert ids == [set()]


def test_a_failed_fetch_keeps_the_previous_entry() -> None:
    _, state = run(report("20240101", ENFORCE))
    ids, state2 = run(report("20240101", None), report("1", ENFORCE, "e.test"), state=state)
    assert ids == [set(), set()]
    assert state2["d.test"] == state["d.test"] and "e.test" in state2


def test_state_text_round_trip_and_bad_files() -> None:
    _, state = run(report("20240101", ENFORCE))
    assert sts_state.parse_state(sts_state.render_state(state)) == state
    assert sts_state.parse_state("") == {}
    for bad in ("{", "[]", '{"schema": 2, "domains": {}}', '{"schema": 1, "domains": []}',
                '{"schema": 1, "domains": {"d.test": 5}}'):
        with pytest.raises(sts_state.StateError):
            sts_state.parse_state(bad)


@pytest.mark.parametrize("content", [b"not json", b"\xff\xfe", b'{"schema": 7}'])
def test_cli_names_a_bad_state_file_before_any_query(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "mailtls", "domain", "--resolver",
                           "127.0.0.1:9", "--timeout", "0.5", "--state", str(state), "d.test"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 66, done.stderr
    assert "--state" in done.stderr and str(state) in done.stderr
    assert "Traceback" not in done.stderr
    assert state.read_bytes() == content  # not overwritten


@pytest.mark.servers
def test_real_lab_policy_changed_under_the_same_id(domain_lab: DomainLab,
                                                    tmp_path: Path) -> None:
    """sts.test serves mx: mx.sts.test under id 20240101; the last run saw another mx."""
    state = tmp_path / "state.json"
    before = {"sts.test": {"id": "20240101", "mode": "enforce", "max_age": 604800,
                           "mx": ["mx-old.sts.test"]}}
    state.write_text(sts_state.render_state(before))
    done = subprocess.run([sys.executable, "-m", "mailtls", "domain", *domain_lab.args(),
                           "--json", "--state", str(state), "sts.test"],
                          capture_output=True, text=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    doc = json.loads(done.stdout)
    (f,) = [f for f in doc["findings"] if f["id"] == "mtasts.id_unchanged"]
    assert "mx" in f["detail"] and "20240101" in f["detail"]
    assert done.returncode == 1 and doc["verdict"] == "authenticated"
    after = sts_state.parse_state(state.read_text())
    assert after["sts.test"]["mx"] == ["mx.sts.test"]
    again = subprocess.run([sys.executable, "-m", "mailtls", "domain", *domain_lab.args(),
                            "--json", "--state", str(state), "sts.test"],
                           capture_output=True, text=True, timeout=120, check=False,
                           stdin=subprocess.DEVNULL)
    assert "mtasts.id_unchanged" not in again.stdout and again.returncode == 0
