"""Turn findings' fixes into edited file texts, as ``postconf -e`` / ``postconf -P`` would.

``postconf -e 'name = value'`` replaces the (last) logical line of ``name`` in main.cf,
continuation lines included, or appends one; ``postconf -P 'svc/type/name=value'``
replaces the service's ``-o name=...`` or adds ``-o name=value`` as a new line of the
entry. A Dovecot fix (``key = value``) replaces the line the finding points at when that
line sets ``key``, else is appended to the file. Other commands (``chmod``) are not file
edits: they are returned to be shown.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..model import Finding
from .postfix import parse_main, parse_master, split_nameval


@dataclass
class Plan:
    originals: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    def changed(self) -> list[str]:
        return [p for p, t in self.texts.items() if t != self.originals[p]]

    def diff(self) -> str:
        out: list[str] = []
        for path in self.changed():
            out += difflib.unified_diff(self.originals[path].splitlines(True),
                                        self.texts[path].splitlines(True), path, path)
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def set_main(text: str, name: str, value: str) -> str:
    settings, _ = parse_main(text, "main.cf")
    hits = [s for s in settings if s.name == name]
    new = f"{name} = {value}"
    lines = text.split("\n")
    if not hits:
        if lines and lines[-1] == "":
            lines.insert(len(lines) - 1, new)
        else:
            lines.append(new)
        return "\n".join(lines)
    s = hits[-1]
    kept = [x for x in lines[s.line : s.end_line] if not x.strip() or x.lstrip().startswith("#")]
    lines[s.line - 1 : s.end_line] = [new, *kept]
    return "\n".join(lines)


def _option(name: str, value: str) -> str:
    return f"-o {{ {name} = {value} }}" if re.search(r"\s", value) else f"-o {name}={value}"


def set_master(text: str, key: str, name: str, value: str) -> str:
    services, _ = parse_master(text, "master.cf")
    svc = next((s for s in services if s.key == key), None)
    if svc is None:
        return text
    lines = text.split("\n")
    current = svc.overrides.get(name)
    if current is not None and current.text and current.text in lines[current.line - 1]:
        lines[current.line - 1] = lines[current.line - 1].replace(
            current.text, _option(name, value), 1)
        return "\n".join(lines)
    lines.insert(svc.end_line, f"  {_option(name, value)}")
    return "\n".join(lines)


def set_dovecot(text: str, line: int, key: str, value: str) -> str:
    lines = text.split("\n")
    if 1 <= line <= len(lines):
        current = lines[line - 1]
        k, sep, _ = current.partition("=")
        if sep and k.strip() == key:
            indent = current[: len(current) - len(current.lstrip())]
            lines[line - 1] = f"{indent}{key} = {value}"
            return "\n".join(lines)
    if lines and lines[-1] == "":
        lines.insert(len(lines) - 1, f"{key} = {value}")
    else:
        lines.append(f"{key} = {value}")
    return "\n".join(lines)


def _postconf(cmd: str, plan: Plan, read: dict[str, str]) -> bool:
    try:
        argv = shlex.split(cmd)
    except ValueError:
        return False
    if len(argv) != 5 or argv[0] != "postconf" or argv[1] != "-c" or argv[3] not in ("-e", "-P"):
        return False
    directory = Path(argv[2])
    if argv[3] == "-e":
        nv = split_nameval(argv[4])
        path = str(directory / "main.cf")
        if nv is None or path not in read:
            return False
        plan.texts[path] = set_main(plan.texts[path], nv[0], nv[1])
        return True
    path = str(directory / "master.cf")
    target, _, value = argv[4].partition("=")
    svc, _, name = target.strip().rpartition("/")
    if not svc or path not in read:
        return False
    plan.texts[path] = set_master(plan.texts[path], svc, name, value.strip())
    return True


def plan_fixes(findings: Sequence[Finding], read: dict[str, str]) -> Plan:
    """Apply every finding's fix to the texts in ``read`` (path -> current text)."""
    plan = Plan(dict(read), dict(read))
    for f in findings:
        if not f.fix:
            continue
        for cmd in f.fix.split("\n"):
            if cmd.startswith("postconf "):
                if not _postconf(cmd, plan, read):
                    plan.commands.append(cmd)
            elif f.id.startswith("dovecot.") and "=" in cmd and not cmd.startswith("chmod"):
                path = f.location.file if f.location else ""
                if path in read:
                    k, _, v = cmd.partition("=")
                    line = f.location.line if f.location else 0
                    plan.texts[path] = set_dovecot(plan.texts[path], line, k.strip(), v.strip())
                else:
                    plan.commands.append(cmd)
            elif cmd not in plan.commands:
                plan.commands.append(cmd)
    return plan


# --- writing the fixed files ------------------------------------------------------------


class WriteRefused(ConfigError):
    """A fixed file that would be written where it must not (outside --to, over the source).

    ``reason`` is a catalogue sentence with ``{path}`` (and ``{folder}``/``{source}``).
    """

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason.format(**params))
        self.reason = reason
        self.params = params


