"""The history store: round trip, transactions, and every bad database named, on SQLite and
on a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from mailtls.model import Severity
from mailtls.store import (
    HistoryStore,
    ObservationRecord,
    StoreBusy,
    StoreFull,
    StoreLocked,
    StoreReadOnly,
    StoreSchemaTooNew,
    StoreUnavailable,
)

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def rec(n: int = 0, endpoint: str = "smtp://mx.example.test:25") -> ObservationRecord:
    return ObservationRecord(
        endpoint=endpoint, scheme="smtp", host="mx.example.test", port=25,
        address="127.0.0.1", observed_at=NOW + dt.timedelta(minutes=n), tested=True,
        verified=True, leaf_sha256=f"{n:064x}", spki_sha256="spki", chain_sha256=("a", "b"),
        issuer="CN=CA", not_after=NOW + dt.timedelta(days=90), tls_version="TLSv1.3",
        findings=(("cert.verified", Severity.INFO), ("cert.expires_soon", Severity.MEDIUM)))


def counts(store: HistoryStore) -> tuple[int, int]:
    with store.engine.connect() as c:
        return (c.execute(sa.text("SELECT count(*) FROM observations")).scalar_one(),
                c.execute(sa.text("SELECT count(*) FROM observation_findings")).scalar_one())


def roundtrip(store: HistoryStore) -> None:
    pid = store.start_pass(NOW)
    for n in range(3):
        store.add_observation(pid, rec(n))
    store.finish_pass(pid, NOW, 3)
    [newest, *_] = store.timeline("smtp://mx.example.test:25")
    assert newest.leaf_sha256 == f"{2:064x}"
    assert newest.chain_sha256 == ("a", "b")
    assert newest.not_after == NOW + dt.timedelta(days=90)
    assert dict(newest.findings)["cert.expires_soon"] == Severity.MEDIUM
    assert [r.leaf_sha256 for r in store.recent(["smtp://mx.example.test:25"], 2)[
        "smtp://mx.example.test:25"]] == [f"{2:064x}", f"{1:064x}"]
    assert store.prune(NOW + dt.timedelta(minutes=1, seconds=30)) == 2
    assert counts(store) == (1, 2)


def test_sqlite_roundtrip_wal_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    store = HistoryStore.open(str(path))
    roundtrip(store)
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = HistoryStore.open(f"sqlite:///{path}")  # migrated already: opens as it is
    assert counts(again) == (1, 2)
    again.close()


@pytest.mark.servers
def test_postgresql_roundtrip_and_lock(postgres_url: str) -> None:
    store = HistoryStore.open(postgres_url)
    with store.engine.begin() as c:
        for table in ("observation_findings", "observations", "passes"):
            c.execute(sa.text(f"DELETE FROM {table}"))
    roundtrip(store)
    other = HistoryStore.open(postgres_url)
    with store.exclusive("first daemon"), pytest.raises(StoreBusy, match="advisory lock"):
        other.acquire("second daemon")
    other.acquire("second daemon")  # free again once the first let go
    other.close()
    store.close()


def test_no_half_written_observation(tmp_path: Path) -> None:
    """A failure in the middle of an observation's findings leaves neither row nor findings."""
    store = HistoryStore.open(str(tmp_path / "h.sqlite"))
    pid = store.start_pass(NOW)
    store.add_observation(pid, rec(0))
    broken = ObservationRecord(**{**rec(1).__dict__,
                                  "findings": (("cert.verified", None),)})  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - the int(None) of a bad severity
        store.add_observation(pid, broken)
    assert counts(store) == (1, 2)
    store.close()


def test_locked_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(str(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    store = HistoryStore.open(str(path), lock_timeout=0.2)  # reading still works (WAL)
    try:
        with pytest.raises(StoreLocked, match="locked by another process"):
            store.start_pass(NOW)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()


def test_read_only_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(str(path)).close()
    store = HistoryStore.open(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreReadOnly, match="read-only"):
        store.start_pass(NOW)
    store.close()


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(str(path)).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE mailtls_schema SET version_num = '9999'")
    db.commit()
    db.close()
    with pytest.raises(StoreSchemaTooNew, match="'9999', newer than this mailtls"):
        HistoryStore.open(str(path))
    assert sqlite3.connect(path).execute(
        "SELECT version_num FROM mailtls_schema").fetchone() == ("9999",)


def test_disk_full_is_named_and_keeps_what_was_committed(tmp_path: Path) -> None:
    store = HistoryStore.open(str(tmp_path / "h.sqlite"))
    pid = store.start_pass(NOW)
    store.add_observation(pid, rec(0))
    store.engine.dispose()

    @sa.event.listens_for(store.engine, "connect")
    def tiny(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")  # as a full disk: no page more

    big = ObservationRecord(**{**rec(1).__dict__, "subject": "x" * 200_000})
    with pytest.raises(StoreFull, match="full"):
        store.add_observation(pid, big)
    assert counts(store) == (1, 2)
    store.close()


def test_not_a_database_and_missing_directory(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable, match=r"junk\.sqlite"):
        HistoryStore.open(str(junk))
    with pytest.raises(StoreUnavailable, match="does not exist"):
        HistoryStore.open(str(tmp_path / "nowhere" / "h.sqlite"))


def test_one_daemon_per_sqlite_history(tmp_path: Path) -> None:
    path = str(tmp_path / "h.sqlite")
    first, second = HistoryStore.open(path), HistoryStore.open(path)
    with first.exclusive("daemon pid 1"), pytest.raises(StoreBusy, match="daemon pid 1"):
        second.acquire("daemon pid 2")
    second.acquire("daemon pid 2")
    first.close()
    second.close()
