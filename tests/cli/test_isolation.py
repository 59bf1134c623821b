"""Failure isolation: whatever one target (or one configuration) raises stays its own finding.

The command runs in-process through cli.exits.run (the contract main() applies), with one
layer monkeypatched to raise for one target only; the other target must be reported as usual.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import mailtls.cli.audit
import mailtls.cli.render
import mailtls.export.json
import mailtls.scan
from mailtls.cli.exits import run
from mailtls.cli.main import cli
from mailtls.lab.servers import Lab

SCHEMAS = Path(__file__).parents[2] / "src/mailtls/schemas"
CRASH_HOST = "crash.test"


def endpoint(lab: Lab, name: str) -> str:
    return next(e.url for e in lab.endpoints if e.name == name)


def scan_args(lab: Lab, *more: str) -> list[str]:
    """The good lab endpoint, and the same server named crash.test (through --resolve)."""
    port = endpoint(lab, "good").rsplit(":", 1)[1]
    return ["scan", "--ca-file", str(lab.ca_file), "--resolve", f"{CRASH_HOST}:{port}:127.0.0.1",
            endpoint(lab, "good"), f"smtp://{CRASH_HOST}:{port}", *more]  # fmt: skip


def raising_for(host_of: Callable[..., str], real: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if host_of(*args, **kwargs) == CRASH_HOST:
            raise ValueError("invalid domain name")
        return real(*args, **kwargs)

    return wrapper


def invoke(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = run(cli, args)
    out, err = capsys.readouterr()
    return status, out, err


def by_host(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {r["host"]: [f["id"] for f in r["findings"]] for r in doc["results"]}


@pytest.fixture
def diagnosis_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks and diagnosis of one observation (what scan calls) raise for crash.test."""
    real = mailtls.scan.evaluate
    monkeypatch.setattr(mailtls.scan, "evaluate", raising_for(lambda o, *a: o.target.host, real))


@pytest.mark.usefixtures("diagnosis_raises")
def test_diagnosis_that_raises_loses_only_its_target_json(
    lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = invoke(scan_args(lab, "--json"), capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads((SCHEMAS / "scan-1.json").read_text()))
    assert by_host(doc) == {"localhost": ["cert.verified"], CRASH_HOST: ["scan.internal_error"]}
    crash = doc["results"][1]
    assert crash["tested"] is False
    f = crash["findings"][0]
    assert f["severity"] == "critical" and f["primary"] is True
    assert "ValueError: invalid domain name" in f["detail"] and "report" in f["remediation"]
    assert status == 3  # could not be tested, not "critical finding" (2)
    assert "Traceback" not in err


@pytest.mark.usefixtures("diagnosis_raises")
def test_diagnosis_that_raises_loses_only_its_target_text(
    lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = invoke(scan_args(lab), capsys)
    assert status == 3 and "Traceback" not in out + err
    assert "cert.verified" in out or "OK" in out
    assert "Internal error in mailtls" in out and "ValueError: invalid domain name" in out
    status, out, _ = invoke(scan_args(lab, "--lang", "zh_CN"), capsys)
    assert "mailtls 内部错误" in out and status == 3


@pytest.mark.usefixtures("diagnosis_raises")
def test_a_critical_elsewhere_still_gives_2(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = invoke([*scan_args(lab), endpoint(lab, "expired")], capsys)
    assert status == 2


def test_probe_that_raises(
    lab: Lab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = mailtls.scan.probe
    monkeypatch.setattr(mailtls.scan, "probe", raising_for(lambda t, **k: t.host, real))
    status, out, _ = invoke(scan_args(lab, "--json"), capsys)
    doc = json.loads(out)
    assert by_host(doc) == {"localhost": ["cert.verified"], CRASH_HOST: ["scan.internal_error"]}
    assert "probing the server" in doc["results"][1]["findings"][0]["detail"]
    assert status == 3


def test_grading_that_raises_keeps_the_diagnosis(
    lab: Lab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = mailtls.scan.with_grade
    monkeypatch.setattr(mailtls.scan, "with_grade", raising_for(lambda r, o: r.target.host, real))
    status, out, _ = invoke(scan_args(lab, "--json", "--policy", "mozilla-intermediate"), capsys)
    doc = json.loads(out)
    # the diagnosis stays (crash.test is not in the lab certificate), the grade is missing
    assert by_host(doc)[CRASH_HOST] == ["cert.hostname_mismatch", "scan.internal_error"]
    assert doc["results"][0]["grade"]["letter"] and "grade" not in doc["results"][1]
    assert status == 2  # the mismatch is a real critical finding


def test_json_rendering_that_raises(
    lab: Lab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = mailtls.export.json.result_dict

    def flaky(r: mailtls.scan.ScanResult, lang: str = "en") -> dict[str, Any]:
        if r.target.host == CRASH_HOST and r.certificate is not None:
            raise KeyError("subject")
        return real(r, lang)

    monkeypatch.setattr(mailtls.export.json, "result_dict", flaky)
    status, out, _ = invoke(scan_args(lab, "--json"), capsys)
    doc = json.loads(out)
    assert by_host(doc) == {"localhost": ["cert.verified"], CRASH_HOST: ["scan.internal_error"]}
    assert "preparing the report" in doc["results"][1]["findings"][0]["detail"]
    assert status == 2  # the diagnosis (a host name mismatch) stands; only its display failed


def test_text_rendering_that_raises(
    lab: Lab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = mailtls.cli.render._headline

    def flaky(r: mailtls.scan.ScanResult) -> Any:
        if r.target.host == CRASH_HOST and r.certificate is not None:
            raise KeyError("subject")
        return real(r)

    monkeypatch.setattr(mailtls.cli.render, "_headline", flaky)
    status, out, err = invoke(scan_args(lab), capsys)
    assert "Traceback" not in out + err
    assert f"smtp://{CRASH_HOST}" in out and "KeyError" in out
    assert endpoint(lab, "good") in out
    assert status == 2  # the diagnosis (a host name mismatch) stands; only its display failed


def test_audit_one_configuration_raises_the_other_is_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.cf").write_text("smtpd_tls_security_level = may\n")
    conf = tmp_path / "dovecot.conf"
    conf.write_text("ssl = required\nssl_min_protocol = TLSv1.1\n")

    def boom(*args: Any) -> list[Any]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(mailtls.cli.audit, "audit_postfix", boom)
    args = ["audit-config", "--postfix", str(tmp_path), "--dovecot", str(conf), "--json"]
    status, out, err = invoke(args, capsys)
    doc = json.loads(out)
    jsonschema.validate(doc, json.loads((SCHEMAS / "audit-1.json").read_text()))
    ids = {(f["id"], Path(f["file"]).name) for f in doc["findings"]}
    assert ("scan.internal_error", "main.cf") in ids
    assert ("dovecot.legacy_protocols", "dovecot.conf") in ids  # the other one, audited
    assert not any(f["id"].startswith("postfix.") for f in doc["findings"])
    assert doc["complete"] is False and status == 3 and "Traceback" not in err