OVER_SOURCE = ("Refused to write {path}: it is {source}, the file being fixed; "
               "give --to a folder of its own (or use --in-place).")
ESCAPES = "Refused to write {path}: a symbolic link leads it out of {folder}."
NOT_A_FOLDER = "Refused to write {path}: {folder} is not a folder."


@dataclass(frozen=True)
class Written:
    path: Path
    backup: Path | None  # the copy of what was there before, if anything was


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _folder_in(root: str, parts: Sequence[str], shown: Path) -> str:
    """The real folder ``root/parts...``, made when missing; never a way out of ``root``.

    Each step is checked before it is used, so ``mkdir`` never follows a link out.
    """
    current = root
    for part in parts:
        step = os.path.join(current, part)
        try:
            st = os.lstat(step)
        except FileNotFoundError:
            os.mkdir(step, 0o755)
            current = step
            continue
        if stat.S_ISLNK(st.st_mode):
            step = os.path.realpath(step)
            if not _inside(step, root):
                raise WriteRefused(ESCAPES, path=str(shown), folder=root)
            st = os.stat(step)
        if not stat.S_ISDIR(st.st_mode):
            raise WriteRefused(NOT_A_FOLDER, path=str(shown), folder=step)
        current = step
    return current


def _fresh(path: str) -> str:
    """A name next to ``path`` that does not exist, not even as a dangling link."""
    candidate, n = path + ".bak", 1
    while os.path.lexists(candidate):
        candidate, n = f"{path}.bak.{n}", n + 1
    return candidate


def _backup(path: str) -> str:
    """Copy ``path`` (a regular file) to a new ``.bak`` beside it; O_EXCL: never through a link."""
    backup = _fresh(path)
    with open(path, "rb") as src, open(backup, "xb") as out:
        shutil.copyfileobj(src, out)
    shutil.copystat(path, backup)
    return backup


def _replace(path: str, text: str, mode: int) -> None:
    """Write ``text`` to a new file and rename it over ``path`` (a link there is replaced,
    never followed)."""
    fd, tmp = tempfile.mkstemp(prefix=".mailtls-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_under(root: Path, files: dict[str, str]) -> list[Written]:
    """Write ``files`` (source path -> text) as ``root/<absolute source path>``.

    Every file lands inside ``root`` (symbolic links that lead out are refused), never
    on its own source, and anything it replaces is kept as ``.bak``. All destinations
    are checked before the first byte is written.
    """
    os.makedirs(root, exist_ok=True)
    real_root = os.path.realpath(root)
    plans: list[tuple[str, str, Path, str]] = []
    for source, text in files.items():
        absolute = Path(os.path.abspath(source))
        relative = absolute.relative_to(absolute.anchor)
        shown = root / relative
        folder = _folder_in(real_root, relative.parts[:-1], shown)
        dest = os.path.join(folder, relative.name)
        real_source = os.path.realpath(source)
        if os.path.realpath(dest) == real_source or (
            os.path.exists(dest) and os.path.samefile(dest, real_source)
        ):
            raise WriteRefused(OVER_SOURCE, path=str(shown), source=source)
        if os.path.islink(dest) and not _inside(os.path.realpath(dest), real_root):
            raise WriteRefused(ESCAPES, path=str(shown), folder=str(root))
        plans.append((dest, text, shown, source))
    written: list[Written] = []
    for dest, text, shown, source in plans:
        backup = None
        if os.path.isfile(dest) and not os.path.islink(dest):
            with open(dest, encoding="utf-8", errors="surrogateescape", newline="") as f:
                if f.read() == text:
                    written.append(Written(shown, None))
                    continue
            backup = Path(_backup(dest))
        _replace(dest, text, stat.S_IMODE(os.stat(source).st_mode))
        written.append(Written(shown, backup))
    return written


def write_in_place(files: dict[str, str]) -> list[Written]:
    """Write each file's new text over it, after copying it to a new ``.bak``."""
    written: list[Written] = []
    for source, text in files.items():
        backup = _backup(source)
        with open(source, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
        written.append(Written(Path(source), Path(backup)))
    return written


def companions(plan: Plan) -> dict[str, str]:
    """The files a ``--to`` copy needs: the changed ones, and the other of main.cf and
    master.cf beside a changed one, so that ``postfix -c`` can read the copy."""
    out = {p: plan.texts[p] for p in plan.changed()}
    for path in list(out):
        name = os.path.basename(path)
        if name in ("main.cf", "master.cf"):
            other = os.path.join(os.path.dirname(path),
                                 "master.cf" if name == "main.cf" else "main.cf")
            if other not in out:
                text = plan.texts.get(other)
                if text is None and os.path.isfile(other):
                    with open(other, encoding="utf-8", errors="surrogateescape",
                              newline="") as f:
                        text = f.read()
                if text is not None:
                    out[other] = text
    return out
