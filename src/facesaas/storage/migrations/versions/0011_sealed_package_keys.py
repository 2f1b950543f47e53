"""Package keys are stored sealed by the vault (72 bytes: header, key, GCM tag), no longer as
32 clear bytes: the column is widened. The clear values of a deployment from before are sealed
at start-up, where the master key is known (``tenants.package_keys.seal_clear_keys``), not
here: a migration has no settings.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("package_keys") as batch:
        batch.alter_column("key", existing_type=sa.LargeBinary(32), type_=sa.LargeBinary(128), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("package_keys") as batch:
        batch.alter_column("key", existing_type=sa.LargeBinary(128), type_=sa.LargeBinary(32), existing_nullable=False)
