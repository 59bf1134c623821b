"""The PostgreSQL backend of the fleet's results (see storage.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from ..store import normalize_url
from ..store.errors import translate
from .plan import Key

_META = sa.MetaData()
RESULTS = sa.Table(
    "fleet_results", _META,
    sa.Column("scan_id", sa.Text, primary_key=True),
    sa.Column("address", sa.Text, primary_key=True),
    sa.Column("port", sa.Integer, primary_key=True),
    sa.Column("sni", sa.Text, primary_key=True),
    sa.Column("record", JSONB, nullable=False),
    sa.Column("written_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)  # fmt: skip
DOMAINS = sa.Table(
    "fleet_domains", _META,
    sa.Column("scan_id", sa.Text, primary_key=True),
    sa.Column("domain", sa.Text, primary_key=True),
    sa.Column("address", sa.Text, primary_key=True),
    sa.Column("port", sa.Integer, primary_key=True),
    sa.Column("sni", sa.Text, primary_key=True),
)  # fmt: skip


class PgStorage:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(normalize_url(url), pool_pre_ping=True,
                                       connect_args={"connect_timeout": 10})  # fmt: skip
        try:
            _META.create_all(self.engine, checkfirst=True)
        except sa.exc.SQLAlchemyError as exc:
            raise translate(exc, f"fleet results {self._where()}") from None

    def _where(self) -> str:
        return sa.engine.make_url(normalize_url(self.url)).render_as_string(hide_password=True)

    def _run(self, stmt: Any, rows: list[dict[str, Any]]) -> int:
        try:
            with self.engine.begin() as conn:
                return int(conn.execute(stmt, rows).rowcount or 0)
        except sa.exc.SQLAlchemyError as exc:
            raise translate(exc, f"fleet results {self._where()}") from None

    def add_results(self, scan_id: str, rows: Sequence[tuple[Key, dict[str, Any]]]) -> int:
        if not rows:
            return 0
        values = [{"scan_id": scan_id, "address": a, "port": p, "sni": s, "record": r}
                  for (a, p, s), r in rows]  # fmt: skip
        return self._run(insert(RESULTS).on_conflict_do_nothing(), values)

    def add_domains(self, scan_id: str, rows: Sequence[tuple[str, str, int, str]]) -> None:
        values = [{"scan_id": scan_id, "domain": d, "address": a, "port": p, "sni": s}
                  for d, a, p, s in rows]  # fmt: skip
        for i in range(0, len(values), 5000):
            self._run(insert(DOMAINS).on_conflict_do_nothing(), values[i : i + 5000])

    def _select(self, stmt: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(stmt))
        except sa.exc.SQLAlchemyError as exc:
            raise translate(exc, f"fleet results {self._where()}") from None

    def done_keys(self, scan_id: str) -> set[Key]:
        c = RESULTS.c
        rows = self._select(sa.select(c.address, c.port, c.sni).where(c.scan_id == scan_id))
        return {(r.address, r.port, r.sni) for r in rows}

    def results(self, scan_id: str) -> Iterator[tuple[Key, dict[str, Any]]]:
        c = RESULTS.c
        stmt = (sa.select(c.address, c.port, c.sni, c.record).where(c.scan_id == scan_id)
                .order_by(c.address, c.port, c.sni))  # fmt: skip
        for r in self._select(stmt):
            yield (r.address, r.port, r.sni), r.record

    def domains(self, scan_id: str) -> list[tuple[str, str, int, str]]:
        c = DOMAINS.c
        stmt = sa.select(c.domain, c.address, c.port, c.sni).where(c.scan_id == scan_id)
        return sorted((r.domain, r.address, r.port, r.sni) for r in self._select(stmt))
