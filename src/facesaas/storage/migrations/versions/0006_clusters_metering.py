"""Clusters, quotas, metering and prices (issue 15): each tenant belongs to one cluster and may
have its own limits; ``calls`` holds one row per authenticated call on staging and production;
``prices`` the unit price of each endpoint from a day on.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing customers were issued by a private deployment.
    op.add_column("tenants", sa.Column("cluster", sa.String(16), nullable=False, server_default="private"))
    op.add_column("tenants", sa.Column("promoted_from", sa.String(16), nullable=True))
    op.add_column("tenants", sa.Column("limit_per_second", sa.Integer(), nullable=True))
    op.add_column("tenants", sa.Column("limit_per_day", sa.Integer(), nullable=True))
    op.add_column("tenants", sa.Column("limit_concurrent", sa.Integer(), nullable=True))
    op.create_table(
        "calls",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("cluster", sa.String(16), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("rtn", sa.Integer(), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_calls_tenant_day", "calls", ["tenant_id", "day"])
    op.create_index("ix_calls_tenant_second", "calls", ["tenant_id", "second"])
    op.create_table(
        "prices",
        sa.Column("endpoint", sa.String(64), primary_key=True),
        sa.Column("effective_from", sa.Date(), primary_key=True),
        sa.Column("unit_price", sa.String(24), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("prices")
    op.drop_index("ix_calls_tenant_second", table_name="calls")
    op.drop_index("ix_calls_tenant_day", table_name="calls")
    op.drop_table("calls")
    with op.batch_alter_table("tenants") as batch:
        for name in ("limit_concurrent", "limit_per_day", "limit_per_second", "promoted_from", "cluster"):
            batch.drop_column(name)
