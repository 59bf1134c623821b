"""The thin synchronous face of :class:`AsyncClient`, and one-call ``send``/``asend``.

``Client`` runs an ``AsyncClient`` on its own event loop (``asyncio.Runner``), so it works
in scripts, Flask views and threads without an event loop of their own; inside a running
loop use ``AsyncClient`` (``Client`` raises RuntimeError there, as ``asyncio.run`` does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from email.message import EmailMessage, Message
from types import TracebackType
from typing import Any

from ..model import CertInfo
from .smtp import AsyncClient, Secret, SendResult


class Client:
    """``with Client(url, ...) as c: c.send_message(msg)``; same arguments as AsyncClient."""

    def __init__(self, url: str, **options: Any) -> None:
        password = options.pop("password", None)
        if password is not None and not isinstance(password, Secret):
            password = Secret(password)
        self._client = AsyncClient(url, password=password, **options)
        self._runner: asyncio.Runner | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("mailtls.client.Client cannot be subclassed; wrap it instead")

    def __repr__(self) -> str:
        return f"Client({self._client.target.url!r}, username={self._client.username!r})"

    def _run(self, coro: Any) -> Any:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coro)

    @property
    def certificate(self) -> CertInfo | None:
        return self._client.certificate

    @property
    def tls_version(self) -> str | None:
        return self._client.tls_version

    @property
    def capabilities(self) -> dict[str, str]:
        return self._client.capabilities

    def connect(self) -> None:
        self._run(self._client.connect())

    def send_message(
        self,
        message: EmailMessage | Message | bytes,
        *,
        sender: str | None = None,
        recipients: Iterable[str] | None = None,
    ) -> SendResult:
        result: SendResult = self._run(
            self._client.send_message(message, sender=sender, recipients=recipients)
        )
        return result

    def close(self) -> None:
        if self._runner is None:
            return
        try:
            self._runner.run(self._client.aclose())
        finally:
            self._runner.close()
            self._runner = None

    def __enter__(self) -> Client:
        self.connect()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


async def asend(
    url: str,
    message: EmailMessage | Message | bytes,
    *,
    sender: str | None = None,
    recipients: Iterable[str] | None = None,
    **options: Any,
) -> SendResult:
    """Connect, verify, log in, send one message, QUIT."""
    async with AsyncClient(url, **options) as client:
        return await client.send_message(message, sender=sender, recipients=recipients)


def send(
    url: str,
    message: EmailMessage | Message | bytes,
    *,
    sender: str | None = None,
    recipients: Iterable[str] | None = None,
    **options: Any,
) -> SendResult:
    """The synchronous ``asend``."""
    password = options.pop("password", None)
    if password is not None and not isinstance(password, Secret):
        password = Secret(password)
    return asyncio.run(
        asend(url, message, sender=sender, recipients=recipients, password=password, **options)
    )
