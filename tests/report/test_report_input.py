"""mailtls report: bad input named, history changes, commands quoted, words translated."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from mailtls.catalog import PARTS, tr
from mailtls.export.commands import mailtls_command, openssl_command
from mailtls.export.html import render_report
from mailtls.export.report_data import ReportInputError, Row, from_document
from mailtls.model import Severity
from mailtls.store import HistoryStore, ObservationRecord
from support.report import mailtls

SRC = Path(__file__).resolve().parents[2] / "src" / "mailtls"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["results"][2].__setitem__("port", "25"), "results[2].port: expected an integer"),
    (lambda d: d.__setitem__("schema", 7), "schema 7"),
    (lambda d: d["results"][0]["findings"][0].__setitem__("severity", "dire"),
     "results[0].findings[0].severity: unknown severity 'dire'"),
    (lambda d: d.pop("results"), "'results' is missing"),
])
def test_bad_documents_are_named(scan_doc: dict[str, Any], change: Any, message: str) -> None:
    doc = json.loads(json.dumps(scan_doc))
    change(doc)
    with pytest.raises(ReportInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        from_document(doc, "x.json")


def test_cli_exit_statuses(tmp_path: Path, scan_file: Path) -> None:
    p = mailtls("report", str(tmp_path / "none.json"))
    assert p.returncode == 66 and "none.json: cannot read it" in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{\"schema\": 1,")
    p = mailtls("report", str(bad))
    assert p.returncode == 64 and "not JSON (line 1" in p.stderr and "Traceback" not in p.stderr
    p = mailtls("report")
    assert p.returncode == 64
    p = mailtls("report", str(scan_file), "--pdf", str(tmp_path / "x.pdf"),
                "--html", str(tmp_path / "x.html"), env={"MAILTLS_CHROMIUM": "/nonexistent"})
    assert p.returncode == 3 and "--pdf needs a headless Chromium" in p.stderr
    assert "x.html" in p.stderr and (tmp_path / "x.html").is_file()
    p = mailtls("report", "--history", str(tmp_path / "no.sqlite"))
    assert p.returncode == 66 and "no such history database" in p.stderr


def test_stdout_and_chinese(scan_file: Path) -> None:
    p = mailtls("report", str(scan_file), "--lang", "zh_CN")
    assert p.returncode == 0 and p.stdout.startswith("<!DOCTYPE html>")
    assert tr("TLS audit report of the mail servers", "zh_CN") in p.stdout
    assert "证书已过期" in p.stdout  # cert.expired's title, from the catalogue, in Chinese
    assert 'lang="zh-CN"' in p.stdout


def test_commands_are_quoted() -> None:
    row = Row("smtp://mx.example:25", "smtp", "mx.example;rm -rf ~", 25, "192.0.2.1", True,
              False)
    assert "'mx.example;rm -rf ~:25:192.0.2.1'" in mailtls_command(row)
    cmd = openssl_command(row)
    assert cmd.startswith("openssl s_client -connect 192.0.2.1:25 -starttls smtp -servername")
    assert "'mx.example;rm -rf ~'" in cmd
    v6 = Row("imaps://[::1]:993", "imaps", "::1", 993, "::1", True, True)
    assert openssl_command(v6).startswith("openssl s_client -connect '[::1]:993' -verify_ip")


def _obs(at: dt.datetime, leaf: str, spki: str, issuer: str, verified: bool = True,
         findings: tuple[tuple[str, Severity], ...] = ()) -> ObservationRecord:
    return ObservationRecord(
        "smtp://mx.test:25", "smtp", "mx.test", 25, "127.0.0.1", at, True, verified,
        leaf_sha256=leaf, spki_sha256=spki, subject="CN=mx.test", issuer=issuer,
        not_after=at + dt.timedelta(days=60), tls_version="TLSv1.3",
        findings=findings or (("cert.verified", Severity.INFO),))


def test_history_report(tmp_path: Path) -> None:
    """A real history (the store's public API): renewal, new issuer, regression, restore."""
    db = tmp_path / "h.sqlite"
    store = HistoryStore.open(str(db))
    expired = (("cert.expired", Severity.CRITICAL),)
    for day, (leaf, spki, issuer, ok, found) in enumerate([
        ("a" * 64, "K1", "CN=CA one", True, ()),       # before the period: the reference
        ("b" * 64, "K1", "CN=CA one", True, ()),       # renewal, same key
        ("c" * 64, "K2", "CN=Other CA", True, ()),     # new issuer
        ("c" * 64, "K2", "CN=Other CA", False, expired),  # verification lost
        ("d" * 64, "K3", "CN=Other CA", True, ()),     # new key, verification back
    ]):
        at = T0 + dt.timedelta(days=30 * day)
        pid = store.start_pass(at)
        store.add_observation(pid, _obs(at, leaf, spki, issuer, ok, found))
        store.finish_pass(pid, at, 1)
    store.close()
    out = tmp_path / "h.html"
    p = mailtls("report", "--history", str(db), "--since", "2026-01-15",
                "--until", "2026-05-02", "--html", str(out))
    assert p.returncode == 0, p.stderr
    page = out.read_text()
    for words in ("renewal with the same key", "new issuer", "Certificate no longer verifies",
                  "verification restored", "new key from the same issuer", "Certificate expired"):
        assert words in page, words
    assert "Passes</th><td class=\"num\">4" in page
    assert page.index("renewal with the same key") < page.index("verification restored")


def test_report_words_are_in_the_catalogue() -> None:
    """Every literal handed to tr() by the report's and explain's modules is a msgid."""
    known = {s for p in PARTS for s in p.ui_strings}
    files = [SRC / "export" / n for n in ("html.py", "guide.py")] + [
        SRC / "cli" / n for n in ("report.py", "explain.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("tr", "_t")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                assert node.args[0].value in known, (path.name, node.args[0].value)


def test_unknown_finding_keeps_its_own_sentences(scan_doc: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(scan_doc))
    f = doc["results"][0]["findings"][0]
    f.update(id="future.check", title="A future title", remediation="Do the future thing")
    page = render_report(from_document(doc, "x"), "en")
    assert "A future title" in page and "Do the future thing" in page
