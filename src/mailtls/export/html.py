"""``mailtls report``: one self-contained HTML page from a :class:`Report`.

No script, no font file, no external reference: a Content-Security-Policy in the page
forbids them, the charts are inline SVG, and every word from the document is escaped
(``export/markup.py``). Every sentence comes from the catalogue, in the reader's
language; a finding's sentences are the catalogue's for its id, filled with its params.
"""

from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from collections.abc import Sequence

from .. import __version__
from ..catalog import ENTRIES, PARAM_DEFAULTS, Text, describe, tr
from ..model import Severity
from .commands import commands
from .markup import Markup, el, join
from .page import page
from .report_data import Change, Report, Row, Shown, sorted_rows
from .svg import COLOURS, Expiry, Segment, expiry_chart, state_bar

MAX_ROWS_DRAWN = 60
GRADES = ("A+", "A", "A-", "B", "C", "D", "E", "F", "?")


def _t(msgid: str, lang: str, **params: object) -> str:
    text = tr(msgid, lang)
    return text.format(**params) if params else text


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def text_of(shown: Shown, lang: str) -> Text:
    """The catalogue's sentences for a finding; a detail whose params the finding lacks
    (history keeps ids, not params) is left out rather than shown with holes."""
    f = shown.finding
    entry = ENTRIES.get(f.id)
    if entry is None:
        return Text(shown.title or f.id, shown.detail, shown.remediation, shown.references)
    text = describe(f, lang)
    if _fields(entry.detail) - set(f.params) - set(PARAM_DEFAULTS):
        text = Text(text.title, "", text.remediation, text.references)
    return text


def pair(label: str, value: str, lang: str) -> str:
    """``label: value`` with the language's colon (full width in Chinese)."""
    return tr("{label}: {value}", lang).format(label=label, value=value)


