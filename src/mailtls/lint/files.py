"""Which scanner reads a file, from its name (and, for scripts without a suffix, its shebang).

When the name lies, the content decides (:func:`refine`, in the worker that has read the
bytes anyway): a ``.py`` or ``.js`` file whose ``#!`` line names a shell is read as shell,
a ``.inc`` file as PHP only when it holds ``<?php``, a ``.json`` file that is not JSON
(no ``{`` or ``[`` first) is not read as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath

from .base import Scan

SUFFIXES = {
    ".py": "python",
    ".pyw": "python",
    ".java": "java",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".php": "php",
    ".phtml": "php",
    ".phps": "php",
    ".php3": "php",
    ".php4": "php",
    ".php5": "php",
    ".php7": "php",
    ".phpt": "php",
    ".inc": "php?",  # PHP only when the content says so (refine)
    ".go": "go",
    ".cs": "csharp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".rs": "rust",
    ".properties": "properties",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".env": "env",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".bats": "shell",
    ".fish": "shell",
    ".dash": "shell",
    ".json": "json",
    ".jsonc": "json",
    ".json5": "json",
    ".ini": "ini",
    ".toml": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".cnf": "ini",
    ".service": "ini",
    ".npmrc": "ini",
    ".gitconfig": "ini",
    ".ps1": "powershell",
    ".psm1": "powershell",
    ".dockerfile": "dockerfile",
}
NAMES = {
    "msmtprc": "msmtp",
    ".msmtprc": "msmtp",
    "muttrc": "mutt",
    ".muttrc": "mutt",
    "main.cf": "postfix",
    "Rakefile": "ruby",
    "Gemfile": "ruby",
    "Dockerfile": "dockerfile",
    "Containerfile": "dockerfile",
    ".curlrc": "ini",
    "curlrc": "ini",
    ".wgetrc": "ini",
    "wgetrc": "ini",
    ".npmrc": "ini",
    ".gitconfig": "ini",
    "composer.lock": "skip",
    "package-lock.json": "skip",
    "yarn.lock": "skip",
}
#: Generated lock files: thousands of lines of names and hashes, never a setting.
SKIP = "skip"


_S = rb"(?:[ \t\f]|\\\r?\n)"  # Python whitespace inside a statement, continuations too
_NAME = rb"[^ \t\f\r\n\\,;#()]+"
#: What precedes ``requests`` in ``import requests``, ``import os, requests.adapters``,
#: ``from httpx import Client``: searched between the start of the line (continuations
#: included) and the word, so the search starts only where the word is.
_IMPORT_HEAD = re.compile(
    rb"(?<![\w.])(?:import|from)" + _S + rb"+(?:" + _NAME + rb"(?:" + _S + rb"+as" + _S + rb"+"
    + _NAME + rb")?" + _S + rb"*," + _S + rb"*)*\Z"
)


class _Imports:
    """Matches data that may import one of ``names`` (a superset: comments and strings too)."""

    def __init__(self, *names: bytes) -> None:
        self.names = names

    def search(self, data: bytes) -> bool:
        for name in self.names:
            at = data.find(name)
            while at >= 0:
                after = data[at + len(name) : at + len(name) + 1]
                if not (after.isalnum() or after == b"_"):
                    start = data.rfind(b"\n", 0, at) + 1
                    while data[max(0, start - 3) : start].endswith((b"\\\n", b"\\\r\n")):
                        start = data.rfind(b"\n", 0, start - 2) + 1
                    if _IMPORT_HEAD.search(data, start, at):
                        return True
                at = data.find(name, at + 1)
        return False


#: The http rules need ``requests`` or ``httpx`` imported (``Visitor.http``).
HTTP_IMPORT = _Imports(b"requests", b"httpx")


class _AnyWord:
    """Matches data that holds one of ``words`` in any case (the data is lower-cased once:
    a case-insensitive regex with alternatives is ~20x slower than these ``in`` tests)."""

    def __init__(self, *words: bytes) -> None:
        self.words = words

    def search(self, data: bytes) -> bool:
        low = data.lower()
        return any(w in low for w in self.words)


#: A necessary condition of every configuration rule (a superset).
CONFIG_WORDS = _AnyWord(
    b"verif", b"reject", b"validat", b"insecure", b"certcheck", b"strictssl", b"strict-ssl",
    b"strict_ssl", b"selfsigned", b"self_signed", b"self-signed", b"trustall", b"trust_all",
    b"trust-all", b"ssl.trust", b"ignorecert", b"ignore_cert", b"ignoressl", b"ignore_ssl",
    b"curl", b"swaks", b"s_client",
)
POWERSHELL_WORDS = _AnyWord(b"validationcallback", b"skipcertificatecheck",
                            b"certificatepolicy")
Word = bytes | _Imports | _AnyWord

_JVM = ((b"ssl.trust",), (b"checkserveridentity",), (b"TrustAllHosts",),
        (b"checkServerTrusted",), (b"HostnameVerifier",), (b"HOSTNAME_VERIFIER",),
        (b"commons.mail",), (b"SSLSession",), (b"trustingAllHosts",), (b"trustingSSLHosts",),
        (b"verifyingServerIdentity",), (b"commons.net",))
_JS = ((b"rejectUnauthorized",), (b"ignoreTLS",), (b"NODE_TLS_REJECT_UNAUTHORIZED",))
#: A file of this kind can only match a rule if, for one of these tuples, it contains every
#: byte string of the tuple (and matches its pattern, if any) (as semgrep and ripgrep do: a
#: substring test is ~100x cheaper than a parse). Each tuple is a necessary condition of
#: some rule, e.g. Python's ``verify=False`` counts only where ``requests`` or ``httpx``
#: is imported, and a Django backend only where ``ssl_context`` is defined. The first
#: word of a tuple is a byte string. Kinds not listed are always parsed.
TRIGGERS: dict[str, tuple[tuple[Word, ...], ...]] = {
    "python": ((b"smtplib",), (b"imaplib",), (b"poplib",),  # aiosmtplib too
               (b"_create_unverified_context",), (b"_create_stdlib_context",),
               (b"CERT_NONE",), (b"cert_reqs",), (b"verify_mode",), (b"check_hostname",),
               (b"verify", HTTP_IMPORT),
               (b"flask_mail",), (b"yagmail",), (b"EmailBackend", b"ssl_context"),
               (b"tls_verify",), (b"ClientContextFactory",), (b"CertificateOptions",)),
    "java": _JVM,
    "kotlin": _JVM,
    "javascript": _JS,
    "typescript": _JS,
    "tsx": _JS,
    "php": ((b"verify_peer",), (b"allow_self_signed",), (b"SMTPAutoTLS",),
            (b"CURLOPT_SSL_VERIFY",)),
    "go": ((b"InsecureSkipVerify",),),
    "csharp": ((b"ValidationCallback",), (b"CheckCertificateRevocation",),
               (b"StartTlsWhenAvailable",), (b"SslStream",)),
    "ruby": ((b"verify_mode",), (b"VERIFY_NONE",), (b"Net::IMAP",)),
    "rust": ((b"accept_invalid_",), (b"SslVerifyMode",), (b"verify_hostname",),
             (b"dangerous()",)),
    # configuration: every key of ``configs.OFF_WHEN_*`` and the mail rules, any case
    "json": ((b"", CONFIG_WORDS),),
    "ini": ((b"", CONFIG_WORDS),),
    "dockerfile": ((b"", CONFIG_WORDS),),
    "powershell": ((b"", POWERSHELL_WORDS),),
}
#: Shared substrings searched first: a file without ``plib`` has none of ``smtplib``,
#: ``imaplib``, ``poplib``, so one pass over the bytes rules out three words.
GATES = (b"plib", b"_create_", b"verify", b"mail", b"TLS")

Plan = tuple[tuple[bytes, tuple[tuple[Word, ...], ...]], ...]


def _plan(alternatives: tuple[tuple[Word, ...], ...]) -> Plan:
    """The alternatives grouped under the first gate that their first word contains."""
    groups: dict[bytes, list[tuple[Word, ...]]] = {}
    for alt in alternatives:
        first = alt[0]
        assert isinstance(first, bytes)
        gate = next((g for g in GATES if g in first), first)
        groups.setdefault(gate, []).append(alt)
    return tuple((gate, tuple(alts)) for gate, alts in groups.items())


def _holds(words: tuple[Word, ...], data: bytes) -> bool:
    return all(w in data if isinstance(w, bytes) else w.search(data) for w in words)


PLANS: dict[str, Plan] = {kind: _plan(alts) for kind, alts in TRIGGERS.items()}


def may_match(kind: str, data: bytes) -> bool:
    """False when no rule of ``kind`` can match ``data`` (no trigger word in it)."""
    return prefilter(kind, data)[0]


#: An inline exception (:mod:`.allow`) needs this word; ``mail`` is its gate.
MARKER = b"mailtls:"


def prefilter(kind: str, data: bytes) -> tuple[bool, bool]:
    """(may match a rule of ``kind``, may hold an exception comment), from the bytes."""
    plan = PLANS.get(kind)
    match = plan is None
    mail: bool | None = None
    for gate, alternatives in plan or ():
        present = gate in data
        if gate == b"mail":
            mail = present
        if present and any(_holds(words, data) for words in alternatives):
            match = True
            break
    if mail is None:
        mail = b"mail" in data
    return match, mail and MARKER in data


def suffix(name: str) -> str:
    """``PurePath(name).suffix``, without building a path."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def kind_of(path: PurePath, head: bytes = b"") -> str | None:
    """The scanner kind for ``path``, or None when no scanner reads it."""
    return kind_of_name(path.name, head)


