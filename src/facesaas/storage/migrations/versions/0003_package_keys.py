"""Liveness packages: customers' package keys and the packages seen (replay protection).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("key", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_package_keys_tenant_id", "package_keys", ["tenant_id"])
    op.create_index("ix_package_keys_key_id", "package_keys", ["key_id"], unique=True)
    op.create_table(
        "package_uses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "package_id", name="uq_package_uses_tenant_package"),
    )
    op.create_index("ix_package_uses_expires_at", "package_uses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_package_uses_expires_at", table_name="package_uses")
    op.drop_table("package_uses")
    op.drop_index("ix_package_keys_key_id", table_name="package_keys")
    op.drop_index("ix_package_keys_tenant_id", table_name="package_keys")
    op.drop_table("package_keys")
