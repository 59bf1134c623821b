"""Turn findings' fixes into edited file texts, as ``postconf -e`` / ``postconf -P`` would.

``postconf -e 'name = value'`` replaces the (last) logical line of ``name`` in main.cf,
continuation lines included, or appends one; ``postconf -P 'svc/type/name=value'``
replaces the service's ``-o name=...`` or adds ``-o name=value`` as a new line of the
entry. A Dovecot fix (``key = value``) replaces the line the finding points at when that
line sets ``key``, else is appended to the file. Other commands (``chmod``) are not file
edits: they are returned to be shown.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
