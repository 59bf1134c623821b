"""Parsing of target strings, --resolve entries and targets files.

Forms accepted:
    SCHEME://HOST[:PORT]    scheme from model.SCHEMES, port defaults to the scheme's
    HOST:PORT               scheme from the well-known port (25 smtp, 587 submission, ...)
    HOST                    smtp://HOST:25
IPv6 literals go in brackets: ``smtp://[::1]:25``, ``[::1]:587``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import TargetError
from .model import PORT_SCHEMES, SCHEMES, Target

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_MAX_TARGETS_FILE = 10 * 1024 * 1024


def normalize_host(host: str, original: str) -> str:
    """Lower-case a host name, turn a U-label into its A-label, check the syntax."""
    host = host.strip().rstrip(".")
    if not host:
        raise TargetError(f"{original!r}: no host name")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise TargetError(f"{original!r}: host name {host!r} is not a valid name ({exc})") from None
    if len(ascii_host) > 253 or not all(_LABEL.match(lab) for lab in ascii_host.split(".")):
        raise TargetError(f"{original!r}: host name {host!r} is not a valid name")
    return ascii_host


def _parse_port(text: str, original: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetError(f"{original!r}: port {text!r} is not a number from 1 to 65535")
    return int(text)


def _split_host_port(rest: str, original: str) -> tuple[str, str | None]:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise TargetError(f"{original!r}: unclosed '[' in IPv6 address")
        host, tail = rest[1:end], rest[end + 1 :]
        if tail and not tail.startswith(":"):
            raise TargetError(f"{original!r}: unexpected {tail!r} after the address")
        return host, (tail[1:] if tail else None)
    if rest.count(":") > 1:  # a bare IPv6 literal without port
        return rest, None
    host, sep, port = rest.partition(":")
    return host, (port if sep else None)


def parse_target(text: str) -> Target:
    """Parse one target string; raise TargetError naming what is wrong."""
    original = text
    text = text.strip()
    if not text:
        raise TargetError("empty target")
    if any(c.isspace() for c in text):
        raise TargetError(f"{original!r}: a target contains no white space")
    scheme: str | None = None
    if "://" in text:
        scheme, _, text = text.partition("://")
        scheme = scheme.lower()
        if scheme not in SCHEMES:
            known = ", ".join(SCHEMES)
            raise TargetError(f"{original!r}: unknown scheme {scheme!r} (known: {known})")
    text = text.rstrip("/")
    if "/" in text or "@" in text or "?" in text:
        raise TargetError(f"{original!r}: expected SCHEME://HOST[:PORT] with no path or user")
    host, port_text = _split_host_port(text, original)
    host = normalize_host(host, original)
    if port_text is None:
        if scheme is None:
            scheme = "smtp"
        return Target(scheme, host, SCHEMES[scheme].default_port)
    port = _parse_port(port_text, original)
    if scheme is None:
        scheme = PORT_SCHEMES.get(port)
        if scheme is None:
            raise TargetError(
                f"{original!r}: port {port} is not a well-known mail port; "
                "name the scheme, e.g. smtp://HOST:PORT"
            )
    return Target(scheme, host, port)


def parse_resolve(text: str) -> tuple[tuple[str, int], str]:
    """Parse a curl-style ``HOST:PORT:ADDR`` entry into ((host, port), address)."""
    original = text
    host, sep, rest = text.strip().partition(":")
    port_text, sep2, addr = rest.partition(":")
    if not (sep and sep2 and host and addr):
        raise TargetError(f"--resolve {original!r}: expected HOST:PORT:ADDRESS")
    addr = addr[1:-1] if addr.startswith("[") and addr.endswith("]") else addr
    try:
        address = str(ipaddress.ip_address(addr))
    except ValueError:
        raise TargetError(f"--resolve {original!r}: {addr!r} is not an IP address") from None
    port = _parse_port(port_text, f"--resolve {original}")
    return (normalize_host(host, original), port), address


def apply_resolve(
    targets: Iterable[Target], resolve: Mapping[tuple[str, int], str]
) -> list[Target]:
    """Give each target the address that --resolve forces for its host and port."""
    out = []
    for t in targets:
        addr = resolve.get((t.host, t.port))
        out.append(Target(t.scheme, t.host, t.port, addr) if addr else t)
    return out


def read_targets_file(path: Path) -> tuple[list[Target], list[str]]:
    """Read one target per line ('#' comments, blank lines skipped).

    Returns the targets and one error message per bad line, so that one bad line
    does not lose the others.
    """
    try:
        if path.stat().st_size > _MAX_TARGETS_FILE:
            raise TargetError(f"{path}: larger than {_MAX_TARGETS_FILE // 2**20} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise TargetError(f"{path}: cannot read targets file ({exc.strerror})") from None
    if b"\0" in raw:
        raise TargetError(f"{path}: a binary file, not a list of targets")
    text = raw.decode("utf-8", errors="replace")
    targets: list[Target] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            targets.append(parse_target(line))
        except TargetError as exc:
            errors.append(f"{path}:{number}: {exc}")
    return targets, errors
