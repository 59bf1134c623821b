"""The first history schema: passes, observations and their findings, baselines, alerts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mailtls.store.schema import UTC

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC),
        sa.Column("endpoints", sa.Integer, nullable=False),
        sa.Column("runner", sa.String(200), nullable=False),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pass_id", sa.Integer, sa.ForeignKey("passes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("endpoint", sa.String(300), nullable=False, index=True),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("observed_at", UTC, nullable=False, index=True),
        sa.Column("tested", sa.Boolean, nullable=False),
        sa.Column("error_id", sa.String(80)),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("leaf_sha256", sa.String(64)),
        sa.Column("spki_sha256", sa.String(64)),
        sa.Column("chain_sha256", sa.Text, nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("issuer", sa.Text),
        sa.Column("serial", sa.String(80)),
        sa.Column("not_before", UTC),
        sa.Column("not_after", UTC),
        sa.Column("tls_version", sa.String(20)),
        sa.Column("cipher", sa.String(100)),
        sa.Column("duration", sa.Float, nullable=False),
    )
    op.create_table(
        "observation_findings",
        sa.Column("observation_id", sa.Integer,
                  sa.ForeignKey("observations.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("finding_id", sa.String(120), nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("endpoint", sa.String(300), nullable=False, index=True),
        sa.Column("leaf_sha256", sa.String(64)),
        sa.Column("spki_sha256", sa.String(64)),
        sa.Column("issuer", sa.Text),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("legacy", sa.Text, nullable=False),
        sa.Column("observed_at", UTC, nullable=False),
        sa.Column("accepted_at", UTC, nullable=False),
        sa.Column("accepted_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("endpoint", sa.String(300), nullable=False, index=True),
        sa.Column("alert_key", sa.String(200), nullable=False),
        sa.Column("finding_id", sa.String(120), nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("raised_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC),
    )


def downgrade() -> None:
    for name in ("alerts", "baselines", "observation_findings", "observations", "passes"):
        op.drop_table(name)
