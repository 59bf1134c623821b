"""The history database: one data-access layer for SQLite and PostgreSQL.

    store = HistoryStore.open("sqlite:////var/lib/mailtls/inventory.history.sqlite")
    pass_id = store.start_pass(now)
    store.add_observation(pass_id, record)     # one transaction: the row and its findings
    store.finish_pass(pass_id, now, count)
    store.timeline("smtp://mx.example.com:25")  # newest first
    with store.exclusive("daemon pid 42"): ...  # StoreBusy when another owner has it

Transactions: each observation is committed alone (its row and its finding rows together),
as soon as its endpoint is finished, so a pass killed halfway keeps what it finished and
never a row without its findings; alert state changes of a pass are one transaction.
Every driver error comes out as a named :mod:`mailtls.store.errors` error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from ..model import Severity
from . import schema as s
from .errors import StoreBusy, StoreError, StoreSchemaTooNew, StoreUnavailable, translate
from .records import Baseline, ObservationRecord, StoredAlert

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x6D61696C746C73  # "mailtls": the advisory lock of a daemon


def normalize_url(url: str) -> str:
    """``postgresql://`` (and ``postgres://``) go through psycopg 3; a path is SQLite."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    return url


class HistoryStore:
    """Observations, baselines and alerts of one inventory. Not thread-safe; one per process."""

    def __init__(self, engine: Engine, where: str) -> None:
        self.engine, self.where = engine, where
        self._lock: Any = None

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, lock_timeout: float = 5.0) -> HistoryStore:
        """Open (create, migrate) the history; a named StoreError when that cannot be done."""
        full = normalize_url(url)
        try:
            parsed = make_url(full)
        except ArgumentError:
            raise StoreUnavailable(f"history database {url!r}: not a database URL") from None
        where = parsed.render_as_string(hide_password=True)
        try:
            engine = _engine(parsed, lock_timeout)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreUnavailable(f"history database {where}: no driver ({exc})") from None
        store = cls(engine, where)
        store._migrate()
        return store

    def close(self) -> None:
        self.release()
        self.engine.dispose()

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
        with self._guard(), self.engine.begin() as conn:
            current = MigrationContext.configure(
                conn, opts={"version_table": s.VERSION_TABLE}).get_current_revision()
            if current is not None and current not in known:
                raise StoreSchemaTooNew(
                    f"history database {self.where} has schema {current!r}, newer than this "
                    f"mailtls knows (up to {s.HEAD!r}): upgrade mailtls, or use another "
                    "database; nothing was changed")
            if current != s.HEAD:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except (DBAPIError, SQLAlchemyError, OSError) as exc:
            raise translate(exc, self.where) from exc

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._guard(), self.engine.begin() as conn:
            yield conn

    # --- one owner at a time -----------------------------------------------------------

    @contextlib.contextmanager
    def exclusive(self, owner: str) -> Iterator[None]:
        """Hold the history for ``owner`` (a daemon); StoreBusy if another holds it."""
        self.acquire(owner)
        try:
            yield
        finally:
            self.release()

    def acquire(self, owner: str) -> None:
        if self.engine.dialect.name == "sqlite":
            self._lock = self._file_lock(owner)
        elif self.engine.dialect.name == "postgresql":
            with self._guard():
                conn = self.engine.connect()
                got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": _PG_LOCK_KEY}).scalar()
                conn.commit()
            if not got:
                conn.close()
                raise StoreBusy(f"history database {self.where} is in use by another "
                                "mailtls monitor daemon (PostgreSQL advisory lock held)")
            self._lock = conn

    def _file_lock(self, owner: str) -> Any:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        path = Path(database.removeprefix("file:").split("?")[0] + ".lock")
        try:
            handle = path.open("a+")
        except OSError as exc:
            raise translate(exc, self.where) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StoreBusy(f"history database {self.where} is in use by another mailtls "
                            f"monitor daemon ({holder}); one daemon per history") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{owner}\n")
        handle.flush()
        return handle

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if isinstance(lock, Connection):
            with contextlib.suppress(SQLAlchemyError):
                lock.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
            lock.close()
        else:
            lock.close()  # closing the file drops the flock

    # --- passes and observations ----------------------------------------------------------

    def start_pass(self, started_at: dt.datetime, runner: str = "") -> int:
        with self._tx() as c:
            row = c.execute(s.passes.insert().values(
                started_at=started_at, endpoints=0, runner=runner or f"pid {os.getpid()}"))
            key = row.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_pass(self, pass_id: int, finished_at: dt.datetime, endpoints: int) -> None:
        with self._tx() as c:
            c.execute(s.passes.update().where(s.passes.c.id == pass_id)
                      .values(finished_at=finished_at, endpoints=endpoints))

    def add_observation(self, pass_id: int, record: ObservationRecord) -> int:
        """Store one observation and its findings in one transaction; its new id."""
        return self.add_observations(pass_id, [record])[0]

    def add_observations(self, pass_id: int, records: Sequence[ObservationRecord]) -> list[int]:
        """Several observations in one transaction (all or none); their ids."""
        ids: list[int] = []
        with self._tx() as c:
            for r in records:
                values = _observation_row(r)
                values["pass_id"] = pass_id
                # the statement without .values(): its compiled form is cached (bench/monitor.py)
                key = c.execute(_INSERT_OBSERVATION, values).inserted_primary_key
                assert key is not None
                oid = int(key[0])
                if r.findings:
                    c.execute(s.findings.insert(), [
                        {"observation_id": oid, "finding_id": f, "severity": int(sev)}
                        for f, sev in r.findings])
                ids.append(oid)
        return ids

    def timeline(self, endpoint: str, limit: int = 100) -> list[ObservationRecord]:
        """The endpoint's observations, newest first."""
        query = (sa.select(s.observations).where(s.observations.c.endpoint == endpoint)
                 .order_by(s.observations.c.observed_at.desc(), s.observations.c.id.desc())
                 .limit(limit))
        return self._records(query)

    def pass_observations(self, pass_id: int) -> list[ObservationRecord]:
        query = (sa.select(s.observations).where(s.observations.c.pass_id == pass_id)
                 .order_by(s.observations.c.id))
        return self._records(query)

    def recent(self, endpoints: Sequence[str], per_endpoint: int
               ) -> dict[str, list[ObservationRecord]]:
        """The last ``per_endpoint`` observations of each endpoint, newest first."""
        out: dict[str, list[ObservationRecord]] = {e: [] for e in endpoints}
        obs = s.observations
        rank = sa.func.row_number().over(partition_by=obs.c.endpoint,
                                         order_by=(obs.c.observed_at.desc(), obs.c.id.desc()))
        inner = sa.select(obs, rank.label("rank")).where(obs.c.endpoint.in_(
            sa.bindparam("eps", expanding=True))).subquery()
        query = (sa.select(*[inner.c[c.name] for c in obs.c])
                 .where(inner.c.rank <= per_endpoint)
                 .order_by(inner.c.endpoint, inner.c.observed_at.desc(), inner.c.id.desc()))
        for chunk in _chunks(list(endpoints), 500):
            for r in self._records(query, {"eps": chunk}):
                out[r.endpoint].append(r)
        return out

    def recent_leaves(self, per_endpoint: int = 50
                      ) -> dict[str, list[tuple[str | None, dt.datetime, str]]]:
        """(address, observed_at, leaf SHA-256) of the last tested observations of every
        endpoint, newest first: a light read for the exporter's change times."""
        obs = s.observations
        rank = sa.func.row_number().over(partition_by=obs.c.endpoint,
                                         order_by=(obs.c.observed_at.desc(), obs.c.id.desc()))
        inner = sa.select(obs.c.endpoint, obs.c.address, obs.c.observed_at, obs.c.leaf_sha256,
                          obs.c.id, rank.label("rank")).where(
            obs.c.tested.is_(True), obs.c.leaf_sha256.is_not(None)).subquery()
        query = (sa.select(inner.c.endpoint, inner.c.address, inner.c.observed_at,
                           inner.c.leaf_sha256).where(inner.c.rank <= per_endpoint)
                 .order_by(inner.c.endpoint, inner.c.observed_at.desc(), inner.c.id.desc()))
        out: dict[str, list[tuple[str | None, dt.datetime, str]]] = {}
        with self._guard(), self.engine.connect() as c:
            for r in c.execute(query):
                out.setdefault(r.endpoint, []).append((r.address, r.observed_at, r.leaf_sha256))
        return out

    def endpoints(self) -> list[str]:
        with self._guard(), self.engine.connect() as c:
            return [r[0] for r in c.execute(
                sa.select(s.observations.c.endpoint).distinct().order_by(
                    s.observations.c.endpoint))]

    def _records(self, query: Any, params: Mapping[str, Any] | None = None
                 ) -> list[ObservationRecord]:
        with self._guard(), self.engine.connect() as c:
            rows = list(c.execute(query, dict(params or {})).mappings())
            found: dict[int, list[tuple[str, Severity]]] = {r["id"]: [] for r in rows}
            for chunk in _chunks(list(found), 500):
                for f in c.execute(sa.select(s.findings).where(
                        s.findings.c.observation_id.in_(chunk))):
                    found[f.observation_id].append((f.finding_id, Severity(f.severity)))
        return [_record(r, tuple(found[r["id"]])) for r in rows]

    def prune(self, before: dt.datetime) -> int:
        """Delete observations older than ``before`` (one transaction); how many."""
        obs = s.observations
        old = sa.select(obs.c.id).where(obs.c.observed_at < before)
        with self._tx() as c:
            c.execute(s.findings.delete().where(s.findings.c.observation_id.in_(old)))
            count = c.execute(obs.delete().where(obs.c.observed_at < before)).rowcount
            c.execute(s.passes.delete().where(
                s.passes.c.finished_at < before,
                ~sa.exists().where(obs.c.pass_id == s.passes.c.id)))
            c.execute(s.alerts.delete().where(s.alerts.c.resolved_at < before))
        return int(count or 0)

    # --- baselines and alerts ------------------------------------------------------------

    def baselines(self, endpoints: Sequence[str] | None = None) -> dict[str, Baseline]:
        """The current baseline of each endpoint (the latest accepted)."""
        b = s.baselines
        query = sa.select(b).order_by(b.c.endpoint, b.c.accepted_at, b.c.id)
        if endpoints is not None:
            query = query.where(b.c.endpoint.in_(sa.bindparam("eps", expanding=True)))
        out: dict[str, Baseline] = {}
        with self._guard(), self.engine.connect() as c:
            chunks = _chunks(list(endpoints), 500) if endpoints is not None else [[]]
            for chunk in chunks:
                for r in c.execute(query, {"eps": chunk} if endpoints is not None else {}):
                    out[r.endpoint] = _baseline(r._mapping)
        return out

    def set_baseline(self, baseline: Baseline) -> None:
        self.set_baselines([baseline])

    def set_baselines(self, baselines: Sequence[Baseline]) -> None:
        """Record new baselines, all in one transaction."""
        if not baselines:
            return
        with self._tx() as c:
            c.execute(s.baselines.insert(), [{
                "endpoint": b.endpoint, "leaf_sha256": b.leaf_sha256,
                "spki_sha256": b.spki_sha256, "issuer": b.issuer, "verified": b.verified,
                "legacy": ",".join(b.legacy), "observed_at": b.observed_at,
                "accepted_at": b.accepted_at, "accepted_by": b.accepted_by,
                "reason": b.reason} for b in baselines])

    def baseline_history(self, endpoint: str) -> list[Baseline]:
        b = s.baselines
        with self._guard(), self.engine.connect() as c:
            rows = c.execute(sa.select(b).where(b.c.endpoint == endpoint)
                             .order_by(b.c.accepted_at.desc(), b.c.id.desc()))
            return [_baseline(r._mapping) for r in rows]

    def open_alerts(self) -> dict[tuple[str, str], StoredAlert]:
        a = s.alerts
        with self._guard(), self.engine.connect() as c:
            rows = c.execute(sa.select(a).where(a.c.resolved_at.is_(None)))
            return {(r.endpoint, r.alert_key): _alert(r._mapping) for r in rows}

    def apply_alerts(self, raised: Sequence[StoredAlert], resolved: Sequence[tuple[str, str]],
                     at: dt.datetime) -> None:
        """Open the raised alerts and close the resolved ones, all in one transaction."""
        a = s.alerts
        with self._tx() as c:
            if raised:
                c.execute(a.insert(), [
                    {"endpoint": x.endpoint, "alert_key": x.key, "finding_id": x.finding_id,
                     "severity": int(x.severity), "params": json.dumps(dict(x.params)),
                     "raised_at": x.raised_at or at} for x in raised])
            for endpoint, key in resolved:
                c.execute(a.update().where(a.c.endpoint == endpoint, a.c.alert_key == key,
                                           a.c.resolved_at.is_(None)).values(resolved_at=at))