def _kind_word(c: Change, lang: str) -> str:
    if c.kind in ENTRIES and c.finding is not None:
        return text_of(Shown(c.finding), lang).title
    return tr(c.kind, lang)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _day(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def severity_badge(severity: Severity, lang: str) -> Markup:
    word = tr("OK" if severity is Severity.INFO else severity.label, lang)
    return el("span", word, class_=f"badge sev-{severity.label}")


def _anchor(row: Row) -> str:
    return "ep-" + "".join(c if c.isalnum() else "-" for c in f"{row.target}-{row.address}")


def _headline(row: Row, lang: str) -> str:
    if not row.tested and not row.findings:
        return tr("not tested", lang)
    head = max(row.findings, key=lambda s: (s.finding.primary, s.finding.severity), default=None)
    return text_of(head, lang).title if head else "-"


# --- sections ---------------------------------------------------------------------------


def _header(report: Report, lang: str) -> Markup:
    lines = [_t("Generated {time} by mailtls {version}; verdicts as of {as_of}.", lang,
                time=_when(report.generated), version=__version__, as_of=_when(report.as_of)),
             _t("Source: {source}", lang, source=report.source)]
    if report.since is not None:
        lines.append(_t("Period: {since} to {until}", lang, since=_when(report.since),
                        until=_when(report.as_of)))
    return el("header", el("h1", tr("TLS audit report of the mail servers", lang)),
              [el("p", line, class_="meta") for line in lines])


def _state_segments(rows: Sequence[Row], lang: str) -> list[Segment]:
    counts = Counter("untested" if not r.tested else r.worst.label for r in rows)
    order = [s.label for s in sorted(Severity, reverse=True)] + ["untested"]
    words = {s.label: tr("OK" if s is Severity.INFO else s.label, lang) for s in Severity}
    words["untested"] = tr("not tested", lang)
    return [Segment(words[k], counts.get(k, 0), COLOURS[k]) for k in order]


def _fleet(report: Report, lang: str) -> Markup:
    rows = report.rows
    facts = [("Endpoints", len(rows)),
             ("Verified", sum(r.verified for r in rows)),
             ("Not verified", sum(r.tested and not r.verified for r in rows)),
             ("not tested", sum(not r.tested for r in rows))]
    if report.since is not None:
        facts += [("Passes", report.passes), ("Observations", report.observations)]
    table = el("table", [el("tr", el("th", tr(k, lang)), el("td", str(v), class_="num"))
                         for k, v in facts], class_="facts")
    return el("section", el("h2", tr("State of the fleet", lang)), table,
              state_bar(_state_segments(rows, lang)), id="fleet")


def _expiry(report: Report, lang: str) -> Markup:
    items = sorted((r for r in report.rows if r.cert and r.cert.not_after),
                   key=lambda r: (r.cert.not_after, r.target))  # type: ignore[union-attr]
    head = el("h2", tr("Expiry timeline", lang))
    if not items:
        return el("section", head, el("p", tr("No certificate was seen.", lang)), id="expiry")
    seen = Counter(r.target for r in items)
    twice = {t for t, n in seen.items() if n > 1}
    drawn = [Expiry(_label(r, twice), r.cert.not_after, _tip(r, lang))  # type: ignore[union-attr,arg-type]
             for r in items[:MAX_ROWS_DRAWN]]
    chart = expiry_chart(drawn, report.as_of, tr("today", lang))
    legend = el("p", tr("One bar per certificate, from today to its expiry date; red: "
                        "expired, orange: within 30 days, yellow: within 90 days, green: later.",
                        lang), class_="legend")
    more = (el("p", _t("Certificates not drawn (all are in the table below): {count}", lang,
                       count=len(items) - MAX_ROWS_DRAWN))
            if len(items) > MAX_ROWS_DRAWN else None)
    return el("section", head, legend, chart, more, id="expiry")


def _label(row: Row, twice: set[str]) -> str:
    label = f"{row.target} ({row.address})" if row.target in twice else row.target
    return label if len(label) <= 36 else label[:35] + "…"


def _tip(row: Row, lang: str) -> str:
    cert = row.cert
    assert cert is not None
    return pair(row.target, tr(", ", lang).join(
        [pair(tr("Not after", lang), _day(cert.not_after), lang), cert.issuer]), lang)


def _grades(report: Report, lang: str) -> Markup:
    head = el("h2", tr("Grades", lang))
    counts = Counter(r.grade for r in report.rows if r.grade)
    if not counts:
        return el("section", head, el("p", tr(
            "No grades: the scan ran without --deep or --policy.", lang)), id="grades")
    cells = [el("tr", el("th", g), el("td", str(counts[g]), class_="num"))
             for g in GRADES if counts.get(g)]
    return el("section", head, el("table", el("tr", el("th", tr("Grade", lang)),
                                                el("th", tr("Endpoints", lang))),
                                  cells, class_="facts"), id="grades")


def _change_row(c: Change, lang: str) -> Markup:
    if c.finding is not None and c.finding.id in ENTRIES:
        text = text_of(Shown(c.finding), lang)
        what, detail = text.title, text.detail or c.note
        if c.kind != c.finding.id:
            what = pair(tr(c.kind, lang), what, lang)
        sev = severity_badge(c.finding.severity, lang)
    else:
        what, detail, sev = tr(c.kind, lang), c.note, Markup("")
    return el("tr", el("td", _when(c.at)), el("td", c.endpoint), el("td", sev, " ", what),
              el("td", detail))


def _changes(report: Report, lang: str) -> Markup:
    head = el("h2", tr("What changed in the period", lang))
    if report.changes is None:
        return el("section", head, el("p", tr(
            "A single scan shows no changes: report on the monitor's history "
            "(mailtls report --history DB --since 90d) to see them.", lang)), id="changes")
    if not report.changes:
        return el("section", head, el("p", tr("Nothing changed in the period.", lang)),
                  id="changes")
    kinds = Counter(_kind_word(c, lang) for c in report.changes)
    summary = el("p", tr(", ", lang).join(
        tr("{label}: {value}", lang).format(label=k, value=v) for k, v in sorted(kinds.items())))
    heads = el("tr", [el("th", tr(h, lang)) for h in ("Time", "Endpoint", "Change", "Details")])
    return el("section", head, summary,
              el("table", heads, [_change_row(c, lang) for c in report.changes],
                 class_="changes"), id="changes")


def _overview(rows: Sequence[Row], lang: str) -> Markup:
    heads = ("Target", "Address", "TLS", "Expires", "Grade", "Severity", "Verdict")
    body = [el("tr", el("td", el("a", r.target, href="#" + _anchor(r))),
               el("td", r.address or "-"), el("td", r.tls_version or "-"),
               el("td", _day(r.cert.not_after if r.cert else None)), el("td", r.grade or "-"),
               el("td", severity_badge(r.worst, lang)), el("td", _headline(r, lang)))
            for r in rows]
    return el("section", el("h2", tr("Endpoints", lang)),
              el("table", el("tr", [el("th", tr(h, lang)) for h in heads]), body,
                 class_="overview"), id="endpoints")


def _reference(ref: str) -> Markup:
    if ref.startswith(("https://", "http://")):
        return el("li", el("a", ref, href=ref))
    return el("li", ref)


def finding_block(shown: Shown, lang: str) -> Markup:
    text = text_of(shown, lang)
    refs = (el("ul", [_reference(r) for r in text.references], class_="refs")
            if text.references else None)
    return el("div", el("h4", severity_badge(shown.finding.severity, lang), " ", text.title,
                        " ", el("code", shown.finding.id, class_="fid")),
              el("p", text.detail) if text.detail else None,
              el("p", el("strong", tr("What to do", lang) + " "), text.remediation,
                 class_="fix"),
              refs, class_=f"finding sev-{shown.finding.severity.label}")


def _details(rows: Sequence[Row], lang: str) -> Markup:
    blocks = []
    for r in rows:
        shown = sorted(r.findings, key=lambda s: (-s.finding.severity, not s.finding.primary))
        scan_cmd, openssl_cmd = commands(r)
        cert = r.cert
        facts = [pair(tr("Certificate", lang), cert.subject, lang) if cert else None,
                 pair(tr("Issuer", lang), cert.issuer, lang) if cert else None,
                 pair(tr("TLS", lang), f"{r.tls_version or '-'} {r.cipher or ''}", lang)]
        blocks.append(el(
            "article", el("h3", r.target, " ", el("span", r.address or "", class_="addr")),
            el("p", tr(", ", lang).join(f for f in facts if f), class_="meta"),
            [finding_block(s, lang) for s in shown],
            el("h4", tr("Commands that reproduce this check", lang)),
            el("pre", scan_cmd, "\n", openssl_cmd, class_="cmd"),
            id=_anchor(r), class_="endpoint"))
    return el("section", el("h2", tr("Findings and what to do, per endpoint", lang)), blocks,
              id="details")


def _notes(report: Report, lang: str) -> Markup | None:
    if not report.notes and not report.errors:
        return None
    return el("section", el("h2", tr("Notes and errors", lang)),
              [finding_block(n, lang) for n in report.notes],
              el("ul", [el("li", e) for e in report.errors]) if report.errors else None,
              id="notes")


def render_report(report: Report, lang: str = "en") -> str:
    """The whole page, as text (UTF-8 when written)."""
    rows = sorted_rows(report.rows)
    body = join([_header(report, lang), _fleet(report, lang), _expiry(report, lang),
                 _grades(report, lang), _changes(report, lang), _overview(rows, lang),
                 _details(rows, lang), _notes(report, lang)])
    return page(tr("TLS audit report of the mail servers", lang), body, lang)
