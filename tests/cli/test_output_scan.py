"""Scan output for machines (a pipe: one record per line) and for people (a narrow terminal).

Results come from real scans of the lab; rendering goes to a rich Console writing into a
string, as a pipe (not a terminal) or as a terminal of a given width.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from collections.abc import Sequence

import pytest
from rich.console import Console

from mailtls.cli.deep_view import render_deep
from mailtls.cli.render import render_details, render_notes, render_summary, render_table
from mailtls.lab.servers import Lab
from mailtls.model import DeepObservation, ScanResult, Severity
from mailtls.scan import ScanOptions, scan
from mailtls.targets import parse_target
from mailtls.verify import TrustStore

NAMES = ("good", "expired", "hostname", "untrusted", "no-starttls", "expires-soon")


@pytest.fixture(scope="module")
def results(lab: Lab) -> list[ScanResult]:
    """The lab's endpoints, plus one of them as submission:// (a long URL with its port)."""
    chosen = [e for e in lab.endpoints if e.name in NAMES]
    urls = [e.url for e in chosen]
    expired = next(e for e in chosen if e.name == "expired")
    urls.append(f"submission://localhost:{expired.port}")
    store = TrustStore.build("mozilla", [lab.ca_file])
    return asyncio.run(scan([parse_target(u) for u in urls], ScanOptions(store=store)))


def render(results: Sequence[ScanResult], lang: str, *, width: int | None = None,
           deep: bool = False) -> str:
    """The scan's text view: a pipe when width is None, else a terminal that wide."""
    out = io.StringIO()
    if width is None:
        console = Console(file=out, width=80, force_terminal=False)
    else:
        console = Console(file=out, width=width, force_terminal=True, color_system=None)
    render_table(results, console, lang)
    if deep:
        render_deep(results, console, lang)
    render_details(results, console, lang)
    render_notes([], console, lang)
    render_summary(results, console, lang)
    return out.getvalue()


WORDS = {
    "en": {Severity.INFO: "OK", Severity.CRITICAL: "critical", Severity.HIGH: "high",
           Severity.MEDIUM: "medium"},
    "zh_CN": {Severity.INFO: "正常", Severity.CRITICAL: "严重", Severity.HIGH: "高",
              Severity.MEDIUM: "中"},
}
RECORD = re.compile(r"^(?P<target>\S+://\S+) (?P<severity>\S+) (?P<id>[a-z0-9_.]+) (?P<title>.+)$")


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_pipe_one_record_per_finding_that_grep_finds(results: list[ScanResult], lang: str) -> None:
    text = render(results, lang)
    lines = text.splitlines()
    assert all(line == line.rstrip() for line in lines), "trailing spaces in a pipe"
    records = [m.groupdict() for line in lines if (m := RECORD.match(line))]
    for r in results:
        for f in r.findings:
            if f.severity <= Severity.INFO and not f.primary:
                continue
            hits = [x for x in records if x["target"] == r.target.url and x["id"] == f.id]
            assert len(hits) == 1, (r.target.url, f.id, text)
    expired = [x for x in records if x["id"] == "cert.expired"]
    assert {x["target"].split("://")[0] for x in expired} == {"smtp", "submission"}
    assert all(x["severity"] == ("严重" if lang == "zh_CN" else "critical") for x in expired)


def test_pipe_details_follow_their_record_indented_and_unwrapped(
    results: list[ScanResult],
) -> None:
    lines = render(results, "en").splitlines()
    at = next(i for i, line in enumerate(lines) if " cert.expired " in line)
    details = []
    for line in lines[at + 1:]:
        if not line.startswith("    "):
            break
        details.append(line.strip())
    assert any(d.startswith("The server certificate") and d.endswith("ago).") for d in details)
    assert any(d.startswith("Fix: Renew the certificate") and d.endswith("retired.")
               for d in details)
    assert max(len(line) for line in lines) > 80  # a long sentence stays one line


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("width", [60, 72])
def test_narrow_terminal_keeps_target_and_verdict_whole(
    results: list[ScanResult], lang: str, width: int
) -> None:
    text = render(results, lang, width=width)
    assert "…" not in text
    for r in results:
        worst = r.worst if r.worst is not None else Severity.INFO
        word = WORDS[lang][worst]
        line = next((x for x in text.splitlines()
                     if r.target.url in x and re.search(rf"\s{word}(\s|$)", x)), None)  # fmt: skip
        assert line is not None, f"{r.target.url} {word} not whole at {width} columns:\n{text}"
    assert all(_cells(line) <= width for line in text.splitlines())


