"""The exact commands that reproduce a check: ``mailtls scan`` and ``openssl s_client``.

Every word comes from the document being reported (a host name, an address), so every
word is shell-quoted: a hostile document yields a harmless, if odd, command line.
"""

from __future__ import annotations

import ipaddress
import shlex

from .report_data import Row

#: the ``openssl s_client -starttls`` protocol of each scheme with STARTTLS
STARTTLS = {"smtp": "smtp", "submission": "smtp", "imap": "imap", "pop3": "pop3",
            "sieve": "sieve"}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _hostport(host: str, port: int) -> str:
    bare = host.strip("[]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def _join(words: list[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def mailtls_command(row: Row) -> str:
    """``mailtls scan`` for this endpoint, on the address the report saw."""
    words = ["mailtls", "scan"]
    if row.grade:
        words.append("--deep")
    if row.address and not _is_ip(row.host):
        words += ["--resolve", f"{row.host}:{row.port}:{row.address}"]
    return _join([*words, row.target])


def openssl_command(row: Row) -> str:
    """``openssl s_client`` with the same checks: the chain, the host name, STARTTLS."""
    words = ["openssl", "s_client", "-connect", _hostport(row.address or row.host, row.port)]
    proto = STARTTLS.get(row.scheme)
    if proto:
        words += ["-starttls", proto]
    if not _is_ip(row.host):
        words += ["-servername", row.host, "-verify_hostname", row.host]
    else:
        words += ["-verify_ip", row.host.strip("[]")]
    words += ["-verify_return_error", "-brief"]
    return _join(words) + " </dev/null"


def commands(row: Row) -> tuple[str, str]:
    return mailtls_command(row), openssl_command(row)
