"""Each repository records the embedding scheme of its vectors.

Revision ID: 0009
Revises: 0008

Every vector stored before this revision was made by plain SFace, so existing repositories are
marked "sface"; a server running another scheme refuses to start on them (docs/accuracy.md,
"Embedding scheme").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repos") as batch:
        batch.add_column(sa.Column("embedding_scheme", sa.String(32), nullable=False, server_default="sface"))


def downgrade() -> None:
    with op.batch_alter_table("repos") as batch:
        batch.drop_column("embedding_scheme")
