"""The labelled corpus: every finding has the expected rule id on the expected line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lint_expect import CORPUS, Key, expectations, score

from mailtls.catalog import ENTRIES
from mailtls.lint import Options, lint_paths

TODAY = dt.date(2026, 6, 1)


def found() -> set[Key]:
    report = lint_paths([CORPUS], options=Options(today=TODAY, jobs=1))
    out: set[Key] = set()
    for f in report.findings:
        assert f.location is not None
        rel = Path(f.location.file).resolve().relative_to(CORPUS).as_posix()
        out.add((rel, f.location.line, f.id))
    return out


@pytest.fixture(scope="module")
def results() -> tuple[set[Key], set[Key]]:
    return found(), expectations()


def test_no_false_positives(results: tuple[set[Key], set[Key]]) -> None:
    got, want = results
    assert sorted(got - want) == []


def test_no_false_negatives(results: tuple[set[Key], set[Key]]) -> None:
    got, want = results
    assert sorted(want - got) == []


def test_precision_and_recall(results: tuple[set[Key], set[Key]]) -> None:
    s = score(*results)
    assert s.precision == 1.0 and s.recall == 1.0


def test_every_rule_has_an_insecure_sample(results: tuple[set[Key], set[Key]]) -> None:
    _, want = results
    rules = {fid for fid in ENTRIES if fid.startswith("lint.")}
    rules -= {"lint.file_skipped", "lint.file_partial", "lint.internal_error",
              "lint.vendored_skipped"}
    assert sorted(rules - {rule for _, _, rule in want}) == []


def test_every_language_has_a_safe_sample() -> None:
    folders = {p.parent.name for p in CORPUS.rglob("*") if "safe" in p.name.lower()}
    languages = {p.name for p in CORPUS.iterdir() if p.is_dir()} - {"exceptions"}
    assert sorted(languages - folders) == []
