"""``[work(0), ..., work(n - 1)]`` computed in forked worker processes.

Why not :mod:`concurrent.futures`: on a large tree the scan itself takes a few tenths of
a second per core, and importing ``concurrent.futures.process`` (with
:mod:`multiprocessing`), starting its executor, pickling the tasks and shutting it down
cost about a tenth more. Here the workers are ``os.fork()`` children: they start in a
millisecond with everything the parent has imported and computed (the list of files
included), take chunk numbers from one shared pipe (so a slow chunk does not hold the
others back), and send each result back through their own pipe with :mod:`marshal`
(plain tuples, lists, dicts, strings and numbers; no import, no pickling of classes).

A worker that dies (killed, out of memory) loses nothing: the chunks it did not send
back are computed again in the parent. Platforms without ``fork`` use a
:class:`~concurrent.futures.ProcessPoolExecutor` instead (:mod:`mailtls.lint.engine`).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import select
from collections.abc import Callable
from typing import Any

#: Chunk numbers are written to the task pipe before the workers start, 4 bytes each;
#: this many fit in any pipe buffer without a reader.
MAX_TASKS = 1024
_SIZE = 4


def can_fork() -> bool:
    return hasattr(os, "fork")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _worker(work: Callable[[int], Any], tasks: int, out: int) -> None:
    """The child: take chunk numbers until the pipe is empty, send each result. Never returns."""
    code = 0
    try:
        while True:
            raw = os.read(tasks, _SIZE)
            if len(raw) != _SIZE:  # end of the tasks (writes and reads are whole numbers)
                break
            index = int.from_bytes(raw, "little")
            blob = marshal.dumps((index, work(index)))
            _write_all(out, len(blob).to_bytes(_SIZE, "little") + blob)
    except BaseException:  # the parent computes what was not sent
        code = 1
    finally:
        os._exit(code)


def _messages(buffer: bytes) -> dict[int, object]:
    """The whole messages in one worker's output (a dying worker may cut the last one)."""
    found: dict[int, object] = {}
    at = 0
    while at + _SIZE <= len(buffer):
        size = int.from_bytes(buffer[at : at + _SIZE], "little")
        if at + _SIZE + size > len(buffer):
            break
        index, value = marshal.loads(buffer[at + _SIZE : at + _SIZE + size])
        found[index] = value
        at += _SIZE + size
    return found


def fork_map(
    work: Callable[[int], Any],
    count: int,
    jobs: int,
    while_waiting: Callable[[], object] | None = None,
) -> list[object]:
    """``[work(i) for i in range(count)]`` in ``jobs`` forked workers.

    ``work(i)`` must return marshal-able data. ``while_waiting`` runs in the parent
    while the workers compute (it can import what the parent needs afterwards).
    """
    if count > MAX_TASKS:
        raise ValueError(f"at most {MAX_TASKS} chunks, not {count}")
    tasks_r, tasks_w = os.pipe()
    try:
        _write_all(tasks_w, b"".join(i.to_bytes(_SIZE, "little") for i in range(count)))
    finally:
        os.close(tasks_w)  # before forking: the workers see the end of the tasks
    outputs: dict[int, bytearray] = {}  # read end of a worker's pipe -> what it sent
    pids: list[int] = []
    done = False
    try:
        for _ in range(jobs):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                _worker(work, tasks_r, w)
            os.close(w)
            pids.append(pid)
            outputs[r] = bytearray()
        os.close(tasks_r)
        tasks_r = -1
        if while_waiting is not None:
            while_waiting()
        pending = list(outputs)
        while pending:
            ready, _, _ = select.select(pending, [], [])
            for fd in ready:
                data = os.read(fd, 1 << 16)
                if data:
                    outputs[fd] += data
                else:
                    pending.remove(fd)
        done = True
    finally:
        if tasks_r >= 0:
            os.close(tasks_r)
        for fd in outputs:
            os.close(fd)
        for pid in pids:
            if not done:
                import signal

                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
    results: dict[int, object] = {}
    for sent in outputs.values():
        results.update(_messages(bytes(sent)))
    return [results[i] if i in results else work(i) for i in range(count)]

