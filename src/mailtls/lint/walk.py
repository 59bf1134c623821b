"""The files to lint: walk folders, honour ``.gitignore``, ``--exclude``, ``--changed-since``.

``.gitignore`` files are read at every level, with git's semantics (pathspec's
``GitIgnoreSpec``): the deepest file that has an opinion on a path decides, and ``!``
re-includes. ``.git`` is never entered; symbolic links to folders are not followed.
Files named explicitly are always taken (as git does with explicit paths), unless
``--exclude`` matches them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from ..errors import MailtlsError
from .files import kind_of


class WalkError(MailtlsError):
    """A path or a git revision that cannot be used."""


@dataclass(frozen=True)
class _Ignore:
    base: Path
    spec: GitIgnoreSpec


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(128)
    except OSError:
        return b""


def _kind(path: Path) -> str | None:
    kind = kind_of(path)
    if kind is None and not path.suffix:
        kind = kind_of(path, _head(path))
    return kind


def _ignored(path: Path, is_dir: bool, stack: Sequence[_Ignore]) -> bool:
    decision = False
    for ignore in stack:
        rel = path.relative_to(ignore.base).as_posix() + ("/" if is_dir else "")
        result = ignore.spec.check_file(rel)
        if result.include is not None:
            decision = result.include
    return decision


def _load_ignore(folder: Path) -> _Ignore | None:
    file = folder / ".gitignore"
    try:
        lines = file.read_text("utf-8", "replace").splitlines()
    except OSError:
        return None
    return _Ignore(folder, GitIgnoreSpec.from_lines(lines))


def walk(root: Path, excludes: GitIgnoreSpec) -> Iterator[tuple[Path, str]]:
    """(file, kind) under ``root``, in a stable order."""
    todo: list[tuple[Path, tuple[_Ignore, ...]]] = [(root, ())]
    while todo:
        folder, stack = todo.pop()
        own = _load_ignore(folder)
        stack = (*stack, own) if own else stack
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for e in entries:
            path = Path(e.path)
            rel = path.relative_to(root).as_posix()
            is_dir = e.is_dir(follow_symlinks=False)
            if e.name == ".git" or _ignored(path, is_dir, stack):
                continue
            if excludes.match_file(rel + ("/" if is_dir else "")):
                continue
            if is_dir:
                todo.append((path, stack))
            elif e.is_file(follow_symlinks=False):
                kind = _kind(path)
                if kind:
                    yield path, kind


def collect(paths: Iterable[Path], exclude: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(path, kind) of every file to lint under ``paths``; duplicates removed."""
    excludes = GitIgnoreSpec.from_lines(list(exclude))
    seen: dict[str, str] = {}
    for p in paths:
        if p.is_dir():
            for file, kind in walk(p, excludes):
                seen.setdefault(str(file), kind)
        elif p.is_file():
            found = _kind(p)
            if found and not excludes.match_file(p.as_posix()):
                seen.setdefault(str(p), found)
        else:
            raise WalkError(f"{p}: no such file or folder")
    return sorted(seen.items())


def _git(cwd: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True, timeout=60
        )
    except FileNotFoundError:
        raise WalkError("--changed-since needs git, which is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise WalkError(f"git {' '.join(args)}: {exc.stderr.strip()}") from None
    except subprocess.TimeoutExpired:
        raise WalkError(f"git {' '.join(args)}: timed out") from None
    return [line for line in done.stdout.splitlines() if line]


def changed_since(rev: str, where: Path) -> set[str]:
    """Absolute paths changed since ``rev`` (committed, staged, unstaged) or untracked."""
    folder = where if where.is_dir() else where.parent
    top = Path(_git(folder, "rev-parse", "--show-toplevel")[0])
    names = _git(top, "diff", "--name-only", "--diff-filter=d", rev, "--")
    names += _git(top, "ls-files", "--others", "--exclude-standard")
    return {str((top / n).resolve()) for n in names}


def only_changed(files: list[tuple[str, str]], changed: set[str]) -> list[tuple[str, str]]:
    return [(p, k) for p, k in files if str(Path(p).resolve()) in changed]