def _cells(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


def test_terminal_narrower_than_the_table_puts_each_endpoint_on_two_lines(
    results: list[ScanResult],
) -> None:
    text = render(results, "zh_CN", width=36)
    lines = text.splitlines()
    for r in results:
        at = next(i for i, line in enumerate(lines) if line.startswith(r.target.url + "  "))
        assert WORDS["zh_CN"][r.worst or Severity.INFO] in lines[at]
        assert lines[at + 1].startswith("  ")
    assert "…" not in text


def test_wide_terminal_shows_every_column(results: list[ScanResult]) -> None:
    text = render(results, "en", width=140)
    header = next(line for line in text.splitlines() if "Target" in line)
    for column in ("Address", "TLS", "Severity", "Verdict", "Expires"):
        assert column in header


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "1 endpoint scanned, 1 critical"), ("zh_CN", "已扫描 1 个端点，1 严重")],
)
def test_summary_plural_and_words(results: list[ScanResult], lang: str, expected: str) -> None:
    expired = [r for r in results if r.worst is Severity.CRITICAL][:1]
    assert expected in render(expired, lang)
    good = [r for r in results if r.worst is Severity.INFO][:1]
    word = "OK" if lang == "en" else "正常"
    assert f"1 {word}" in render(good, lang).splitlines()[-1]
    assert f" {word} " in render(good, lang, width=100)  # the table says the same word


def _with_deep(result: ScanResult, **fields: object) -> ScanResult:
    deep = DeepObservation(**fields)  # type: ignore[arg-type]
    return dataclasses.replace(result, deep=deep)


@pytest.mark.parametrize(("lang", "word"), [("en", "not applicable"), ("zh_CN", "不适用")])
def test_fallback_protection_not_applicable_with_one_version(
    results: list[ScanResult], lang: str, word: str
) -> None:
    one = _with_deep(results[0], protocols={"TLSv1.3": True, "TLSv1.2": False})
    two = _with_deep(results[0], protocols={"TLSv1.3": True, "TLSv1.2": True})
    line = next(x for x in render([one], lang, deep=True).splitlines() if "FALLBACK" in x)
    assert word in line
    line = next(x for x in render([two], lang, deep=True).splitlines() if "FALLBACK" in x)
    assert word not in line


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_deep_view_legend_explains_its_symbols(results: list[ScanResult], lang: str) -> None:
    deep = _with_deep(results[0], protocols={"TLSv1.3": True}, starttls_seen=(True, True),
                      dh_bits=1024)
    text = render([deep], lang, deep=True)
    legend = next(x for x in text.splitlines() if x.startswith(("Legend", "图例")))
    for symbol in ("+", "~", "!", "!!", "(N)", "X/Y"):
        assert symbol in legend
    assert ("1024 bits" if lang == "en" else "1024 位") in text
    assert "2/2" in text


def test_deep_pipe_lines_are_label_value_pairs(results: list[ScanResult]) -> None:
    deep = _with_deep(results[0], protocols={"TLSv1.3": True}, heartbleed="not vulnerable")
    lines = render([deep], "zh_CN", deep=True).splitlines()
    assert "    Heartbleed（CVE-2014-0160）：无漏洞" in lines
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize(
    ("lang", "vulnerable", "sound"),
    [("en", "ROBOT (RSA padding oracle): vulnerable (strong oracle)",
      "ROBOT (RSA padding oracle): not vulnerable"),
     ("zh_CN", "ROBOT（RSA 填充预言机）：存在漏洞（强预言机）", "ROBOT（RSA 填充预言机）：无漏洞")],
)  # fmt: skip
def test_deep_view_shows_robot(results: list[ScanResult], lang: str, vulnerable: str,
                               sound: str) -> None:  # fmt: skip
    bad = _with_deep(results[0], protocols={"TLSv1.2": True}, robot="vulnerable",
                     robot_oracle="strong")  # fmt: skip
    assert "    " + vulnerable in render([bad], lang, deep=True).splitlines()
    good = _with_deep(results[0], protocols={"TLSv1.2": True}, robot="not vulnerable")
    assert "    " + sound in render([good], lang, deep=True).splitlines()
