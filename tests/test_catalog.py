"""The catalogue: every id well formed, every sentence translated, templates filled."""

import re
import string

import pytest

from mailtls.catalog import ENTRIES, PARTS, describe, new_finding, pick_language, tr

ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("fid", sorted(ENTRIES))
def test_entry_is_complete_and_translated(fid: str) -> None:
    e = ENTRIES[fid]
    assert ID.match(fid) and e.id == fid
    assert e.title and e.remediation and "\n" not in e.title
    for text in (e.title, e.detail, e.remediation):
        if not text:
            continue
        zh = tr(text, "zh_CN")
        assert zh != text or text in ("TLS",), f"untranslated: {text!r}"
        assert fields(zh) == fields(text), f"placeholders differ in translation of {text!r}"


def test_describe_fills_params_in_both_languages() -> None:
    f = new_finding("cert.expired", subject="CN=mx", not_after="2026-01-01", days="3")
    en = describe(f, "en")
    zh = describe(f, "zh_CN")
    assert en.title == "Certificate expired"
    assert "CN=mx" in en.detail and "3 days ago" in en.detail
    assert zh.title == "证书已过期" and "CN=mx" in zh.detail
    assert "{" not in en.detail + zh.detail


def test_missing_param_never_raises() -> None:
    assert "?" in describe(new_finding("cert.expired"), "en").detail


@pytest.mark.parametrize("fid", sorted(ENTRIES))
def test_every_entry_formats_in_both_languages(fid: str) -> None:
    """A template is a format string: a brace meant as text (``{ca_file: ...}`` in Ruby
    code) must be doubled, or describing the finding raises wherever it is shown."""
    for lang in ("en", "zh_CN"):
        text = describe(new_finding(fid), lang)
        assert text.title and text.remediation


def test_phase_params_are_translated() -> None:
    f = new_finding("conn.timeout", seconds="5", phase="waiting for the greeting")
    assert "等待问候语" in describe(f, "zh_CN").detail


def test_ui_strings_translated() -> None:
    for part in PARTS:
        for s in part.ui_strings:
            assert tr(s, "zh_CN") != s or s == "TLS", f"{part.domain}: untranslated {s!r}"


@pytest.mark.parametrize(
    ("explicit", "env", "lang"),
    [
        ("zh_CN", {}, "zh_CN"),
        ("zh-CN", {}, "zh_CN"),
        ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        (None, {"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh_CN"),
        (None, {"LC_ALL": "C.UTF-8"}, "en"),
        (None, {}, "en"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_pick_language(explicit, env, lang) -> None:  # type: ignore[no-untyped-def]
    assert pick_language(explicit, env) == lang


def test_unknown_id_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="not in the catalogue"):
        new_finding("cert.nonsense")
