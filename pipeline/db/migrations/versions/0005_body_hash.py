"""A digest of each feed's last stored body, so that an unchanged body from a server ignoring validators is not parsed again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add feed.body_hash."""
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("body_hash", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop feed.body_hash."""
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("body_hash")
