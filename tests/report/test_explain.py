"""mailtls explain: the long form of every finding, both languages, and the users' guide."""

from __future__ import annotations

import pytest

from mailtls.catalog import ENTRIES, tr
from mailtls.catalog.longform import close_matches, family_of, long_form
from mailtls.catalog.parts.report import TRUST
from mailtls.export.guide import render_guide_html, render_guide_text
from support.report import mailtls


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_finding_has_a_long_form(lang: str) -> None:
    for fid in ENTRIES:
        lf = long_form(fid, lang)
        assert lf.title and lf.attacker and lf.remedy and lf.never, fid
        if lang == "zh_CN":
            assert not lf.attacker.isascii() and not lf.never.isascii(), fid


def test_families() -> None:
    assert family_of("cert.expired").name == "trust"
    assert family_of("cert.verified").name == "information"
    assert family_of("lint.python.smtplib_no_context").name == "trust_off"
    assert family_of("lint.python.aiosmtplib_opportunistic").name == "plaintext"
    assert family_of("postfix.key_world_readable").name == "secret"
    assert family_of("protocol.tls1_0").name == "weak"
    assert family_of("cert.expires_soon").name == "expiry"


def test_explain_cli_in_both_languages() -> None:
    p = mailtls("explain", "cert.hostname_mismatch")
    assert p.returncode == 0
    for heading in ("What it means", "What an attacker gains", "What to do",
                    "What never to do", "References"):
        assert heading in p.stdout
    assert "‹host›" in p.stdout and "cwe.mitre.org/data/definitions/297" in p.stdout
    z = mailtls("explain", "--lang", "zh_CN", "cert.hostname_mismatch")
    assert z.returncode == 0 and "攻击者能得到什么" in z.stdout and "证书与主机名不匹配" in z.stdout


def test_unknown_id_names_close_matches() -> None:
    p = mailtls("explain", "cert.expird")
    assert p.returncode == 64
    assert "cert.expird is not a finding of the catalogue" in p.stderr
    assert "cert.expired" in p.stderr and "Traceback" not in p.stderr
    assert close_matches("smtplib_no_context")[0] == "lint.python.smtplib_no_context"
    assert "No close match" in mailtls("explain", "zzzz").stderr


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_user_guide_is_written_from_the_catalogue(lang: str) -> None:
    text = " ".join(render_guide_text(lang, "the helpdesk at 1234").split())
    assert tr(TRUST.never, lang) in text  # the same sentence as in explain cert.untrusted
    assert tr(ENTRIES["cert.hostname_mismatch"].title, lang) in text
    assert "the helpdesk at 1234" in text
    android = "Android" if lang == "en" else "安卓"
    for client in ("Outlook", "Thunderbird", "Apple", "iPhone", android):
        assert client in text
    page = render_guide_html(lang, "<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>" not in page


def test_user_guide_cli() -> None:
    p = mailtls("explain", "--user-guide", "--html", "--lang", "zh_CN")
    assert p.returncode == 0 and p.stdout.startswith("<!DOCTYPE html>")
    assert "为什么“仍然继续”会把密码交出去" in p.stdout
    assert mailtls("explain", "--html").returncode == 64
