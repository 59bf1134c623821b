"""The history's tables (SQLAlchemy Core). Alembic revisions under migrations/ create them;
this module is what the queries use, and ``HEAD`` is the revision it matches.

Times are stored as naive UTC (SQLite has no time zone type); :class:`UTC` converts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

HEAD = "0001"
VERSION_TABLE = "mailtls_schema"


class UTC(TypeDecorator[dt.datetime]):
    """An aware UTC datetime in, an aware UTC datetime out, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value  # type: ignore[no-any-return]


metadata = MetaData()

passes = Table(
    "passes", metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", UTC, nullable=False),
    Column("finished_at", UTC),
    Column("endpoints", Integer, nullable=False, default=0),
    Column("runner", String(200), nullable=False, default=""),
)

observations = Table(
    "observations", metadata,
    Column("id", Integer, primary_key=True),
    Column("pass_id", Integer, ForeignKey("passes.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("endpoint", String(300), nullable=False, index=True),
    Column("scheme", String(20), nullable=False),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("address", String(64)),
    Column("observed_at", UTC, nullable=False, index=True),
    Column("tested", Boolean, nullable=False),
    Column("error_id", String(80)),
    Column("verified", Boolean, nullable=False),
    Column("leaf_sha256", String(64)),
    Column("spki_sha256", String(64)),
    Column("chain_sha256", Text, nullable=False, default=""),  # comma-separated, leaf first
    Column("subject", Text),
    Column("issuer", Text),
    Column("serial", String(80)),
    Column("not_before", UTC),
    Column("not_after", UTC),
    Column("tls_version", String(20)),
    Column("cipher", String(100)),
    Column("duration", Float, nullable=False, default=0.0),
)

findings = Table(
    "observation_findings", metadata,
    Column("observation_id", Integer, ForeignKey("observations.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("finding_id", String(120), nullable=False),
    Column("severity", Integer, nullable=False),
)

baselines = Table(
    "baselines", metadata,
    Column("id", Integer, primary_key=True),
    Column("endpoint", String(300), nullable=False, index=True),
    Column("leaf_sha256", String(64)),
    Column("spki_sha256", String(64)),
    Column("issuer", Text),
    Column("verified", Boolean, nullable=False),
    Column("legacy", Text, nullable=False, default=""),  # comma-separated protocol names
    Column("observed_at", UTC, nullable=False),
    Column("accepted_at", UTC, nullable=False),
    Column("accepted_by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("endpoint", String(300), nullable=False, index=True),
    Column("alert_key", String(200), nullable=False),
    Column("finding_id", String(120), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("params", Text, nullable=False),  # JSON object
    Column("raised_at", UTC, nullable=False),
    Column("resolved_at", UTC),
)
