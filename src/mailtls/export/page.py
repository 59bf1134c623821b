"""The HTML shell of ``mailtls report`` and of the user guide: CSP, styles, print rules.

The Content-Security-Policy allows inline styles and ``data:`` images and nothing else:
no script runs, nothing is fetched, whatever a document managed to put in the page.
Fonts are the reader's own (a system font list); colours survive printing.
"""

from __future__ import annotations

from .markup import Markup, el, esc, join

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --fg: #1d2330; --muted: #5c6578; --line: #d8dce5; --bg-alt: #f4f6fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--fg); margin: 0 auto;
       max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 2px solid var(--line);
     padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 4px; }
h4 { font-size: 14px; margin: 10px 0 4px; }
p.meta, .addr, .legend { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--bg-alt); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.overview, table.changes { width: 100%; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff;
         font-size: 12px; font-weight: 600; }
.sev-critical.badge { background: #b3001b; } .sev-high.badge { background: #e4572e; }
.sev-medium.badge { background: #f0a202; color: #1d2330; } .sev-low.badge { background: #3a86ff; }
.sev-info.badge { background: #2a9d4b; }
.finding { border-left: 4px solid var(--line); padding: 2px 10px; margin: 8px 0; }
.finding.sev-critical { border-color: #b3001b; } .finding.sev-high { border-color: #e4572e; }
.finding.sev-medium { border-color: #f0a202; } .finding.sev-low { border-color: #3a86ff; }
.finding.sev-info { border-color: #2a9d4b; }
code.fid { color: var(--muted); font-size: 12px; }
pre.cmd { background: var(--bg-alt); padding: 8px; overflow-x: auto; white-space: pre-wrap;
          word-break: break-all; font-size: 12px; }
article.endpoint { border-top: 1px solid var(--line); }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #1d2330; }
svg.chart .rowlabel { text-anchor: end; }
svg.chart .ticklabel { text-anchor: middle; fill: #5c6578; }
svg.chart .ticklabel.end { text-anchor: end; }
svg.chart .tick { stroke: #e3e6ee; }
svg.chart .now { stroke: #1d2330; stroke-width: 2; stroke-dasharray: 4 3; }
ul.refs { margin: 2px 0 6px; font-size: 12px; }
.guide li { margin: 4px 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  section, article.endpoint, .finding, tr, svg.chart { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  pre.cmd { white-space: pre-wrap; }
}
@page { size: A4; margin: 14mm; }
"""


def page(title: str, body: Markup, lang: str) -> str:
    """A complete document; ``lang`` is the catalogue's code (en, zh_CN)."""
    meta = Markup(
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
    )
    head = join([meta, el("title", title), el("style", Markup(STYLE))])
    html_lang = "zh-CN" if lang == "zh_CN" else "en"
    return "<!DOCTYPE html>\n" + el("html", el("head", head), el("body", body),
                                    lang=html_lang) + "\n"
