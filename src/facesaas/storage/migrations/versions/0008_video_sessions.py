"""H5 video liveness sessions.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("actions", sa.String(128), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("database_feature", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("preview_frames", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
    )
    op.create_index("ix_video_sessions_session_id", "video_sessions", ["session_id"], unique=True)
    op.create_index("ix_video_sessions_token_hash", "video_sessions", ["token_hash"], unique=True)
    op.create_index("ix_video_sessions_tenant_id", "video_sessions", ["tenant_id"])
    op.create_index("ix_video_sessions_delete_after", "video_sessions", ["delete_after"])


def downgrade() -> None:
    for name in ("delete_after", "tenant_id", "token_hash", "session_id"):
        op.drop_index(f"ix_video_sessions_{name}", table_name="video_sessions")
    op.drop_table("video_sessions")
