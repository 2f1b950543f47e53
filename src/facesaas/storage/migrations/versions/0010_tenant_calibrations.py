"""Per-tenant threshold tables (facesaas calibrate --tenant).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_calibrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("scheme", sa.String(32), nullable=False),
        sa.Column("thresholds", sa.Text(), nullable=False),
        sa.Column("identities", sa.Integer(), nullable=False),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("genuine_pairs", sa.BigInteger(), nullable=False),
        sa.Column("impostor_pairs", sa.BigInteger(), nullable=False),
        sa.Column("failure_to_enroll", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tenant_calibrations_tenant_id", "tenant_calibrations", ["tenant_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tenant_calibrations_tenant_id", table_name="tenant_calibrations")
    op.drop_table("tenant_calibrations")
