"""``mailtls mitm serve``: every scenario's listener at once, for a client set up by hand."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

from ..pki.mitm import MitmPKI
from .listener import Connection, Listener, server_context
from .scenarios import PROTOCOLS, applicable
from .verdict import Result, judge, went_on

Event = Callable[[Listener, Connection, str], None]


class Served:
    """The listeners of a serve session; ``stop()`` closes them, ``results()`` judges."""

    def __init__(self, pki: MitmPKI, host: str, hostname: str, port_base: int,
                 scenarios: tuple[str, ...], on_event: Event | None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mailtls-mitm-")
        self.listeners: list[Listener] = []
        self.started = dt.datetime.now(dt.UTC)
        self.lock = threading.Lock()
        port = port_base
        try:
            for protocol in PROTOCOLS:
                for implicit in (False, True):
                    for scenario in applicable(implicit, scenarios):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", DeprecationWarning)
                            ctx = server_context(pki.served[scenario.cert],
                                                 scenario.tls1_0_only, Path(self._tmp.name),
                                                 scenario.id)
                        self.listeners.append(Listener(protocol, implicit, scenario, ctx, host,
                                                       port, hostname, on_event))
                        port = port + 1 if port_base else 0
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for listener in self.listeners:
            listener.finish(wait=1.0)
        self._tmp.cleanup()

    def results(self) -> list[tuple[Listener, Result]]:
        """One result per listener that saw a connection (the others are not shown)."""
        out = []
        controls = {(li.protocol, li.implicit_tls): went_on(li.connections)
                    for li in self.listeners if li.scenario.id == "control"}
        for li in self.listeners:
            if not li.connections:
                continue
            control = None if li.scenario.id == "control" else controls.get(
                (li.protocol, li.implicit_tls), False)
            out.append((li, judge(li.scenario, list(li.connections), control)))
        return out
