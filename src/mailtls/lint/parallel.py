"""``[work(item) for item in items]`` in worker processes, with every failure accounted for.

The workers are a :class:`concurrent.futures.ProcessPoolExecutor`. Its start method
is chosen so that a worker never inherits a copy of the parent taken while another
thread held a lock (which a ``fork`` of a threaded process can): ``fork`` only when this
process has no other thread (the command line: nothing can be held, and the workers
start at once with everything the parent has loaded; 3.11's executor forks its workers
before it starts its own thread), else ``forkserver`` (``spawn`` where there is none).
The fork server is started (:func:`warm`) while the parent walks the tree and imports
the scanners once (:data:`PRELOAD`); each worker is a fork of it. bench/results-lint.md
has the numbers behind the choice.

Nothing is hidden: an item whose worker raised or died comes back as a :class:`Lost`
with the reason. The caller runs its parts again with :func:`alone`, each in a pool of
one, so the part that kills its worker (a crash in a parser, the out-of-memory killer)
is named, and the parts that only shared the pool with it are still computed.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # imported when a pool starts: a serial run does not pay for them
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

#: Imported once by the fork server, so that a worker starts with them loaded (the
#: scanners, not the tree-sitter grammars: each is loaded by the first file that needs it).
PRELOAD = ["mailtls.lint.engine", "mailtls.lint.python", "mailtls.lint.configs",
           "mailtls.lint.shell", "mailtls.lint.ts_special"]


@dataclass(frozen=True)
class Lost(Generic[T]):
    """An item whose work did not come back: the exception, or the worker's death."""

    item: T
    reason: str


#: The start method, when set (to compare them in a benchmark); None: :func:`start_method`.
METHOD: str | None = None


def start_method() -> str:
    """``fork`` in a process with one thread, else ``forkserver``, else ``spawn``."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if METHOD is not None:
        return METHOD
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    ctx = multiprocessing.get_context(start_method())
    if start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def warm() -> None:
    """Start the fork server now (it loads :data:`PRELOAD` while the caller goes on)."""
    if start_method() == "forkserver":
        from multiprocessing import forkserver

        context()
        with _main_hidden():
            forkserver.ensure_running()


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Start workers without the caller's ``__main__``.

    ``spawn`` and ``forkserver`` import the main script again in each worker. The work
    here is a function of this package, so nothing of the script is needed: hiding it
    saves each worker the import of the whole command line (click, rich, ...) and keeps
    a library caller's unguarded script from running again in every worker.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _why(exc: BaseException) -> str:
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        return "the worker process died (killed, out of memory, or a crash in a parser)"
    return f"{type(exc).__name__}: {exc}"


def run(work: Callable[[T], R], items: Sequence[T], jobs: int,
        while_waiting: Callable[[], object] | None = None) -> list[R | Lost[T]]:
    """``work(item)`` for each item in ``jobs`` workers, in order; failures as :class:`Lost`."""
    from concurrent.futures import ProcessPoolExecutor

    outcomes: list[R | Lost[T]] = []
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context())
    try:
        with _main_hidden():  # the workers start at the first submit
            futures: list[Future[R]] = [pool.submit(work, item) for item in items]
        if while_waiting is not None:
            while_waiting()
        for i, future in enumerate(futures):
            try:
                outcomes.append(future.result())
            except Exception as exc:
                outcomes.append(Lost(items[i], _why(exc)))
    except BaseException:  # an interrupt: start nothing more, do not wait for the queue
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes


def alone(work: Callable[[T], R], items: Sequence[T]) -> list[R | Lost[T]]:
    """Each item in a one-worker pool, one at a time: a death is that item's own."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    out: list[R | Lost[T]] = []
    pool: ProcessPoolExecutor | None = None
    try:
        for item in items:
            pool = pool or ProcessPoolExecutor(max_workers=1, mp_context=context())
            try:
                with _main_hidden():
                    future = pool.submit(work, item)
                out.append(future.result())
            except Exception as exc:
                out.append(Lost(item, _why(exc)))
                if isinstance(exc, BrokenProcessPool):
                    pool.shutdown(wait=False)
                    pool = None
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    return out


def cores() -> int:
    """Cores this process may use (its CPU affinity where known)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
