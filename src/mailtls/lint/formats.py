"""More configuration formats: JSON, INI/TOML (and .npmrc, .gitconfig, .curlrc, .wgetrc,
systemd units) and Dockerfiles (PowerShell: :mod:`.powershell`).

Keys are read in their context: a JSON value knows the chain of objects it sits in
(``{"smtp": {"verify_peer": false}}`` is ``smtp.verify_peer``), an INI/TOML key its
section. A key that names a verification switch (``verify_peer``, ``rejectUnauthorized``,
``sslVerify``, ``validate_certs``, ``strict-ssl``...) set to false, or an "insecure" switch
(``insecure_skip_verify``, ``allow_self_signed``, ``trust_all``...) set to true, is
``lint.config.tls_verify_off``; its scope is mail when the key chain or the file name
speaks of mail (an ``smtp``/``imap``/``mail`` object or file). Comments are dropped, so a
commented-out line is never a finding.
"""

from __future__ import annotations

import json
import os
import re
import shlex

from .base import Scan, strip_quotes
from .keys import key_value
from .shell import logical_lines, scan_shell

_JSON_TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*"?|[{}\[\]:,]|[^\s{}\[\]:,"/]+|/', re.S
)
SCRIPT_KEYS = frozenset({"scripts", "script", "run", "command", "commands", "cmd"})


def _json_value(key_path: list[str], raw: str, line: int, out: Scan) -> None:
    value = raw
    if raw.startswith('"'):
        try:
            value = str(json.loads(raw))
        except ValueError:
            value = raw.strip('"')
        if any(k.lower() in SCRIPT_KEYS for k in key_path[-2:]):
            scan_shell(value, line, out)  # package.json "scripts", CI "run" steps
            return
    key_value(".".join(key_path), value, line, out)


def scan_json(text: str) -> Scan:
    """JSON (also with // and /* */ comments): every scalar with its chain of keys."""
    out = Scan()
    path: list[str] = []  # the key of each open container ("" for array items / the top)
    frames: list[str] = []  # "{" or "["
    key: str | None = None
    expect_key = False
    line = 1
    for match in _JSON_TOKEN.finditer(text):
        tok = match.group()
        c = tok[0]
        if c.isspace() or tok.startswith(("//", "/*")):
            line += tok.count("\n")
            continue
        in_object = bool(frames) and frames[-1] == "{"
        if c in "{[":
            path.append((key if in_object else (path[-1] if path else "")) or "")
            frames.append(c)
            key, expect_key = None, c == "{"
        elif c in "}]":
            if frames:
                frames.pop()
                path.pop()
            key, expect_key = None, False
        elif c == ",":
            key, expect_key = (None, True) if in_object else (key, False)
        elif c == ":":
            expect_key = False
        elif expect_key and in_object:
            key = strip_quotes(tok) if c != '"' else _unquote(tok)
        else:
            chain = [p for p in path if p] + ([key] if in_object and key else [])
            _json_value(chain, tok, line, out)
        line += tok.count("\n")
    return out


def _unquote(tok: str) -> str:
    try:
        return str(json.loads(tok))
    except ValueError:
        return tok.strip('"')


_SECTION = re.compile(r"^\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:[#;].*)?$")
_PAIR = re.compile(r"^([^=:\s\[][^=:]*?)\s*[=:]\s*(.*)$")
_INLINE = re.compile(r"([\w.\"'-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^,}\s]+)")
CURLRC_INSECURE = frozenset({"insecure", "-k", "--insecure", "k"})


def _strip_comment(value: str) -> str:
    if value[:1] in "\"'":
        return value
    return re.split(r"\s+[#;]", value, maxsplit=1)[0].strip()


def scan_ini(text: str, path: str = "") -> Scan:
    """INI, TOML, .npmrc, .gitconfig, .curlrc, .wgetrc and systemd units, line by line."""
    out = Scan()
    name = os.path.basename(path).lower()
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        head = _SECTION.match(line)
        if head:
            section = head.group(1).replace('"', "").replace("'", "").replace(" ", ".")
            continue
        if name in (".curlrc", "curlrc") and line.split()[0].lstrip("-") in CURLRC_INSECURE:
            out.hit("lint.config.tls_verify_off", number, key="insecure", value="(set)")
            continue
        pair = _PAIR.match(line)
        if not pair:
            continue
        key, value = pair.group(1).strip().strip("\"'"), _strip_comment(pair.group(2).strip())
        full = f"{section}.{key}" if section else key
        if key.lower() == "environment" and section.lower() == "service":
            _assignments(value, number, out)
        elif key.lower().startswith("exec") and section.lower() == "service":
            scan_shell(value.lstrip("-@+!:"), number, out)
        elif value.startswith("{"):
            for k, v in _INLINE.findall(value):
                key_value(f"{full}.{k.strip(chr(34) + chr(39))}", v, number, out)
        else:
            key_value(full, value, number, out)
    return out


def _assignments(value: str, line: int, out: Scan) -> None:
    """``A=1 "B=two words"`` (systemd Environment=, Dockerfile ENV): each pair's rules."""
    try:
        words = shlex.split(value, comments=True)
    except ValueError:
        words = value.split()
    for word in words:
        k, eq, v = word.partition("=")
        if eq:
            key_value(k, v, line, out)


def scan_dockerfile(text: str) -> Scan:
    """ENV/ARG values (``ENV NODE_TLS_REJECT_UNAUTHORIZED=0``) and RUN commands."""
    out = Scan()
    for number, line in logical_lines(text):
        words = line.strip().split(None, 1)
        if len(words) < 2 or words[0].startswith("#"):
            continue
        instruction, rest = words[0].upper(), words[1]
        if instruction in ("ENV", "ARG"):
            if "=" in rest.split(None, 1)[0]:
                _assignments(rest, number, out)
            elif instruction == "ENV" and len(rest.split(None, 1)) == 2:
                k, v = rest.split(None, 1)
                key_value(k, v.strip(), number, out)
        elif instruction in ("RUN", "CMD", "ENTRYPOINT") and not rest.lstrip().startswith("["):
            scan_shell(rest, number, out)
    return out
