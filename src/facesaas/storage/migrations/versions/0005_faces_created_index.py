"""Index faces by (repo_id, created_at): a search over a shared vector index adds the faces
created in the last seconds, which that index may not show yet.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_faces_repo_created", "faces", ["repo_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_faces_repo_created", table_name="faces")
