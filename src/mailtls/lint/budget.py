"""A per-file time budget: a scanner that runs too long is stopped, and the file named.

The budget is a ``SIGALRM`` timer around the scanner, so pure-Python parsers (YAML,
``ast`` walks, the rules) are interrupted wherever they are. It applies in the thread
that can receive signals (the main thread: a worker process, or a serial run); in any
other thread the scan runs without it (the size limit and the counted YAML alias
expansion still bound the work).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: Seconds one file may take in a scanner, by default.
SECONDS = 20.0


class OverBudget(BaseException):
    """Raised in the scanner when its time is up; BaseException, so that a scanner's
    ``except Exception`` cannot swallow it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise OverBudget


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` inside the block after ``seconds`` (0: no limit)."""
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
