"""``mailtls lint``: find code and configuration that turns certificate checks off.

Python is read through :mod:`ast` with local data flow (:mod:`.python`); Java, Kotlin,
JavaScript, TypeScript, PHP, Go, C#, Ruby and Rust through tree-sitter grammars and
queries (:mod:`.treesitter`, :mod:`.ts_rules`, :mod:`.ts_special`); configuration files
and shell scripts through small parsers (:mod:`.configs`, :mod:`.shell`). Findings come
from the catalogue (ids ``lint.*``); inline exceptions expire (:mod:`.allow`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import grammars, parallel
from .engine import Options, Report, lint_files
from .walk import WalkError, changed_since, collect, only_changed

__all__ = ["Options", "Report", "WalkError", "lint_paths"]


def lint_paths(
    paths: Sequence[Path],
    exclude: Sequence[str] = (),
    since: str | None = None,
    options: Options | None = None,
) -> Report:
    """Lint files and folders; ``since`` keeps only files changed since that git revision."""
    if (options is None or options.jobs != 1) and any(p.is_dir() for p in paths):
        parallel.warm()  # a folder: the fork server loads the scanners during the walk
    options = options or Options()
    vendored: list[str] | None = None if options.include_vendored else []
    files = collect(paths, exclude, vendored)
    if since is not None:
        changed: set[str] = set()
        for p in paths:
            changed |= changed_since(since, p)
        files = only_changed(files, changed)
    grammars.require(files)  # a clear message naming mailtls[lint], before any scanning
    report = lint_files(files, options, [str(p) for p in paths])
    if vendored:
        report.add_vendored(vendored, [str(p) for p in paths])
    return report