def _engine(url: sa.URL, lock_timeout: float) -> Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True,
                                connect_args={"connect_timeout": max(1, int(lock_timeout))})
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        parent = Path(database).parent
        if not parent.is_dir():
            raise StoreUnavailable(f"history database {url}: directory {parent} does not exist")
    engine = sa.create_engine(url, connect_args={"timeout": lock_timeout})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        if database != ":memory:":
            # WAL: readers never block the writer; NORMAL: a commit survives a killed
            # process (it is in the WAL file), only power loss may cost the last commits
            with contextlib.suppress(Exception):  # a read-only file keeps its own mode
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


_INSERT_OBSERVATION = s.observations.insert()


def _observation_row(r: ObservationRecord) -> dict[str, Any]:
    return {
        "endpoint": r.endpoint, "scheme": r.scheme, "host": r.host, "port": r.port,
        "address": r.address, "observed_at": r.observed_at, "tested": r.tested,
        "error_id": r.error_id, "verified": r.verified, "leaf_sha256": r.leaf_sha256,
        "spki_sha256": r.spki_sha256, "chain_sha256": ",".join(r.chain_sha256),
        "subject": r.subject, "issuer": r.issuer, "serial": r.serial,
        "not_before": r.not_before, "not_after": r.not_after, "tls_version": r.tls_version,
        "cipher": r.cipher, "duration": r.duration,
    }