def kind_of_name(name: str, head: bytes = b"") -> str | None:
    """:func:`kind_of` for a file name (the walk has names, not paths)."""
    if name in NAMES:
        return None if NAMES[name] == SKIP else NAMES[name]
    if name.startswith((".env", "muttrc.", "msmtprc.")) or name.endswith((".muttrc", ".msmtprc")):
        if name == ".env" or name.startswith(".env."):
            return "env"
        if name.endswith(".muttrc") or name.startswith("muttrc."):
            return "mutt"
        if name.startswith("msmtprc.") or name.endswith(".msmtprc"):
            return "msmtp"
    if name.startswith(("Dockerfile.", "Containerfile.")):
        return "dockerfile"
    ext = suffix(name)
    kind = SUFFIXES.get(ext.lower())
    if kind is None and head.startswith(b"#!") and not ext:
        return shebang(head)
    return kind


SHELLS = (b"sh", b"bash", b"zsh", b"ksh", b"dash", b"bats", b"fish", b"mksh")


def shebang(head: bytes) -> str | None:
    """The kind a ``#!`` line names (``#!/usr/bin/env bash`` -> shell), if one we read."""
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    words = first[2:].split()
    if not words:
        return None
    prog = words[0].rsplit(b"/", 1)[-1]
    if prog == b"env" and len(words) > 1:
        prog = next((w for w in words[1:] if not w.startswith(b"-")), b"")
    if prog in SHELLS:
        return "shell"
    if prog.startswith(b"python"):
        return "python"
    if prog in (b"node", b"nodejs"):
        return "javascript"
    if prog.startswith(b"php"):
        return "php"
    if prog.startswith(b"ruby"):
        return "ruby"
    if prog in (b"pwsh", b"powershell"):
        return "powershell"
    return None


