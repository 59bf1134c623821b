"""``mailtls.harden()``: make smtplib, imaplib and poplib verify, for code you cannot change.

Python's mail modules verify nothing when no context is passed:
``smtplib.SMTP.starttls()``, ``SMTP_SSL``, ``imaplib.IMAP4.starttls()``, ``IMAP4_SSL``,
``poplib.POP3.stls()`` and ``POP3_SSL`` then use ``ssl._create_stdlib_context()``,
which is CERT_NONE without host name checks. Flask-Mail, yagmail, Django's SMTP backend
(before 4.x with ssl_certfile), and many scripts call them exactly that way.

After ``harden()`` those calls, when given no context, get a verifying one (TLS 1.2+,
CERT_REQUIRED, check_hostname; Mozilla's roots via certifi, plus ``ca_file``), and an
impostor raises ``ssl.SSLCertVerificationError`` instead of receiving the password.

Limits (documented in docs/client.md):
* a caller that passes its own context keeps it, verifying or not: audit those with
  ``mailtls lint``;
* libraries that make their own sockets or contexts (aiosmtplib, Twisted, ...) are not
  touched;
* it patches classes of this process only, and only calls made after it: call it first,
  before any connection is made;
* there is deliberately no "unharden".
Idempotent: a second call only replaces the trust (``ca_file``/``trust``).
"""

from __future__ import annotations

import functools
import inspect
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import certifi

_MARK = "__mailtls_hardened__"
_state: dict[str, Callable[[], ssl.SSLContext]] = {}


def ca_paths(ca_file: str | Path | Sequence[str | Path] | None) -> tuple[Path, ...]:
    """``ca_file=`` as given (one path, several, or none) as a tuple of paths."""
    if ca_file is None:
        return ()
    if isinstance(ca_file, str | Path):
        return (Path(ca_file),)
    return tuple(Path(f) for f in ca_file)


def _factory(trust: str, ca_files: tuple[Path, ...]) -> Callable[[], ssl.SSLContext]:
    def make() -> ssl.SSLContext:
        if trust == "system":
            ctx = ssl.create_default_context()
        else:
            ctx = ssl.create_default_context(cafile=certifi.where())
        for f in ca_files:
            ctx.load_verify_locations(cafile=str(f))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = True
        return ctx

    return make


def _context(certfile: str | None = None, keyfile: str | None = None) -> ssl.SSLContext:
    ctx = _state["factory"]()
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    return ctx


def _patch(cls: type, name: str, arg: str) -> None:
    """Wrap ``cls.name`` so that its context argument ``arg``, when None, is filled."""
    original = getattr(cls, name)
    if getattr(original, _MARK, False):
        return
    params = list(inspect.signature(original).parameters)[1:]  # after self
    position = params.index(arg)
    certs = "certfile" in params

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        given = (
            kwargs.get(arg) if arg in kwargs else (args[position] if len(args) > position else None)
        )
        if given is None:
            certfile = kwargs.get("certfile")
            keyfile = kwargs.get("keyfile")
            ctx = _context(certfile, keyfile)
            if len(args) > position:
                args = (*args[:position], ctx, *args[position + 1 :])
            else:
                kwargs[arg] = ctx
            if certs:
                kwargs.pop("certfile", None)
                kwargs.pop("keyfile", None)
        return original(self, *args, **kwargs)

    setattr(wrapper, _MARK, True)
    setattr(cls, name, wrapper)


def harden(
    *, ca_file: str | Path | Sequence[str | Path] | None = None, trust: str = "mozilla"
) -> None:
    """Make smtplib, imaplib and poplib verify certificates when their caller gave no context."""
    if trust not in ("mozilla", "system"):
        raise ValueError("trust must be mozilla or system")
    factory = _factory(trust, ca_paths(ca_file))
    factory()  # fail now, not at the first connection, if a CA file is unusable
    _state["factory"] = factory

    import imaplib
    import poplib
    import smtplib

    _patch(smtplib.SMTP, "starttls", "context")
    _patch(smtplib.SMTP_SSL, "__init__", "context")
    _patch(imaplib.IMAP4, "starttls", "ssl_context")
    _patch(imaplib.IMAP4_SSL, "__init__", "ssl_context")
    _patch(poplib.POP3, "stls", "context")
    _patch(poplib.POP3_SSL, "__init__", "context")


def hardened() -> bool:
    """Whether ``harden()`` has been called in this process."""
    return "factory" in _state
