"""The ``scan --deep`` view: grouped like testssl.sh, shorter, with a legend for its symbols.

On a terminal, label/value pairs are aligned in grids (labels in any language, any width);
in a pipe every pair is one ``label: value`` line, never wrapped or padded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..catalog import describe, ntr, tr
from ..model import DeepObservation, ScanResult
from .lines import emit, pair, plain

if TYPE_CHECKING:
    from ..proto.tls.registry import CipherSuite

ORDER = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3", "SSLv2")
GOOD, FAIR, WEAK = "green", "yellow", "red"
#: Versions the fallback probe can step down between (the engine's ``_fallback``).
FALLBACK_VERSIONS = ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3")
LEGEND = (
    "Legend: + strong (AEAD with forward secrecy), ~ fair (CBC or no forward secrecy), "
    "! weak, !! broken; (N) after a certificate: certificates in the chain the server sent; "
    "STARTTLS advertised X/Y: on X of the Y connections made."
)

NOTE = "{name} ({note})"
Rows = Sequence[tuple[str, Text | str]]


def _note(name: str, note: str, lang: str) -> str:
    """``name (note)``, with full-width brackets in Chinese."""
    return tr(NOTE, lang).format(name=name, note=note)


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


def _rows(console: Console, rows: Rows, lang: str, indent: int = 2) -> None:
    """Label/value pairs: a grid on a terminal, ``label: value`` lines in a pipe."""
    if plain(console):
        for label, value in rows:
            emit(console, pair(tr(label, lang), value, lang), indent)
        return
    grid = Table.grid(padding=(0, 2), pad_edge=False)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        cell = value if isinstance(value, Text) else Text(value)
        grid.add_row(" " * indent + tr(label, lang), cell)
    console.print(grid)


def _heading(console: Console, label: str, lang: str) -> None:
    emit(console, Text(tr(label, lang), style="bold"), 2)


def _protocols(deep: DeepObservation, lang: str) -> Text:
    good = {"TLSv1.2": None, "TLSv1.3": True}
    parts = [Text(f"{p} ") + _yes_no(deep.protocols.get(p), lang, good.get(p, False))
             for p in reversed(ORDER)]  # fmt: skip
    return Text("  ").join(parts)


def _suites(deep: DeepObservation, console: Console, lang: str) -> None:
    from ..proto.tls.registry import cipher_suite, sslv2_cipher  # --deep views only

    _heading(console, "Cipher suites", lang)
    wide = plain(console) or console.width >= 110
    for protocol in ORDER:
        codes = deep.cipher_suites.get(protocol, ())
        if not codes:
            continue
        order = deep.server_order.get(protocol)
        how = {True: "server order", False: "client decides"}.get(order, "order unknown")  # type: ignore[arg-type]
        emit(console, Text(_note(protocol, tr(how, lang), lang)), 4)
        lookup = sslv2_cipher if protocol == "SSLv2" else cipher_suite
        for code in codes:
            suite = lookup(code)
            mark, style = _strength(suite)
            name = f"{suite.openssl or '-':<32} {suite.name}" if wide else suite.name
            emit(console, Text(f"{mark}{suite.hex:<9}{name}", style=style), 6)


def _groups(deep: DeepObservation, lang: str) -> Text:
    from ..proto.tls.registry import NamedGroup

    names = " ".join(NamedGroup(g).label for g in deep.groups) or "-"
    order = {True: "server order", False: "client decides"}.get(deep.group_server_order)  # type: ignore[arg-type]
    return Text(_note(names, tr(order, lang), lang) if order and deep.groups else names)


def _certificates(r: ScanResult, console: Console, lang: str) -> None:
    _heading(console, "Certificates", lang)
    for chain in r.chains or ((r.chain,) if r.chain else ()):
        leaf = chain[0]
        line = (f"{leaf.key:<16} {leaf.subject}  {leaf.not_after[:10]}  {leaf.signature}  "
                f"({len(chain)})")  # fmt: skip
        emit(console, Text(line), 4)


def _verdict(value: str | None, lang: str) -> Text:
    if value is None:
        return Text(tr("unknown", lang), style="dim")
    style = WEAK if value == "vulnerable" else (GOOD if value == "not vulnerable" else FAIR)
    return Text(tr(value, lang), style=style)


def _robot(deep: DeepObservation, lang: str) -> Text:
    verdict = _verdict(deep.robot, lang)
    if deep.robot == "vulnerable" and deep.robot_oracle:
        oracle = tr(f"{deep.robot_oracle} oracle", lang)
        verdict.append(f"（{oracle}）" if lang == "zh_CN" else f" ({oracle})")
    return verdict


def _fallback(deep: DeepObservation, lang: str) -> Text:
    """TLS_FALLBACK_SCSV: not applicable when there is no lower version to fall back to."""
    offered = [v for v in FALLBACK_VERSIONS if deep.protocols.get(v)]
    if deep.fallback_scsv is None and len(offered) < 2:
        return Text(tr("not applicable (one protocol version, no fallback)", lang), style="dim")
    return _yes_no(deep.fallback_scsv, lang)


def _vulnerabilities(deep: DeepObservation, console: Console, lang: str) -> None:
    _heading(console, "Vulnerabilities", lang)
    rows: Rows = (
        ("Heartbleed (CVE-2014-0160)", _verdict(deep.heartbleed, lang)),
        ("CCS injection (CVE-2014-0224)", _verdict(deep.ccs_injection, lang)),
        ("ROBOT (RSA padding oracle)", _robot(deep, lang)),
        ("Compression", _yes_no(deep.compression, lang, False)),
        ("Secure renegotiation", _yes_no(deep.secure_renegotiation, lang)),
        ("Client-initiated renegotiation", _yes_no(deep.client_renegotiation, lang, False)),
        ("Downgrade protection (TLS_FALLBACK_SCSV)", _fallback(deep, lang)),
        ("Extended master secret", _yes_no(deep.extended_master_secret, lang)),
        ("OCSP stapling", _yes_no(deep.ocsp_stapling, lang, None)),
        ("Session resumption (IDs / tickets)", _yes_no(deep.session_ids, lang, None)
         + Text(" / ") + _yes_no(deep.session_tickets, lang, None)),
    )  # fmt: skip
    _rows(console, rows, lang, indent=4)


def _mail(deep: DeepObservation, console: Console, lang: str) -> None:
    _heading(console, "Mail", lang)
    rows: list[tuple[str, Text | str]] = []
    seen = deep.starttls_seen
    if seen:
        style = GOOD if all(seen) else WEAK
        rows.append(("STARTTLS advertised", Text(f"{sum(seen)}/{len(seen)}", style)))
    code = deep.mail_without_tls
    if code is not None:
        taken = 200 <= code < 300
        answer = Text(_note(tr("yes" if taken else "no", lang), str(code), lang),
                      FAIR if taken else GOOD)
        rows.append(("Mail before STARTTLS", answer))
    if deep.starttls_injection is not None:
        rows.append(("STARTTLS injection", _verdict(deep.starttls_injection, lang)))
    _rows(console, rows, lang, indent=4)


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


def _one(r: ScanResult, deep: DeepObservation, console: Console, lang: str) -> None:
    emit(console, Text())
    emit(console, _deep_head(r, deep, lang))
    if r.grade is not None:
        for reason in sorted(r.grade.reasons, key=lambda f: -f.severity):
            text = describe(reason, lang)
            emit(console, pair(text.title, text.detail, lang, style="dim"), 2)
    _rows(console, [("Protocols", _protocols(deep, lang))], lang)
    _suites(deep, console, lang)
    _rows(console, [("Groups", _groups(deep, lang))], lang)
    if deep.dh_bits:
        bits = ntr("{count} bit", "{count} bits", deep.dh_bits, lang)
        dh = bits + (f" ({deep.dh_group})" if deep.dh_group else "")
        _rows(console, [("DH group", Text(dh, GOOD if deep.dh_bits >= 2048 else WEAK))], lang)
    _certificates(r, console, lang)
    _vulnerabilities(deep, console, lang)
    _mail(deep, console, lang)


def render_deep(results: Sequence[ScanResult], console: Console, lang: str) -> None:
    """The --deep view of every result that has one, then one legend line for its symbols."""
    shown = [(r, r.deep) for r in results if r.deep is not None]
    for r, deep in shown:
        assert deep is not None
        _one(r, deep, console, lang)
    if shown:
        emit(console, Text())
        emit(console, Text(tr(LEGEND, lang), style="dim"))