def refine(kind: str, data: bytes) -> str | None:
    """The kind from the content when the name lies (None: nothing to read in it)."""
    if kind == SKIP:
        return None
    if data.startswith(b"#!") and kind not in CONFIGS_AND_DATA:
        named = shebang(data[:256])
        if named is not None and named != kind and not (
                named == "javascript" and kind in ("typescript", "tsx")):
            return named
    if kind == "php?":
        return "php" if b"<?php" in data or b"<?=" in data else None
    if kind == "json":
        start = data.lstrip()[:1]
        return "json" if start in (b"{", b"[", b"/") else None
    return kind


def scanner(kind: str, path: str) -> Callable[[str, bytes], Scan]:
    """The function that scans a file of ``kind``: (text, raw bytes) -> Scan.

    Each scanner module is imported on first use, so a run imports only what its files
    need (a Python-only tree never loads tree-sitter; YAML is loaded for YAML files).
    """
    if kind == "python":
        from . import python

        return lambda text, _: python.scan_python(text)
    if kind == "shell":
        from . import shell

        return lambda text, _: shell.scan_shell(text)
    if kind == "powershell":
        from . import powershell

        return lambda text, _: powershell.scan_powershell(text)
    if kind in FORMATS:
        from . import formats

        table2: dict[str, Callable[[str, bytes], Scan]] = {
            "json": lambda text, _: formats.scan_json(text),
            "ini": lambda text, _: formats.scan_ini(text, path),
            "dockerfile": lambda text, _: formats.scan_dockerfile(text),
        }
        return table2[kind]
    if kind in CONFIGS:
        from . import configs

        table: dict[str, Callable[[str, bytes], Scan]] = {
            "properties": lambda text, _: configs.scan_properties(text),
            "yaml": lambda text, _: configs.scan_yaml(text),
            "env": lambda text, _: configs.scan_env(text),
            "msmtp": lambda text, _: configs.scan_msmtp(text),
            "mutt": lambda text, _: configs.scan_mutt(text),
            "postfix": lambda text, _: configs.scan_postfix(text, path),
        }
        return table[kind]
    from . import ts_rules, ts_special  # noqa: F401  (ts_special registers its rules)

    return lambda text, data: ts_rules.scan_tree(kind, data)


CONFIGS = frozenset({"properties", "yaml", "env", "msmtp", "mutt", "postfix"})
FORMATS = frozenset({"json", "ini", "dockerfile", "powershell"})
#: Kinds whose files never start with a ``#!`` that should change how they are read.
CONFIGS_AND_DATA = CONFIGS | FORMATS
