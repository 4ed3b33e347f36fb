"""Initial schema: feed, item, item_source, finding.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Migrations use plain types, never imports from models.py, so that they stay as written
# when the models change. The models' UTCDateTime is DateTime(timezone=True) underneath.
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("last_fetched", _UTC, nullable=True),
        sa.Column("last_success", _UTC, nullable=True),
        sa.Column("next_due", _UTC, nullable=True),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("created", _UTC, nullable=False),
        sa.UniqueConstraint("name", name="uq_feed_name"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("guid", sa.Text(), nullable=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published", _UTC, nullable=False),
        sa.Column("fetched", _UTC, nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("analysed_at", _UTC, nullable=True),
        sa.UniqueConstraint("canonical_url", name="uq_item_canonical_url"),
    )
    op.create_index("ix_item_content_hash", "item", ["content_hash"])
    op.create_index("ix_item_fetched", "item", ["fetched"])
    op.create_index("ix_item_story_id", "item", ["story_id"])
    op.create_table(
        "item_source",
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("guid", sa.Text(), nullable=True),
    )
    op.create_index("ix_item_source_feed_guid", "item_source", ["feed_id", "guid"])
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("item.id", ondelete="CASCADE"), nullable=False),
        sa.Column("claim_id", sa.Text(), nullable=False),
        sa.Column("relation", sa.Text(), nullable=False),
        sa.Column("places", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("review_state", sa.Text(), nullable=False),
        sa.Column("reviewed_at", _UTC, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("updated", _UTC, nullable=False),
        sa.UniqueConstraint("item_id", "claim_id", name="uq_finding_item_claim"),
    )
    op.create_index("ix_finding_created", "finding", ["created"])


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("finding")
    op.drop_table("item_source")
    op.drop_table("item")
    op.drop_table("feed")
