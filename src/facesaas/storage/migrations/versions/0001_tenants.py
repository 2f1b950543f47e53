"""Customers (tenants) table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("access_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("key_salt", sa.LargeBinary(16), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_rotated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tenants_access_id", "tenants", ["access_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_tenants_access_id", table_name="tenants")
    op.drop_table("tenants")
