"""Running the lab: in the foreground until a signal, or in a background thread.

``serve_forever`` is for ``mailtls lab``: it prints nothing and hands the started
:class:`~mailtls.lab.servers.Lab` to a ``ready`` callback (the CLI prints the table there).
``LabThread`` runs a lab on its own event loop for synchronous code (``make demo``, tests)::

    with LabThread(tmp_path) as lab:
        scan(lab.endpoints[0].url, ca_file=lab.ca_file)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from mailtls.lab.servers import Lab

_NOISE: tuple[type[BaseException], ...] = (OSError, ssl.SSLError, EOFError, TimeoutError)


def quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Drop the network noise of clients that vanish or fail the handshake; report the rest."""
    if isinstance(context.get("exception"), _NOISE):
        return
    loop.default_exception_handler(context)


def serve_forever(
    directory: Path,
    host: str = "127.0.0.1",
    base_port: int = 0,
    *,
    ready: Callable[[Lab], None] | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Run the lab until SIGINT or SIGTERM; ``ready(lab)`` is called once it listens."""
    asyncio.run(_serve(Lab(directory, host=host, base_port=base_port, now=now), ready))


async def _serve(lab: Lab, ready: Callable[[Lab], None] | None) -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exception_handler)
    stop = asyncio.Event()
    signals = [signal.SIGINT, signal.SIGTERM]
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await lab.start()
        if ready is not None:
            ready(lab)
        await stop.wait()
    finally:
        await lab.stop()
        for sig in signals:
            loop.remove_signal_handler(sig)


class LabThread:
    """A :class:`Lab` on its own event loop in a daemon thread; a context manager."""

    def __init__(
        self,
        directory: Path,
        host: str = "127.0.0.1",
        base_port: int = 0,
        *,
        now: dt.datetime | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.lab = Lab(directory, host=host, base_port=base_port, now=now)
        self.timeout = timeout
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="mailtls-lab", daemon=True)

    def start(self) -> Lab:
        """Start the thread and wait until every endpoint listens (or raise why not)."""
        self._thread.start()
        if not self._ready.wait(self.timeout):
            raise TimeoutError(f"the lab did not start within {self.timeout}s")
        if self._error is not None:
            self._thread.join(self.timeout)
            raise self._error
        return self.lab

    def stop(self) -> None:
        """Stop the lab (closing all connections) and join the thread."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop may be closing already
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.ident is not None:
            self._thread.join(self.timeout)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the starting thread
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(quiet_exception_handler)
        self._stop = asyncio.Event()
        try:
            await self.lab.start()
            self._ready.set()
            await self._stop.wait()
        finally:
            await self.lab.stop()
