"""The files to lint: walk folders, honour ``.gitignore``, ``--exclude``, ``--changed-since``.

``.gitignore`` files are read at every level, with git's semantics (pathspec's
``GitIgnoreSpec``): the deepest file that has an opinion on a path decides, and ``!``
re-includes. ``.git`` is never entered; symbolic links to folders are not followed.
Files named explicitly are always taken (as git does with explicit paths), unless
``--exclude`` matches them.

Vendored trees (``node_modules/``, ``vendor/``, ``bower_components/``, ``site-packages/``
...) hold other people's code, often thousands of files: they are not entered unless
``--include-vendored`` is given, and each one left out is named (a ``lint.vendored_skipped``
note), so a user sees what was not read. A folder named explicitly is always walked.
The walk is a loop over a list of folders (no recursion), never follows a symbolic link,
and reads nothing but the folder listings and, for a file without a suffix, 128 bytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MailtlsError
from .files import kind_of_name, suffix

if TYPE_CHECKING:  # pathspec is imported when a .gitignore or an --exclude needs it
    from pathspec import GitIgnoreSpec


class WalkError(MailtlsError):
    """A path or a git revision that cannot be used."""


@dataclass(frozen=True)
class _Ignore:
    prefix: str  # the folder of the .gitignore, as a prefix of the paths below it
    spec: GitIgnoreSpec


def _spec(lines: list[str]) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(lines)


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(128)
    except OSError:
        return b""


def _kind(path: str, name: str) -> str | None:
    kind = kind_of_name(name)
    if kind is None and not suffix(name):  # maybe a #! script
        kind = kind_of_name(name, _head(path))
    return kind


def _prefix(folder: str) -> str:
    """What ``os.path.join(folder, x)`` puts before ``x``."""
    if folder == ".":
        return ""
    return folder if folder.endswith(os.sep) else folder + os.sep


def _posix(rel: str) -> str:
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def _ignored(path: str, is_dir: bool, stack: Sequence[_Ignore]) -> bool:
    decision = False
    for ignore in stack:
        rel = _posix(path[len(ignore.prefix) :]) + ("/" if is_dir else "")
        result = ignore.spec.check_file(rel)
        if result.include is not None:
            decision = result.include
    return decision


#: A .gitignore larger than this is read up to here (git itself has no limit; a real
#: one is a few kilobytes, and a link to /dev/zero must not fill the memory).
IGNORE_BYTES = 1 << 20


def _load_ignore(folder: str) -> _Ignore | None:
    """The folder's .gitignore, if it is a regular file: a symbolic link (to /dev/zero,
    a FIFO, a file outside the tree) is not followed, as git does not follow it either."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(folder, ".gitignore"), flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, IGNORE_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    lines = data.decode("utf-8", "replace").splitlines()
    return _Ignore(_prefix(folder), _spec(lines))


#: Folders of third-party code, skipped unless --include-vendored.
VENDORED = frozenset({"node_modules", "bower_components", "jspm_packages", "vendor",
                      "site-packages", "dist-packages"})


def walk(root: Path, excludes: GitIgnoreSpec | None,
         vendored: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """(file, kind) under ``root``; paths are spelt as ``str(root / relative path)``.

    Strings, not :class:`Path` objects, and one ``os.scandir`` per folder: the file type
    comes from the folder listing, and ignored folders are never listed. With a
    ``vendored`` list, vendored folders are not entered but appended to it.
    """
    top = str(root)
    base = len(_prefix(top))
    todo: list[tuple[str, tuple[_Ignore, ...]]] = [(top, ())]
    while todo:
        folder, stack = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        if any(e.name == ".gitignore" for e in entries):
            own = _load_ignore(folder)
            stack = (*stack, own) if own else stack
        prefix = _prefix(folder)
        for e in entries:
            name = e.name
            if name == ".git":
                continue
            path = prefix + name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if stack and _ignored(path, is_dir, stack):
                continue
            if excludes is not None and excludes.match_file(
                _posix(path[base:]) + ("/" if is_dir else "")
            ):
                continue
            if is_dir:
                if vendored is not None and name in VENDORED:
                    vendored.append(path)
                    continue
                todo.append((path, stack))
            elif e.is_file(follow_symlinks=False):
                kind = _kind(path, name)
                if kind:
                    yield path, kind


def collect(paths: Iterable[Path], exclude: Sequence[str] = (),
            vendored: list[str] | None = None) -> list[tuple[str, str]]:
    """(path, kind) of every file to lint under ``paths``; duplicates removed. With a
    ``vendored`` list, vendored folders are skipped and named there."""
    excludes = _spec(list(exclude)) if exclude else None
    seen: dict[str, str] = {}
    for p in paths:
        if p.is_dir():
            for file, kind in walk(p, excludes, vendored):
                seen.setdefault(file, kind)
        elif p.is_file():
            found = _kind(str(p), p.name)
            if found and not (excludes is not None and excludes.match_file(p.as_posix())):
                seen.setdefault(str(p), found)
        else:
            raise WalkError(f"{p}: no such file or folder")
    return sorted(seen.items())


#: Settings that would make git run a program named in the repository's own config
#: (a tree to lint may come with its ``.git``): turned off for every git we start.
GIT_SAFE = ("-c", "core.fsmonitor=false", "-c", "diff.external=")


def _git(cwd: Path, *args: str) -> list[str]:
    """``git -C cwd ARGS`` (options of ours only: every user value comes after
    ``--end-of-options`` or ``--``); its output lines."""
    import subprocess  # only --changed-since needs it

    try:
        done = subprocess.run(
            ["git", *GIT_SAFE, "-C", str(cwd), *args],
            capture_output=True, text=True, check=True, timeout=60, stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise WalkError("--changed-since needs git, which is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise WalkError(f"git {' '.join(args)}: {exc.stderr.strip()}") from None
    except subprocess.TimeoutExpired:
        raise WalkError(f"git {' '.join(args)}: timed out") from None
    return [line for line in done.stdout.splitlines() if line]


def revision(rev: str, folder: Path) -> str:
    """The commit id ``rev`` names in the repository of ``folder``; WalkError otherwise.

    The value is only ever given to git after ``--end-of-options``, and what git is
    given afterwards is the 40-hex commit id, never the user's text: ``--output=FILE``
    is refused as a revision instead of being read as an option.
    """
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise WalkError(f"--changed-since {rev!r}: not a git revision")
    try:
        found = _git(folder, "rev-parse", "--verify", "--quiet", "--end-of-options",
                     rev + "^{commit}")
    except WalkError:
        found = []
    if len(found) != 1 or not all(c in "0123456789abcdef" for c in found[0]):
        raise WalkError(f"--changed-since {rev!r}: not a commit in the git repository of {folder}")
    return found[0]


def changed_since(rev: str, where: Path) -> set[str]:
    """Absolute paths changed since ``rev`` (committed, staged, unstaged) or untracked."""
    folder = where if where.is_dir() else where.parent
    top = Path(_git(folder, "rev-parse", "--show-toplevel")[0])
    commit = revision(rev, top)
    names = _git(top, "diff", "--no-ext-diff", "--no-textconv", "--name-only",
                 "--diff-filter=d", "--end-of-options", commit, "--")
    names += _git(top, "ls-files", "--others", "--exclude-standard", "--")
    return {str((top / n).resolve()) for n in names}


def only_changed(files: list[tuple[str, str]], changed: set[str]) -> list[tuple[str, str]]:
    return [(p, k) for p, k in files if str(Path(p).resolve()) in changed]
