"""Claims for several workers on one database: who is fetching a feed, until when.

`feed.claimed_by` and `feed.claimed_until` let a worker take a feed for the length of one
fetch without holding a transaction open (see `pipeline/db/worker.py`). A partial index on
unanalysed items lets workers take the next analysis batch without scanning analysed rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_UNANALYSED = sa.text("analysed_at IS NULL")


def upgrade() -> None:
    """Add the claim columns and the unanalysed-items index."""
    with op.batch_alter_table("feed") as feed:
        feed.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
        feed.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_item_unanalysed", "item", ["id"], postgresql_where=_UNANALYSED, sqlite_where=_UNANALYSED
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_item_unanalysed", table_name="item")
    with op.batch_alter_table("feed") as feed:
        feed.drop_column("claimed_until")
        feed.drop_column("claimed_by")
