"""Configuration formats: .properties, YAML, .env, msmtprc, muttrc, Postfix main.cf.

Each has a small real parser (key/value with continuations, a YAML node tree with line
marks, shlex for muttrc), so a commented-out line is never a finding.
"""

from __future__ import annotations

import importlib
import re
import shlex
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from .base import Hit, Scan, is_false
from .keys import key_value
from .shell import scan_shell

SHELL_KEYS = frozenset({"run", "script", "before_script", "after_script", "command"})


def properties_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a .properties file (continuations joined, comments dropped)."""
    start, buf = 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not buf:
            if not line or line[0] in "#!":
                continue
            start = number
        if line.endswith("\\") and not line.endswith("\\\\"):
            buf += line[:-1]
            continue
        yield start, buf + line
        buf = ""
    if buf:
        yield start, buf


def scan_properties(text: str) -> Scan:
    out = Scan()
    for number, line in properties_lines(text):
        match = re.match(r"((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$", line)
        if match:
            key_value(match.group(1).replace("\\", ""), match.group(2).strip(), number, out)
    return out


def scan_env(text: str) -> Scan:
    out = Scan()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        if value and value[0] not in "'\"":
            value = value.split(" #", 1)[0]
        key_value(key.strip(), value.strip(), number, out)
    return out


def scan_yaml(text: str) -> Scan:
    out = Scan()
    try:
        for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if doc is not None:
                _walk_yaml(doc, "", out)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out.note("lint.file_partial", "syntax errors; scanned what parsed",
                 mark.line + 1 if mark is not None else 1)
    except RecursionError:
        out.note("lint.file_partial", "nested too deeply to parse")
    return out


#: Node visits a YAML document may take beyond one per node: an alias (``*name``) is
#: walked again under each key that uses it, as the program reading the file sees it,
#: until this many extra visits; past it each node is walked once (a "billion laughs"
#: file of a few hundred bytes would otherwise expand to 10^9 nodes).
ALIAS_VISITS = 100_000


def _walk_yaml(node: yaml.Node, prefix: str, out: Scan) -> None:
    stack: list[tuple[yaml.Node, str]] = [(node, prefix)]
    seen: set[int] = set()
    extra = 0
    while stack:
        current, path = stack.pop()
        if id(current) in seen:
            extra += 1
            if extra > ALIAS_VISITS:
                if extra == ALIAS_VISITS + 1:
                    out.note("lint.file_partial",
                             "YAML aliases expand too far; each aliased part scanned once")
                continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            if _env_entry(current, path, out):
                continue
            for key_node, value_node in current.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, f"{path}.{key}" if path else key))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, path) for item in current.value)
        elif isinstance(current, yaml.ScalarNode):
            _yaml_scalar(current, path, out)


def _env_entry(node: yaml.MappingNode, path: str, out: Scan) -> bool:
    """A Kubernetes/Helm ``env:`` item, ``{name: NODE_TLS_REJECT_UNAUTHORIZED, value: "0"}``:
    read as the pair it stands for."""
    if len(node.value) > 3:
        return False
    fields = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    name, value = fields.get("name"), fields.get("value")
    if not (isinstance(name, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)):
        return False
    key_value(f"{path}.{name.value}" if path else str(name.value), str(value.value),
              value.start_mark.line + 1, out)
    return True


def _yaml_scalar(node: yaml.ScalarNode, path: str, out: Scan) -> None:
    line = node.start_mark.line + 1
    last = path.rsplit(".", 1)[-1]
    value = str(node.value)
    if last in ("environment", "env") and "=" in value and node.style is None:
        name, _, assigned = value.partition("=")  # compose: environment: [A=1]
        key_value(f"{path}.{name.strip()}", assigned, line, out)
        return
    if last in SHELL_KEYS and ("curl" in value or "swaks" in value):
        first = line + 1 if node.style in ("|", ">") else line
        scan_shell(value, first, out)
        return
    key_value(path, value, line, out)


def scan_msmtp(text: str) -> Scan:
    out = Scan()
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "tls_certcheck" and words[1].lower() == "off":
            out.hit("lint.msmtp.tls_certcheck_off", number)
    return out


MUTT_VARS = {
    "ssl_verify_host": "lint.mutt.ssl_verify_host_off",
    "ssl_verify_dates": "lint.mutt.ssl_verify_dates_off",
}


def _mutt_off(command: str, assignment: str) -> str | None:
    """The variable that ``set``/``unset`` ``assignment`` turns off, if one of ours."""
    name, _, value = assignment.partition("=")
    for prefix in ("no", "inv"):
        if command == "set" and name.startswith(prefix) and name[len(prefix):] in MUTT_VARS:
            return name[len(prefix):]
    turned_off = command in ("unset", "toggle") or (command == "set" and is_false(value or "yes"))
    if name in MUTT_VARS and turned_off:
        return name
    return None


def scan_mutt(text: str) -> Scan:
    out = Scan()
    for number, raw in enumerate(text.splitlines(), 1):
        try:
            words = shlex.split(re.sub(r"\s*=\s*", "=", raw), comments=True)
        except ValueError:
            continue
        command = ""
        for word in words:
            for part in word.split(";"):
                if part in ("set", "unset", "toggle", "reset"):
                    command = part
                elif command and part:
                    var = _mutt_off(command, part.replace(" ", ""))
                    if var:
                        out.hit(MUTT_VARS[var], number, key=var)
    return out


#: The optional hook into ``mailtls audit-config``: a module with
#: ``lint_main_cf(text: str, path: str) -> list[tuple[str, int, dict[str, str]]]``
#: (finding id, line, params). Until it exists, main.cf files are not scanned.
POSTFIX_MODULE = "mailtls.checks.postfix"


def postfix_rules() -> Callable[[str, str], list[tuple[str, int, dict[str, str]]]] | None:
    """The audit-config rules for main.cf, if that module is installed and has the hook."""
    try:
        module: Any = importlib.import_module(POSTFIX_MODULE)
    except ImportError:
        return None
    hook = getattr(module, "lint_main_cf", None)
    return hook if callable(hook) else None


def scan_postfix(text: str, path: str = "main.cf") -> Scan:
    out = Scan()
    hook = postfix_rules()
    if hook is None:
        return out
    for finding_id, line, params in hook(text, path):
        out.hits.append(Hit(finding_id, line, params=dict(params)))
    return out
