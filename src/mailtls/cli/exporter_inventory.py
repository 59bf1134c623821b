"""What ``mailtls exporter --inventory`` takes from the monitor: MX expansion and history.

- ``expander(inventory, extra, forced, log)``: an async function the schedule calls before
  each pass; it expands ``[[domain]]`` entries to their MX hosts with the monitor's own code
  (``mailtls.monitor.passes.lookup``), so the exporter watches what the monitor watches.
- ``HistoryChanges(store)``: the ``ChangeMemory(lookup=...)`` plug. It answers when each
  endpoint's leaf last changed from the monitor's history (one light query per pass, cached
  ``ttl`` seconds), so ``mailtls_cert_changed_timestamp_seconds`` survives restarts and
  covers changes the exporter never saw. When the certificate scanned now differs from the
  history's newest one (the monitor has not run since), or the history shows no change, it
  has no answer and the exporter's own memory decides.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from ..model import ScanResult, Target
from ..monitor.inventory import Inventory
from ..store import HistoryStore, StoreError

Leaves = Sequence[tuple[str | None, dt.datetime, str]]  # (address, observed_at, leaf sha256)


def last_change(rows: Leaves, address: str | None, current: str | None) -> float | None:
    """When the newest leaf in ``rows`` (newest first) replaced another, as a Unix time."""
    mine = [r for r in rows if r[0] == address] if address else list(rows)
    mine = mine or list(rows)
    if not mine or (current is not None and current != mine[0][2]):
        return None
    newest = mine[0][2]
    since = None
    for _, observed_at, leaf in mine:
        if leaf != newest:
            return since.timestamp() if since else None
        since = observed_at
    return None  # the same leaf as far back as the history reaches


class HistoryChanges:
    """``lookup(result)`` for ChangeMemory, from the monitor's history store."""

    def __init__(self, store: HistoryStore, ttl: float = 60.0, depth: int = 50,
                 log: Callable[[str], None] = print) -> None:  # fmt: skip
        self.store, self.ttl, self.depth, self.log = store, ttl, depth, log
        self._leaves: Mapping[str, Leaves] = {}
        self._loaded = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, result: ScanResult) -> float | None:
        with self._lock:
            if time.monotonic() - self._loaded > self.ttl:
                self._loaded = time.monotonic()
                try:
                    self._leaves = self.store.recent_leaves(self.depth)
                except StoreError as exc:  # a locked or vanished history: our own memory
                    self.log(f"history: {exc}")
                    self._leaves = {}
            rows = self._leaves.get(result.target.url, ())
        sha = result.certificate.sha256 if result.certificate else None
        return last_change(rows, result.address, sha)


def open_history(inventory: Inventory, log: Callable[[str], None]) -> HistoryChanges | None:
    """The inventory's history, if it has one (a SQLite file is never created here)."""
    url = inventory.history_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    try:
        return HistoryChanges(HistoryStore.open(url), log=log)
    except StoreError as exc:
        log(f"history {url}: {exc}; change times from this exporter's memory only")
        return None


def expander(inventory: Inventory, extra: Sequence[Target],
             forced: Mapping[tuple[str, int], str], log: Callable[[str], None]
             ) -> Callable[[], Awaitable[list[Target]]]:  # fmt: skip
    """Before each pass: the inventory's endpoints and MX hosts (looked up now), ``extra``."""
    from ..monitor.passes import lookup

    async def targets() -> list[Target]:
        found = await lookup(inventory)
        for error in found.errors:
            log(error)
        out = [e.target for e in found.endpoints] + list(extra)
        out = [Target(t.scheme, t.host, t.port, forced[(t.host, t.port)])
               if not t.address and (t.host, t.port) in forced else t for t in out]
        return list(dict.fromkeys(out))

    return targets
