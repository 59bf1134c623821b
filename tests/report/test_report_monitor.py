"""mailtls report on a real ``mailtls monitor run --json`` pass over the built-in lab, and
the expiry chart's month labels inside the chart."""

from __future__ import annotations

import datetime as dt
import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mailtls.catalog import entry, tr
from mailtls.export.svg import CHAR_WIDTH, Expiry, expiry_chart
from mailtls.lab.servers import Lab
from support.report import mailtls


@pytest.fixture(scope="module")
def pass_file(report_lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One monitor pass over every lab endpoint, trusting the lab's CA only."""
    base = tmp_path_factory.mktemp("monitor-pass")
    targets = [line for line in report_lab.targets_file.read_text().splitlines()
               if line and not line.startswith("#")]
    entries = "".join(f'[[endpoint]]\ntarget = "{t}"\nca_file = ["{report_lab.ca_file}"]\n'
                      for t in targets)
    inventory = base / "inventory.toml"
    inventory.write_text('[scan]\ntrust = "none"\ntimeout = 10\n'
                         "[notify]\nstdout = false\n" + entries)
    p = mailtls("monitor", "run", "-i", str(inventory), "--json")
    assert p.returncode == 2, p.stderr  # expired certificates: critical alerts
    path = base / "pass.json"
    path.write_text(p.stdout)
    return path


@pytest.fixture(scope="module")
def pass_doc(pass_file: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(pass_file.read_text())
    return doc


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start:page.index("</section>", start)]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_report_of_a_monitor_pass_shows_its_alerts_and_every_target(
        pass_file: Path, pass_doc: dict[str, Any], report_lab: Lab, tmp_path: Path,
        lang: str) -> None:
    out = tmp_path / "pass.html"
    p = mailtls("report", str(pass_file), "--html", str(out), "--lang", lang)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    page = out.read_text()
    results = pass_doc["results"]
    assert len(results) == len(report_lab.endpoints)
    overview = _section(page, "endpoints")
    for r in results:
        assert f">{html.escape(r['target'])}</a>" in overview, r["target"]
    alerts = pass_doc["monitor"]["alerts"]
    ids = {a["id"] for a in alerts}
    assert {"cert.expired", "cert.expires_soon"} <= ids  # the lab's expired and expiring
    changes = _section(page, "changes")
    rows = changes.split("<tr>")[2:]  # after the table's head
    assert len(rows) == len(alerts)
    for row, a in zip(rows, alerts, strict=True):
        assert f"<td>{html.escape(a['endpoint'])}</td>" in row
        assert html.escape(tr(entry(a["id"]).title, lang)) in row
        assert f"sev-{a['severity']}" in row
    none = tr("Nothing changed in the period.", lang)
    assert html.escape(none) not in changes


def test_report_of_a_quiet_pass_says_nothing_changed(pass_doc: dict[str, Any],
                                                     tmp_path: Path) -> None:
    doc = json.loads(json.dumps(pass_doc))
    doc["monitor"]["alerts"] = []
    src = tmp_path / "quiet.json"
    src.write_text(json.dumps(doc))
    p = mailtls("report", str(src))
    assert p.returncode == 0, p.stderr
    assert "Nothing changed in the period." in _section(p.stdout, "changes")


def test_a_bad_alert_is_named(pass_doc: dict[str, Any], tmp_path: Path) -> None:
    doc = json.loads(json.dumps(pass_doc))
    del doc["monitor"]["alerts"][1]["endpoint"]
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(doc))
    p = mailtls("report", str(src))
    assert p.returncode == 64 and "monitor.alerts[1]: 'endpoint' is missing" in p.stderr


def _label_extents(svg: str) -> tuple[float, list[tuple[str, float, float]]]:
    root = ET.fromstring(svg)
    width = float(root.attrib["viewBox"].split()[2])
    out = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        classes = t.attrib.get("class", "").split()
        if "ticklabel" not in classes:
            continue
        text, x = t.text or "", float(t.attrib["x"])
        w = len(text) * CHAR_WIDTH
        lo = x - w if "end" in classes else x - w / 2
        out.append((text, lo, lo + w))
    return width, out


def test_the_last_month_label_stays_inside_the_chart() -> None:
    """The latest expiry at a month's start put its label on the right edge: "2028-0"."""
    as_of = dt.datetime(2027, 9, 1, tzinfo=dt.UTC)
    items = [Expiry("smtp://a", dt.datetime(2028, 1, 1, 6, tzinfo=dt.UTC), "a"),
             Expiry("smtp://b", dt.datetime(2027, 11, 20, tzinfo=dt.UTC), "b")]
    width, labels = _label_extents(str(expiry_chart(items, as_of, "today")))
    texts = [text for text, _, _ in labels]
    assert texts[-1] == "2028-01" and "2027-10" in texts
    for text, lo, hi in labels:
        assert lo >= 0 and hi <= width, (text, lo, hi, width)
    # centred labels away from the edge stay centred under their tick
    _, middle = _label_extents(str(expiry_chart(items[1:], as_of, "today")))
    assert all(hi - lo == pytest.approx(7 * CHAR_WIDTH) for _, lo, hi in middle)
