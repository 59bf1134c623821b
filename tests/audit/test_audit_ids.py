"""Finding ids are literals: a search for an id finds its catalogue entry and every raiser."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mailtls.catalog.parts.audit import PART
from mailtls.checks.certfiles import DOVECOT, POSTFIX, AreaIds

SRC = Path(__file__).resolve().parents[2] / "src" / "mailtls"
CHECKS = sorted((SRC / "checks").glob("*.py"))
CATALOG = sorted((SRC / "catalog" / "parts").glob("*.py"))
MAKERS = {"new_finding", "Finding", "Entry", "_f", "_fp"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


@pytest.mark.parametrize("path", CHECKS + CATALOG, ids=lambda p: p.name)
def test_no_id_is_built_with_an_f_string(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and _name(node.func) in MAKERS and node.args:
            assert not isinstance(node.args[0], ast.JoinedStr), f"{path.name}:{node.lineno}"


@pytest.mark.parametrize("entry", PART.entries, ids=lambda e: e.id)
def test_each_audit_id_is_written_out_in_the_catalogue_and_a_check(entry: object) -> None:
    fid = f'"{entry.id}"'  # type: ignore[attr-defined]
    assert fid in (SRC / "catalog" / "parts" / "audit.py").read_text()
    assert any(fid in p.read_text() for p in CHECKS), f"no check raises {fid}"


@pytest.mark.parametrize(("ids", "area"), [(POSTFIX, "postfix"), (DOVECOT, "dovecot")])
def test_certificate_file_ids_belong_to_their_area_and_exist(ids: AreaIds, area: str) -> None:
    known = {e.id for e in PART.entries}
    found = [ids.cert_missing, ids.cert_unreadable, ids.cert_key_mismatch,
             ids.key_world_readable, ids.cert_invalid, *ids.by_diagnosis.values()]
    assert all(i.startswith(area + ".") and i in known for i in found), found
