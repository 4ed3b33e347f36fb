"""Drop the item indexes no query reads: content_hash and story_id.

Every stored item paid for both (a random 64-character key and a mostly-NULL one: ~20% and ~15%
of inserting an item row into SQLite, measured on 20,000 rows), and no statement filters or
orders by either column: copies are found through the story index, and readers group by
COALESCE(story_id, id), which an index on story_id does not serve.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Drop ix_item_content_hash and ix_item_story_id."""
    op.drop_index("ix_item_content_hash", table_name="item")
    op.drop_index("ix_item_story_id", table_name="item")


def downgrade() -> None:
    """Create them again."""
    op.create_index("ix_item_content_hash", "item", ["content_hash"])
    op.create_index("ix_item_story_id", "item", ["story_id"])
