"""Terminal rendering of scan results with rich: a table, then the details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..catalog import describe, ntr, tr
from ..model import DeepObservation, Finding, ScanResult, Severity

if TYPE_CHECKING:
    from ..proto.tls.registry import CipherSuite

STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "green",
}


def _headline(r: ScanResult) -> Finding | None:
    """The primary finding, else the gravest, else the first (cert.verified)."""
    primary = next((f for f in r.findings if f.primary), None)
    if primary is not None:
        return primary
    return max(r.findings, key=lambda f: f.severity, default=None)


def severity_word(severity: Severity, lang: str) -> str:
    """The word for an endpoint's worst severity, the same in the table and the summary:
    "OK" when nothing is above info."""
    return tr("OK" if severity is Severity.INFO else severity.label, lang)


def _title(f: Finding, lang: str) -> str:
    return describe(f, lang).title


def render_table(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold")
    wide = console.width >= 100  # on a narrow terminal the address goes to the details
    for header in (
        ("Target", "Address", "TLS", "Severity") if wide else ("Target", "TLS", "Severity")
    ):
        table.add_column(tr(header, lang), no_wrap=True)
    table.add_column(tr("Verdict", lang), min_width=16)
    table.add_column(tr("Expires", lang), no_wrap=True, min_width=10)
    for r in results:
        head = _headline(r)
        expires = r.certificate.not_after[:10] if r.certificate else "-"
        if head is None:
            sev, verdict = Text("-"), Text("-")
        else:
            style = STYLE[head.severity]
            sev = Text(severity_word(head.severity, lang), style=style)
            verdict = Text(_title(head, lang), style=style)
            more = sum(f.severity > Severity.INFO for f in r.findings) - 1
            if more > 0:
                verdict.append(f" (+{more})", style="dim")
        cells = [r.target.url, r.address or "-"] if wide else [r.target.url]
        table.add_row(*cells, r.tls_version or "-", sev, verdict, expires)
    console.print(table)


def render_details(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    for r in results:
        shown = [f for f in r.findings if f.severity > Severity.INFO]
        if not shown:
            continue
        console.print()
        cipher = f", {r.tls_version} {r.cipher}" if r.cipher else ""
        where = f" ({r.address}{cipher})" if r.address else ""
        console.print(Text(r.target.url + where, style="bold"))
        for f in shown:
            text = describe(f, lang)
            mark = "*" if f.primary else "-"
            console.print(
                Text(
                    f" {mark} [{tr(f.severity.label, lang)}] {text.title}", style=STYLE[f.severity]
                )
            )
            if text.detail:
                console.print(Padding(Text(text.detail), (0, 0, 0, 4)))
            fix = Text(tr("Fix", lang) + ": ", style="bold") + Text(text.remediation)
            console.print(Padding(fix, (0, 0, 0, 4)))


def render_notes(notes: Sequence[Finding], console: Console, lang: str) -> None:
    for f in notes:
        text = describe(f, lang)
        console.print(
            Text(
                f"[{tr(f.severity.label, lang)}] {text.title}: {text.detail}",
                style=STYLE[f.severity],
            )
        )


def render_summary(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    counts: dict[Severity, int] = {}
    for r in results:
        if r.worst is not None:
            counts[r.worst] = counts.get(r.worst, 0) + 1
    untested = sum(not r.tested for r in results)
    parts = [ntr("{count} endpoint scanned", "{count} endpoints scanned", len(results), lang)]
    parts += [f"{n} {severity_word(s, lang)}" for s, n in sorted(counts.items(), reverse=True)]
    if untested:
        parts.append(f"{untested} {tr('not tested', lang)}")
    console.print()
    console.print(", ".join(parts))


# --- scan --deep: grouped like testssl.sh, shorter ------------------------------------------

ORDER = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3", "SSLv2")
GOOD, FAIR, WEAK = "green", "yellow", "red"


def _yes_no(value: bool | None, lang: str, good: bool | None = True) -> Text:
    """yes/no/unknown; ``good`` says which answer is the good one (None: neither)."""
    if value is None:
        return Text(tr("unknown", lang), style="dim")
    style = "" if good is None else (GOOD if value == good else WEAK)
    return Text(tr("yes" if value else "no", lang), style=style)


def _strength(suite: CipherSuite) -> tuple[str, str]:
    """A mark and a style: weak (no encryption, no authentication, export, RC4, 64-bit
    blocks), fair (CBC or no forward secrecy), strong (AEAD with forward secrecy)."""
    if suite.null or suite.anonymous or suite.export or suite.rc4:
        return "!!", WEAK
    if suite.cipher in ("3DES", "DES", "IDEA", "RC2") or suite.sslv2:
        return "! ", WEAK
    if suite.aead and (suite.forward_secrecy or suite.tls13):
        return "+ ", GOOD
    return "~ ", FAIR


def _line(label: str, value: Text | str, lang: str) -> Table:
    return _rows([(label, value)], lang)


def _rows(rows: Sequence[tuple[str, Text | str]], lang: str, indent: int = 2) -> Table:
    """Label/value pairs aligned in a grid (labels in any language, any width)."""
    grid = Table.grid(padding=(0, 2), pad_edge=False)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        cell = value if isinstance(value, Text) else Text(value)
        grid.add_row(" " * indent + tr(label, lang), cell)
    return grid


def _protocols(deep: DeepObservation, lang: str) -> Text:
    good = {"TLSv1.2": None, "TLSv1.3": True}
    out = Text()
    for p in reversed(ORDER):
        offered = deep.protocols.get(p)
        out += Text(f"{p} ") + _yes_no(offered, lang, good.get(p, False)) + Text(" ")
    return out


def _suites(deep: DeepObservation, console: Console, lang: str) -> None:
    console.print(Text(f"  {tr('Cipher suites', lang)}", style="bold"))
    wide = console.width >= 110
    for protocol in ORDER:
        codes = deep.cipher_suites.get(protocol, ())
        if not codes:
            continue
        order = deep.server_order.get(protocol)
        how = {True: "server order", False: "client decides"}.get(order, "order unknown")  # type: ignore[arg-type]
        console.print(Text(f"    {protocol} ({tr(how, lang)})"))
        from ..proto.tls.registry import cipher_suite, sslv2_cipher  # --deep views only

        lookup = sslv2_cipher if protocol == "SSLv2" else cipher_suite
        for code in codes:
            suite = lookup(code)
            mark, style = _strength(suite)
            name = f"{suite.openssl or '-':<32} {suite.name}" if wide else suite.name
            console.print(Text(f"      {mark}{suite.hex:<9}{name}", style=style))


def _groups(deep: DeepObservation, lang: str) -> Text:
    from ..proto.tls.registry import NamedGroup

    names = " ".join(NamedGroup(g).label for g in deep.groups) or "-"
    order = {True: "server order", False: "client decides"}.get(deep.group_server_order)  # type: ignore[arg-type]
    return Text(names + (f"  ({tr(order, lang)})" if order and deep.groups else ""))


def _certificates(r: ScanResult, console: Console, lang: str) -> None:
    console.print(Text(f"  {tr('Certificates', lang)}", style="bold"))
    for chain in r.chains or ((r.chain,) if r.chain else ()):
        leaf = chain[0]
        console.print(Text(f"    {leaf.key:<16} {leaf.subject}  {leaf.not_after[:10]}  "
                           f"{leaf.signature}  ({len(chain)})"))  # fmt: skip


def _verdict(value: str | None, lang: str) -> Text:
    if value is None:
        return Text(tr("unknown", lang), style="dim")
    style = WEAK if value == "vulnerable" else (GOOD if value == "not vulnerable" else FAIR)
    return Text(tr(value, lang), style=style)


def _vulnerabilities(deep: DeepObservation, console: Console, lang: str) -> None:
    console.print(Text(f"  {tr('Vulnerabilities', lang)}", style="bold"))
    rows: tuple[tuple[str, Text], ...] = (
        ("Heartbleed (CVE-2014-0160)", _verdict(deep.heartbleed, lang)),
        ("CCS injection (CVE-2014-0224)", _verdict(deep.ccs_injection, lang)),
        ("Compression", _yes_no(deep.compression, lang, False)),
        ("Secure renegotiation", _yes_no(deep.secure_renegotiation, lang)),
        ("Client-initiated renegotiation", _yes_no(deep.client_renegotiation, lang, False)),
        ("Downgrade protection (TLS_FALLBACK_SCSV)", _yes_no(deep.fallback_scsv, lang)),
        ("Extended master secret", _yes_no(deep.extended_master_secret, lang)),
        ("OCSP stapling", _yes_no(deep.ocsp_stapling, lang, None)),
        ("Session resumption (IDs / tickets)", _yes_no(deep.session_ids, lang, None)
         + Text(" / ") + _yes_no(deep.session_tickets, lang, None)),
    )  # fmt: skip
    console.print(_rows(rows, lang, indent=4))


def _mail(deep: DeepObservation, console: Console, lang: str) -> None:
    console.print(Text(f"  {tr('Mail', lang)}", style="bold"))
    rows: list[tuple[str, Text | str]] = []
    seen = deep.starttls_seen
    if seen:
        style = GOOD if all(seen) else WEAK
        rows.append(("STARTTLS advertised", Text(f"{sum(seen)}/{len(seen)}", style)))
    code = deep.mail_without_tls
    if code is not None:
        taken = 200 <= code < 300
        answer = Text(f"{tr('yes' if taken else 'no', lang)} ({code})", FAIR if taken else GOOD)
        rows.append(("Mail before STARTTLS", answer))
    if deep.starttls_injection is not None:
        rows.append(("STARTTLS injection", _verdict(deep.starttls_injection, lang)))
    console.print(_rows(rows, lang, indent=4))


def _deep_head(r: ScanResult, deep: DeepObservation, lang: str) -> Text:
    head = Text(r.target.url + (f" ({r.address})" if r.address else ""), style="bold")
    if r.grade is not None:
        letter = r.grade.letter
        style = GOOD if letter.startswith("A") else (FAIR if letter == "B" else WEAK)
        head += Text(f"  {tr('Grade', lang)} ") + Text(r.grade.letter, style=f"bold {style}")
        head += Text(f" ({r.grade.policy}, {r.grade.role})", style="dim")
    tail = f"  {deep.connections} {tr('connections', lang)}"
    if deep.incomplete:
        tail += f", {tr('incomplete', lang)}"
    return head + Text(tail, style="dim")


def render_deep(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    """The --deep view of every result that has one."""
    for r in results:
        deep = r.deep
        if deep is None:
            continue
        console.print()
        console.print(_deep_head(r, deep, lang))
        if r.grade is not None:
            for reason in r.grade.reasons:
                text = describe(reason, lang)
                console.print(Text(f"  - {text.title}: {text.detail}", style="dim"))
        console.print(_line("Protocols", _protocols(deep, lang), lang))
        _suites(deep, console, lang)
        console.print(_line("Groups", _groups(deep, lang), lang))
        if deep.dh_bits:
            dh = f"{deep.dh_bits} bits" + (f" ({deep.dh_group})" if deep.dh_group else "")
            console.print(_line("DH group", Text(dh, GOOD if deep.dh_bits >= 2048 else WEAK), lang))
        _certificates(r, console, lang)
        _vulnerabilities(deep, console, lang)
        _mail(deep, console, lang)
