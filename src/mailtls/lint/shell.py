"""Shell commands: ``curl -k``, ``swaks`` TLS without ``--tls-verify``, wrappers of them.

Lines are joined at backslash continuations, then split into words by :mod:`shlex`
(comments dropped, quotes honoured) and into commands at ``;``, ``&&``, ``||`` and ``|``.
A word in a comment or inside an ``echo``'d string is never a command. sh, bash, zsh,
ksh, bats and fish are read alike (their simple commands look the same).

- ``curl -k``/``--insecure`` is a finding for any URL but a loopback one (nothing on the
  network path of ``https://localhost``); its scope is mail for ``smtp(s)://``,
  ``imap(s)://``, ``pop3(s)://``.
- ``NODE_TLS_REJECT_UNAUTHORIZED=0 node app.js`` or ``export ...=0`` switches Node's checks
  off for the process.
- A function that hands its arguments (``"$@"``) to swaks, curl or ``openssl s_client``
  without verification, and whose callers ask for TLS (``_send --port 587 -tls``), is a
  finding at its definition that names the lines of those callers
  (``lint.shell.wrapper_no_verify``): the verification is missing in one place, and that
  is where it is fixed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from .base import Hit, Scan

MAIL_URL = re.compile(r"^(smtps?|imaps?|pop3s?)://", re.IGNORECASE)
ANY_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
LOOPBACK_URL = re.compile(
    r"^[a-z0-9+.-]+://(?:[^@/]*@)?(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?:[:/]|$)", re.I
)
FORWARD = frozenset({"$@", "$*", "${@}", "${*}", "$argv"})
FUNCTION = re.compile(
    r"^\s*(?:function\s+([\w:.-]+)\s*(?:\(\s*\))?|([\w:.-]+)\s*\(\s*\))\s*(\{)?"
)
SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
SWAKS_TLS = frozenset(
    {"tls", "tlsc", "tls-on-connect", "tlso", "tls-optional", "tlsos", "tls-optional-strict"}
)
SWAKS_VERIFY = frozenset({"tls-verify", "tls-verify-host"})
WRAPPERS = frozenset({"sudo", "exec", "time", "nice", "env", "command", "nohup", "run",
                      "builtin", "eval"})


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with backslash-newline continuations joined."""
    start, parts = 0, list[str]()
    for number, line in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def commands(line: str) -> Iterator[list[str]]:
    """The simple commands of one logical line, as word lists."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    try:
        for token in lexer:
            if token in SEPARATORS:
                if words:
                    yield words
                words = []
            else:
                words.append(token)
    except ValueError:  # unbalanced quotes: keep what was read
        pass
    if words:
        yield words


def _program(words: list[str]) -> tuple[str, list[str]]:
    i = 0
    while i < len(words) and (words[i] in WRAPPERS or "=" in words[i].split("/")[0]):
        i += 1
    if i >= len(words):
        return "", []
    return words[i].rsplit("/", 1)[-1], words[i + 1 :]


def _curl_k(args: list[str]) -> bool:
    return any(
        a == "--insecure" or (a.startswith("-") and not a.startswith("--") and "k" in a[1:])
        for a in args
    )


def _curl_insecure(args: list[str]) -> str | None:
    """The URL (or the word that stands for it) of a ``curl -k``, unless it is loopback."""
    if not _curl_k(args):
        return None
    urls = [a for a in args if ANY_URL.match(a)]
    if urls and all(LOOPBACK_URL.match(u) for u in urls):
        return None
    mail = next((u for u in urls if MAIL_URL.match(u)), None)
    return mail or (urls[0] if urls else next((a for a in args if "$" in a), "?"))


def _swaks_unverified(args: list[str]) -> bool:
    flags = {a.lstrip("-") for a in args if a.startswith("-")}
    return bool(flags & SWAKS_TLS) and not flags & SWAKS_VERIFY


def _node_env(words: list[str]) -> bool:
    """``NODE_TLS_REJECT_UNAUTHORIZED=0`` as an assignment before a command or exported."""
    for w in words:
        name, eq, value = w.partition("=")
        if eq and name == "NODE_TLS_REJECT_UNAUTHORIZED" and value.strip() == "0":
            return True
        if not eq and w not in ("export", "env", "declare", "-x", "set", "-gx", "-x"):
            return False
    return False


def _command(prog: str, words: list[str], args: list[str], line: int, out: Scan) -> None:
    if _node_env(words):
        out.hit("lint.env.node_tls_reject_unauthorized", line)
    if prog == "curl":
        url = _curl_insecure(args)
        if url:
            params = {"url": url, "scope": "mail"} if MAIL_URL.match(url) else {"url": url}
            out.hits.append(Hit("lint.shell.curl_insecure", line, params=params))
    elif prog == "swaks" and _swaks_unverified(args):
        out.hit("lint.shell.swaks_no_verify", line)
    elif prog == "set" and args[:2] == ["-gx", "NODE_TLS_REJECT_UNAUTHORIZED"] and \
            args[2:3] == ["0"]:  # fish
        out.hit("lint.env.node_tls_reject_unauthorized", line)


def scan_shell(text: str, first_line: int = 1, out: Scan | None = None) -> Scan:
    """Scan shell text; ``first_line`` shifts line numbers (a YAML ``run:`` block)."""
    out = out if out is not None else Scan()
    parsed: list[tuple[int, str, list[str]]] = []  # (line, program, args): for the wrappers
    for number, line in logical_lines(text):
        for words in commands(line):
            prog, args = _program(words)
            _command(prog, words, args, number + first_line - 1, out)
            parsed.append((number + first_line - 1, prog, args))
    _wrappers(text, first_line, parsed, out)
    return out


def _forwards(args: list[str]) -> bool:
    return any(a in FORWARD for a in args)


def _wrapped(prog: str, args: list[str]) -> tuple[str, bool] | None:
    """The tool a function body hands its arguments to without verification, and whether
    the body itself already asks for TLS without a check (``swaks --tls "$@"``,
    ``curl -k "$@"``)."""
    if not _forwards(args):
        return None
    if prog == "swaks" and not {a.lstrip("-") for a in args} & SWAKS_VERIFY:
        return "swaks", _swaks_unverified(args)
    if prog == "curl":
        return "curl", _curl_k(args)
    if prog == "openssl" and args[:1] == ["s_client"] and "-verify_return_error" not in args:
        return "openssl", True
    return None


def _insecure_call(tool: str, in_body: bool, args: list[str]) -> bool:
    """Whether a caller's arguments make the wrapped tool run TLS without a check."""
    if tool == "swaks":
        return in_body or _swaks_unverified(args)
    if tool == "curl":
        return _curl_k(args) or (in_body and _curl_insecure(["-k", *args]) is not None)
    return in_body