def _record(row: Any, found: tuple[tuple[str, Severity], ...]) -> ObservationRecord:
    chain = tuple(x for x in (row["chain_sha256"] or "").split(",") if x)
    return ObservationRecord(
        endpoint=row["endpoint"], scheme=row["scheme"], host=row["host"], port=row["port"],
        address=row["address"], observed_at=row["observed_at"], tested=bool(row["tested"]),
        verified=bool(row["verified"]), error_id=row["error_id"],
        leaf_sha256=row["leaf_sha256"], spki_sha256=row["spki_sha256"], chain_sha256=chain,
        subject=row["subject"], issuer=row["issuer"], serial=row["serial"],
        not_before=row["not_before"], not_after=row["not_after"],
        tls_version=row["tls_version"], cipher=row["cipher"], duration=row["duration"],
        findings=found, id=row["id"], pass_id=row["pass_id"])


def _baseline(row: Any) -> Baseline:
    return Baseline(
        endpoint=row["endpoint"], leaf_sha256=row["leaf_sha256"],
        spki_sha256=row["spki_sha256"], issuer=row["issuer"], verified=bool(row["verified"]),
        legacy=tuple(x for x in row["legacy"].split(",") if x),
        observed_at=row["observed_at"], accepted_at=row["accepted_at"],
        accepted_by=row["accepted_by"], reason=row["reason"])


def _alert(row: Any) -> StoredAlert:
    return StoredAlert(
        endpoint=row["endpoint"], key=row["alert_key"], finding_id=row["finding_id"],
        severity=Severity(row["severity"]), params=json.loads(row["params"]),
        raised_at=row["raised_at"], resolved_at=row["resolved_at"])
