"""Worker-side stand-ins for the security tests (imported by name in the worker processes).

``scan_chunk`` replaces ``mailtls.lint.engine._scan_chunk`` in the parent; the pool pickles
it by name, so each worker imports this module and runs it: it makes the scanner fail on
files named ``raise-me*``, kills its own worker on ``kill-me*``, and otherwise runs the
real scan.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

from mailtls.lint import engine, files

REAL_SCAN_CHUNK = engine._scan_chunk
REAL_SCANNER = files.scanner
#: Held by a parent thread in the fork test: a forked worker would inherit it held.
LOCK = threading.Lock()


def _scanner(kind: str, path: str) -> Any:
    if Path(path).name.startswith("raise-me"):
        raise ValueError(f"scanner bug on {Path(path).name}")
    return REAL_SCANNER(kind, path)


def scan_chunk(task: Any) -> Any:
    for path, _ in task[0]:
        if Path(path).name.startswith("kill-me"):
            os.kill(os.getpid(), signal.SIGKILL)
    if not LOCK.acquire(timeout=10):  # a fork taken while a thread held it: never free
        raise RuntimeError("worker started with a lock held by a thread of the parent")
    LOCK.release()
    engine.scanner = _scanner  # this worker's copy of the module only
    try:
        return REAL_SCAN_CHUNK(task)
    finally:
        engine.scanner = REAL_SCANNER
