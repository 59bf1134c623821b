"""Interrupts that keep work: the first SIGINT or SIGTERM stops, the second exits at once.

For every command that works through many inputs (scan, audit-config, lint)::

    with Interrupt() as interrupt:
        try:
            results = interrupt.run(scan(...))     # asyncio: the first signal cancels it
        except ScanInterrupted as stop:             # (the work's own "finished so far")
            results = stop.finished
        ...print results, marked interrupted...
        sys.exit(EXIT_INTERRUPTED if interrupt.requested else status)

Outside ``run()`` the first signal raises KeyboardInterrupt where the program is (sync
work: catch it, keep what finished, print it). Whatever the program does after the first
signal (printing what finished), a second signal ends the process at once with 130.
Outside any Interrupt, cli/main.py turns KeyboardInterrupt into exit 130.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

from .exits import EXIT_INTERRUPTED

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Any  # what signal.signal returns: a callable, SIG_DFL, SIG_IGN or None


def exit_now() -> None:
    """The second signal: no clean-up, no more output."""
    os._exit(EXIT_INTERRUPTED)


class Interrupt:
    """Signal handling for one command run (main thread only; elsewhere it does nothing)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._saved: dict[int, Handler] = {}

    @property
    def requested(self) -> bool:
        """Whether a first SIGINT or SIGTERM arrived."""
        return self.signum is not None

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self._saved[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for s, handler in self._saved.items():
            signal.signal(s, handler)
        self._saved.clear()

    def _first(self, signum: int) -> bool:
        """Record the first signal; on the second, exit at once."""
        if self.signum is not None:
            exit_now()
        self.signum = signum
        return True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._first(signum)
        raise KeyboardInterrupt

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """``asyncio.run(coro)``; the first signal cancels ``coro`` (CancelledError at its
        current await) instead of raising KeyboardInterrupt somewhere in the event loop."""
        return asyncio.run(self._main(coro))

    async def _main(self, coro: Coroutine[Any, Any, T]) -> T:
        if self.requested:  # a signal came before the loop: nothing new starts
            coro.close()
            raise asyncio.CancelledError
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        installed = bool(self._saved)
        if installed:
            for s in SIGNALS:
                loop.add_signal_handler(s, self._cancel, s, task)
        try:
            return await coro
        finally:
            if installed:
                for s in SIGNALS:
                    loop.remove_signal_handler(s)
                    signal.signal(s, self._handle)

    def _cancel(self, signum: int, task: asyncio.Task[Any]) -> None:
        self._first(signum)
        if not task.done():
            task.cancel()
