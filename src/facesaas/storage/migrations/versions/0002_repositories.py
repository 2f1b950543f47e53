"""Face repositories: repos and faces.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(18), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "label", "name", name="uq_repos_tenant_label_name"),
    )
    op.create_index("ix_repos_tenant_id", "repos", ["tenant_id"])
    op.create_table(
        "faces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("repo_id", sa.Integer(), sa.ForeignKey("repos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(18), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("has_image", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("repo_id", "user_id", name="uq_faces_repo_user"),
        sqlite_autoincrement=True,  # ids of deleted faces are never reused (they name vectors)
    )
    op.create_index("ix_faces_repo_id", "faces", ["repo_id"])


def downgrade() -> None:
    op.drop_index("ix_faces_repo_id", table_name="faces")
    op.drop_table("faces")
    op.drop_index("ix_repos_tenant_id", table_name="repos")
    op.drop_table("repos")
