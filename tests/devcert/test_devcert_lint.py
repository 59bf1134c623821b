"""mailtls lint names mailtls devcert in every trust-all remediation (en, zh_CN)."""

from __future__ import annotations

from pathlib import Path

from devcert_helpers import mailtls

from mailtls.catalog import describe, new_finding
from mailtls.catalog.parts.lint import _TRUST_ALL


def test_every_trust_all_remediation_names_devcert() -> None:
    assert len(_TRUST_ALL) >= 20
    for fid in _TRUST_ALL:
        assert "mailtls devcert" in describe(new_finding(fid), "en").remediation, fid
        zh = describe(new_finding(fid), "zh_CN").remediation
        assert "mailtls devcert" in zh and "开发" in zh, fid


def test_lint_run_points_to_devcert(tmp_path: Path) -> None:
    (tmp_path / "send.py").write_text(
        "import smtplib, ssl\nctx = ssl._create_unverified_context()\n")
    r = mailtls("lint", str(tmp_path), "--format", "json")
    assert "lint.python.unverified_context" in r.out
    assert "mailtls devcert" in r.out
