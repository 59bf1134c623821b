"""Words of the output: plurals through gettext, units of counts, names of trust stores."""

from __future__ import annotations

import string

import pytest

from mailtls.catalog import PARTS, describe, new_finding, ntr, tr


@pytest.mark.parametrize(
    ("count", "lang", "expected"),
    [
        (1, "en", "1 endpoint scanned"),
        (2, "en", "2 endpoints scanned"),
        (0, "en", "0 endpoints scanned"),
        (1, "zh_CN", "已扫描 1 个端点"),
        (7, "zh_CN", "已扫描 7 个端点"),
    ],
)
def test_plural_sentences_follow_the_count(count: int, lang: str, expected: str) -> None:
    assert ntr("{count} endpoint scanned", "{count} endpoints scanned", count, lang) == expected


@pytest.mark.parametrize(
    ("fid", "days", "en", "zh"),
    [
        ("cert.expired", "1", "(1 day ago)", "（1 天前）"),
        ("cert.expired", "10", "(10 days ago)", "（10 天前）"),
        ("cert.expires_soon", "1", "in 1 day.", "还剩 1 天。"),
        ("cert.expires_soon", "3", "in 3 days.", "还剩 3 天。"),
        ("postfix.cert_expires_soon", "1", "in 1 day.", "还剩 1 天。"),
    ],
)
def test_day_counts_take_the_right_form(fid: str, days: str, en: str, zh: str) -> None:
    f = new_finding(fid, subject="CN=mx", not_after="2026-01-01", days=days, file="x.pem")
    assert en in describe(f, "en").detail
    assert zh in describe(f, "zh_CN").detail


def test_trust_store_names_are_translated_path_kept() -> None:
    f = new_finding("cert.untrusted", subject="CN=mx", issuer="CN=ca",
                    trust="Mozilla roots via certifi + /srv/ca.pem")
    zh = describe(f, "zh_CN").detail
    assert "Mozilla roots via certifi" not in zh and "certifi" in zh
    assert "/srv/ca.pem" in zh
    assert "Mozilla roots via certifi + /srv/ca.pem" in describe(f, "en").detail


def test_every_plural_has_its_chinese_form() -> None:
    for part in PARTS:
        for one, many in part.plural_pairs:
            if {f for _, f, _, _ in string.Formatter().parse(many) if f} != {"count"}:
                continue  # click's own plurals ({args}, {nargs}...): checked in test_help_i18n
            zh = ntr(one, many, 2, "zh_CN")
            assert zh != many.format(count=2), f"{part.domain}: untranslated plural {one!r}"
            assert "2" in zh


def test_severity_words_are_translated() -> None:
    for word in ("critical", "high", "medium", "low", "info", "OK"):
        assert tr(word, "zh_CN") != word