def _functions(text: str, first_line: int) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of each function definition: to the matching brace,
    or to ``end`` for fish's ``function name`` ... ``end``."""
    found: list[tuple[str, int, int]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = FUNCTION.match(line)
        if not m:
            continue
        name, end, depth, opened = m.group(1) or m.group(2), len(lines) - 1, 0, False
        for j in range(i, len(lines)):
            code = lines[j].split(" #", 1)[0]
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if (opened and depth <= 0) or (not opened and j > i and code.strip() == "end"):
                end = j
                break
            if not opened and j > i + 1 and m.group(1) is None:
                break  # "name()" with no body in sight: not a definition we can read
        found.append((name, i + first_line, end + first_line))
    return found


def _wrappers(text: str, first_line: int, parsed: list[tuple[int, str, list[str]]],
              out: Scan) -> None:
    if "(" not in text and "function" not in text:
        return
    for name, start, end in _functions(text, first_line):
        inner = [w for line, prog, args in parsed if start <= line <= end
                 and (w := _wrapped(prog, args))]
        if not inner:
            continue
        callers = [line for line, prog, args in parsed if prog == name
                   and not start <= line <= end
                   and any(_insecure_call(tool, body, args) for tool, body in inner)]
        if callers:
            tools = ", ".join(sorted({tool for tool, _ in inner}))
            out.hit("lint.shell.wrapper_no_verify", start, name=name, tool=tools,
                    callers=", ".join(map(str, callers)))
