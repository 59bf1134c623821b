"""``mailtls monitor daemon``: passes on the schedule, until SIGTERM.

* one daemon per history: it holds ``HistoryStore.exclusive`` for its whole life (a file
  lock beside a SQLite file, an advisory lock on PostgreSQL); a second one gets StoreBusy
  and exits, touching nothing;
* waits ``every`` plus a random delay up to ``jitter`` between the starts of passes;
* SIGHUP: reload the inventory before the next pass (a broken file keeps the old one, and
  says so); SIGTERM or SIGINT: stop the pass in progress (each finished endpoint was
  already committed, and the signal is handled between two writes, never inside one),
  close the pass, exit 0;
* SIGKILL: nothing to do; every committed observation is in the database (SQLite WAL with
  synchronous=NORMAL keeps a commit across a killed process), the unfinished pass keeps
  ``finished_at`` empty, and the next daemon simply starts a new pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from ..store import HistoryStore
from .inventory import Inventory, InventoryError, load_inventory
from .notify import events_of, send_all
from .passes import PassReport, run_pass

Say = Callable[[str], None]


class Daemon:
    def __init__(self, path: Path, history: str | None = None, *, lang: str = "en",
                 say: Say = print, warn: Say = print) -> None:
        self.path, self.history, self.lang = path, history, lang
        self.say, self.warn = say, warn
        self.inventory: Inventory = load_inventory(path)
        self.reload = False
        self.stopping = asyncio.Event()
        self.passes = 0

    def url(self) -> str:
        return self.history or self.inventory.history_url

    def run(self, max_passes: int | None = None) -> int:
        store = HistoryStore.open(self.url())
        try:
            with store.exclusive(f"{socket.gethostname()} pid {os.getpid()}"):
                asyncio.run(self._loop(store, max_passes))
        finally:
            store.close()
        return 0

    async def _loop(self, store: HistoryStore, max_passes: int | None) -> None:
        loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        current: asyncio.Task[PassReport] | None = None

        def stop() -> None:
            self.stopping.set()
            if current is not None:
                current.cancel()

        def hup() -> None:
            self.reload = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        loop.add_signal_handler(signal.SIGHUP, hup)
        while not self.stopping.is_set():
            self._maybe_reload()
            current = asyncio.ensure_future(run_pass(self.inventory, store))
            try:
                report = await current
            except asyncio.CancelledError:  # stopped before the scan began (MX look-ups)
                break
            current = None
            self.passes += 1
            self._report(report)
            if max_passes is not None and self.passes >= max_passes:
                break
            wait = self.inventory.every + random.uniform(0, self.inventory.jitter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), wait)

    def _maybe_reload(self) -> None:
        if not self.reload:
            return
        self.reload = False
        try:
            self.inventory = load_inventory(self.path)
            self.say(f"mailtls monitor: reloaded {self.path}")
        except InventoryError as exc:
            self.warn(f"mailtls monitor: {exc}; keeping the inventory loaded before")

    def _report(self, report: PassReport) -> None:
        if report.interrupted:
            self.say(f"mailtls monitor: pass {report.pass_id} stopped; "
                     f"{len(report.records)} observations kept")
            return
        for problem in [*report.errors,
                        *send_all(events_of(report), self.inventory.notify, self.lang,
                                  self.say)]:
            self.warn(f"mailtls monitor: {problem}")
