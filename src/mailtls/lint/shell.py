"""Shell commands: ``curl -k`` against a mail URL, ``swaks`` TLS without ``--tls-verify``.

Lines are joined at backslash continuations, then split into words by :mod:`shlex`
(comments dropped, quotes honoured) and into commands at ``;``, ``&&``, ``||`` and ``|``.
A word in a comment or inside an ``echo``'d string is never a command.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from .base import Scan

MAIL_URL = re.compile(r"^(smtps?|imaps?|pop3s?)://", re.IGNORECASE)
SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&"})
SWAKS_TLS = frozenset(
    {"tls", "tlsc", "tls-on-connect", "tlso", "tls-optional", "tlsos", "tls-optional-strict"}
)
SWAKS_VERIFY = frozenset({"tls-verify", "tls-verify-host"})
WRAPPERS = frozenset({"sudo", "exec", "time", "nice", "env", "command", "nohup"})


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


def _curl_insecure(args: list[str]) -> str | None:
    insecure = any(
        a == "--insecure" or (a.startswith("-") and not a.startswith("--") and "k" in a[1:])
        for a in args
    )
    url = next((a for a in args if MAIL_URL.match(a)), None)
    return url if insecure and url else None


def _swaks_unverified(args: list[str]) -> bool:
    flags = {a.lstrip("-") for a in args if a.startswith("-")}
    return bool(flags & SWAKS_TLS) and not flags & SWAKS_VERIFY


def scan_shell(text: str, first_line: int = 1, out: Scan | None = None) -> Scan:
    """Scan shell text; ``first_line`` shifts line numbers (a YAML ``run:`` block)."""
    out = out if out is not None else Scan()
    for number, line in logical_lines(text):
        for words in commands(line):
            prog, args = _program(words)
            if prog == "curl":
                url = _curl_insecure(args)
                if url:
                    out.hit("lint.shell.curl_insecure", number + first_line - 1, url=url)
            elif prog == "swaks" and _swaks_unverified(args):
                out.hit("lint.shell.swaks_no_verify", number + first_line - 1)
    return out
