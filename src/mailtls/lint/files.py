"""Which scanner reads a file, from its name (and, for scripts without a suffix, its shebang)."""

from __future__ import annotations

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
}
NAMES = {
    "msmtprc": "msmtp",
    ".msmtprc": "msmtp",
    "muttrc": "mutt",
    ".muttrc": "mutt",
    "main.cf": "postfix",
    "Rakefile": "ruby",
    "Gemfile": "ruby",
}


_JVM = (b"ssl.trust", b"checkserveridentity", b"TrustAllHosts", b"checkServerTrusted",
        b"HostnameVerifier", b"HOSTNAME_VERIFIER", b"commons.mail", b"SSLSession")
_JS = (b"rejectUnauthorized", b"ignoreTLS", b"NODE_TLS_REJECT_UNAUTHORIZED")
#: A file of this kind can only match a rule if it contains one of these byte strings
#: (as semgrep and ripgrep do: a substring test is ~100x cheaper than a parse). Kinds not
#: listed are always parsed.
TRIGGERS: dict[str, tuple[bytes, ...]] = {
    "python": (b"smtplib", b"imaplib", b"poplib", b"_create_unverified_context",
               b"_create_stdlib_context", b"CERT_NONE", b"check_hostname", b"verify=", b".verify",
               b"validate_certs", b"start_tls", b"flask_mail", b"yagmail", b"EmailBackend",
               b"cert_reqs"),
    "java": _JVM,
    "kotlin": _JVM,
    "javascript": _JS,
    "typescript": _JS,
    "tsx": _JS,
    "php": (b"verify_peer", b"allow_self_signed", b"SMTPAutoTLS", b"CURLOPT_SSL_VERIFY"),
    "go": (b"InsecureSkipVerify",),
    "csharp": (b"ValidationCallback", b"CheckCertificateRevocation", b"StartTlsWhenAvailable"),
    "ruby": (b"verify_mode", b"VERIFY_NONE"),
    "rust": (b"accept_invalid_",),
}


def may_match(kind: str, data: bytes) -> bool:
    """False when no rule of ``kind`` can match ``data`` (no trigger word in it)."""
    words = TRIGGERS.get(kind)
    return words is None or any(w in data for w in words)


def kind_of(path: PurePath, head: bytes = b"") -> str | None:
    """The scanner kind for ``path``, or None when no scanner reads it."""
    name = path.name
    if name in NAMES:
        return NAMES[name]
    if name == ".env" or name.startswith(".env."):
        return "env"
    if name.endswith(".muttrc") or name.startswith("muttrc."):
        return "mutt"
    if name.startswith("msmtprc.") or name.endswith(".msmtprc"):
        return "msmtp"
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None and head.startswith(b"#!") and not path.suffix:
        first = head.split(b"\n", 1)[0]
        if first.endswith((b"sh", b"bash", b"zsh")):
            return "shell"
        if b"python" in first:
            return "python"
    return kind


def scanner(kind: str, path: str) -> Callable[[str, bytes], Scan]:
    """The function that scans a file of ``kind``: (text, raw bytes) -> Scan."""
    from . import configs, python, shell, ts_rules, ts_special  # noqa: F401  (registers)

    table: dict[str, Callable[[str, bytes], Scan]] = {
        "python": lambda text, _: python.scan_python(text),
        "properties": lambda text, _: configs.scan_properties(text),
        "yaml": lambda text, _: configs.scan_yaml(text),
        "env": lambda text, _: configs.scan_env(text),
        "msmtp": lambda text, _: configs.scan_msmtp(text),
        "mutt": lambda text, _: configs.scan_mutt(text),
        "shell": lambda text, _: shell.scan_shell(text),
        "postfix": lambda text, _: configs.scan_postfix(text, path),
    }
    if kind in table:
        return table[kind]
    return lambda text, data: ts_rules.scan_tree(kind, data)
