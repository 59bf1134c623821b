"""The labelled corpus: expectations read from `expect:` marks, and precision/recall.

A mark is a comment in the sample itself: ``expect: RULE-ID[, RULE-ID]`` on the line
of the finding, or ``expect-next: RULE-ID`` on the line just above it (formats whose
comments cannot trail a value: .properties, .env). Every finding that no mark announces
is a false positive; every mark that no finding meets is a false negative. Used by the
tests and by ``bench/lint.py`` (recall of the peers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
RULE = r"lint\.[a-z0-9_.]+"
MARK = re.compile(rf"expect(?P<next>-next)?:\s*(?P<ids>{RULE}(?:\s*,\s*{RULE})*)")

Key = tuple[str, int, str]  # (path relative to the corpus, line, rule id)


def expectations(root: Path = CORPUS) -> set[Key]:
    out: set[Key] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        text = path.read_text("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), 1):
            for m in MARK.finditer(line):
                target = number + 1 if m.group("next") else number
                for rule in m.group("ids").split(","):
                    out.add((rel, target, rule.strip()))
    return out


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def score(found: Iterable[Key], expected: set[Key]) -> Score:
    got = set(found)
    return Score(len(got & expected), len(got - expected), len(expected - got))


def by_location(found: Iterable[tuple[str, int]], expected: set[Key]) -> Score:
    """Score a peer tool by (file, line) only: its rule ids differ from ours."""
    want = {(f, line) for f, line, _ in expected}
    got = set(found)
    return Score(len(got & want), len(got - want), len(want - got))
