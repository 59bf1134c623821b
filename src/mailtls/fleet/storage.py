"""Fleet results, idempotent: one record per (scan id, address, port, SNI), first one wins.

Two backends with one interface:

- PostgreSQL (``postgresql://...``): tables ``fleet_results`` and ``fleet_domains``, written
  with ``INSERT ... ON CONFLICT DO NOTHING``; the URL goes through
  :func:`mailtls.store.normalize_url` and errors through :func:`mailtls.store.errors.translate`.
- A directory: each job writes ``results-SCAN/part-*.jsonl`` as a temporary file completed
  by rename, so that a killed worker leaves no half file; readers keep the first record of
  each key (a job re-delivered after a kill may write its endpoints twice: read once).
  Parquet would need pyarrow, which is not a dependency: JSON lines only.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from .plan import Key

Record = dict[str, Any]
DomainRow = tuple[str, str, int, str]


class FleetStorage(Protocol):
    def add_results(self, scan_id: str, rows: Sequence[tuple[Key, Record]]) -> int: ...
    def add_domains(self, scan_id: str, rows: Sequence[DomainRow]) -> None: ...
    def done_keys(self, scan_id: str) -> set[Key]: ...
    def results(self, scan_id: str) -> Iterator[tuple[Key, Record]]: ...
    def domains(self, scan_id: str) -> list[DomainRow]: ...


def open_storage(where: str) -> FleetStorage:
    """PostgreSQL for a ``postgresql://`` URL, else a directory of JSON lines."""
    if where.startswith(("postgresql://", "postgres://")):
        from .pgstore import PgStorage

        return PgStorage(where)
    return DirStorage(Path(where))


def _safe(scan_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in scan_id)


class DirStorage:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"{root}: cannot create the results directory ({exc.strerror})") from None

    def _dir(self, kind: str, scan_id: str) -> Path:
        d = self.root / f"{kind}-{_safe(scan_id)}"
        d.mkdir(exist_ok=True)
        return d

    def _write(self, kind: str, scan_id: str, lines: Sequence[str]) -> None:
        d = self._dir(kind, scan_id)
        # named by time first, so that sorted names give the first record of a key
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex}.jsonl"
        tmp = d / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, d / name)

    def add_results(self, scan_id: str, rows: Sequence[tuple[Key, Record]]) -> int:
        if rows:
            self._write("results", scan_id, [json.dumps(
                {"key": list(k), "record": r}, sort_keys=True) + "\n" for k, r in rows])
        return len(rows)

    def add_domains(self, scan_id: str, rows: Sequence[DomainRow]) -> None:
        if rows:
            self._write("domains", scan_id, [json.dumps(list(r)) + "\n" for r in rows])

    def _lines(self, kind: str, scan_id: str) -> Iterator[Any]:
        for part in sorted(self._dir(kind, scan_id).glob("part-*.jsonl")):
            with part.open(encoding="utf-8") as f:
                for line in f:
                    yield json.loads(line)

    def results(self, scan_id: str) -> Iterator[tuple[Key, Record]]:
        seen: set[Key] = set()
        for entry in self._lines("results", scan_id):
            a, p, s = entry["key"]
            key = (str(a), int(p), str(s))
            if key not in seen:
                seen.add(key)
                yield key, entry["record"]

    def done_keys(self, scan_id: str) -> set[Key]:
        return {k for k, _ in self.results(scan_id)}

    def domains(self, scan_id: str) -> list[DomainRow]:
        rows = {(str(d), str(a), int(p), str(s)) for d, a, p, s in self._lines("domains", scan_id)}
        return sorted(rows)
