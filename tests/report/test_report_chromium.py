"""The report rendered by a real headless Chromium (the Debian package): it loads without
console errors, shows every target, draws its charts, prints to PDF, and runs nothing
that a hostile document put in it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mailtls.cli.browser import print_pdf, run
from support.report import mailtls, pixels

RED = (0xB3, 0x00, 0x1B)  # expired / critical, svg.EXPIRED
GREEN = (0x2A, 0x9D, 0x4B)


def console(stderr: str) -> list[str]:
    """The page's console messages, as Chromium logs them with --enable-logging=stderr."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def load(page: Path, *extra: str) -> tuple[str, list[str]]:
    done = run(page, "--enable-logging=stderr", "--v=0", "--dump-dom", *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, console(done.stderr)


@pytest.fixture(scope="module")
def page(scan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    p = mailtls("report", str(scan_file), "--html", str(out))
    assert p.returncode == 0, p.stderr
    return out


def test_loads_without_console_messages_and_shows_every_target(
        chromium: str, page: Path, scan_doc: dict[str, Any]) -> None:
    dom, messages = load(page)
    assert messages == []
    assert "<svg" in dom and "Expiry timeline" in dom
    for r in scan_doc["results"]:
        assert f'id="ep-{re.sub(r"[^0-9A-Za-z]", "-", r["target"] + "-" + r["address"])}"' in dom
        assert dom.count(r["target"]) >= 3  # overview, chart row, details


def test_a_console_error_would_be_seen(chromium: str, tmp_path: Path) -> None:
    """The check above can fail: a page that logs is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>console.error('boom')</script></body></html>")
    _, messages = load(bad)
    assert any("boom" in m for m in messages)


def test_screenshot_shows_the_charts(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    run(page, f"--screenshot={shot}", "--window-size=1000,1300")
    colours = pixels(shot.read_bytes())
    assert len(colours) > 50  # not one colour: text, tables, bars
    assert RED in colours and GREEN in colours  # the state bar and the expiry bars
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    run(blank, f"--screenshot={shot}", "--window-size=400,300")
    assert len(pixels(shot.read_bytes())) == 1  # the measure tells a blank page apart


def test_pdf_through_the_cli(chromium: str, scan_file: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    p = mailtls("report", str(scan_file), "--pdf", str(pdf), "--lang", "zh_CN")
    assert p.returncode == 0, p.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 20_000
    assert p.stdout == ""  # with --pdf and no --html nothing goes to stdout


def test_print_pdf_names_a_failing_chromium(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>")
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'it broke' >&2\nexit 7\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match=r"wrote no PDF \(exit 7: it broke"):
        print_pdf(page, tmp_path / "out.pdf", binary=str(fake))


HOSTILE = ("<script>console.log('pwned-script')</script>"
           "<img src=x onerror=\"console.log('pwned-img')\">")


def test_hostile_document_runs_nothing(chromium: str, scan_doc: dict[str, Any],
                                       tmp_path: Path) -> None:
    doc = json.loads(json.dumps(scan_doc))
    r = doc["results"][0]
    r["target"] = r["host"] = "evil" + HOSTILE
    r["certificate"]["subject"] = r["certificate"]["issuer"] = HOSTILE
    f = r["findings"][0]
    f["id"] = "evil.unknown"  # an id this mailtls does not know: its own sentences are shown
    f["title"] = f["detail"] = f["remediation"] = HOSTILE
    f["references"] = ["javascript:console.log('pwned-link')", HOSTILE]
    doc["errors"] = [HOSTILE]
    src = tmp_path / "evil.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "evil.html"
    p = mailtls("report", str(src), "--html", str(out))
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "<script" not in text and "<img" not in text and 'href="javascript' not in text
    dom, messages = load(out)
    assert not any("pwned" in m for m in messages), messages
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;console.log('pwned-script')&lt;/script&gt;" in dom  # shown as text


def test_save_screenshot_for_docs(chromium: str, page: Path, tmp_path: Path) -> None:
    """Refreshes docs/report-screenshot.png when MAILTLS_UPDATE_SCREENSHOT is set."""
    import os

    if not os.environ.get("MAILTLS_UPDATE_SCREENSHOT"):
        pytest.skip("set MAILTLS_UPDATE_SCREENSHOT=1 to refresh docs/report-screenshot.png")
    shot = tmp_path / "shot.png"
    run(page, f"--screenshot={shot}", "--window-size=1100,1500")
    shutil.copy(shot, Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png")
