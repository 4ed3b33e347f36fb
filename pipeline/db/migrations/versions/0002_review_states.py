"""Review states named as the report shows them; indexes for report windows and claim pages.

'new' becomes 'pending' and 'rejected' becomes 'dismissed'. Reports filter items by
publication time and claim pages list one claim's findings, so both get an index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_RENAMES = (("new", "pending"), ("rejected", "dismissed"))


def upgrade() -> None:
    """Rename review states; index item.published and finding.claim_id."""
    for old, new in _RENAMES:
        op.execute(f"UPDATE finding SET review_state = '{new}' WHERE review_state = '{old}'")
    op.create_index("ix_item_published", "item", ["published"])
    op.create_index("ix_finding_claim_id", "finding", ["claim_id"])


def downgrade() -> None:
    """Back to the 0001 names, without the indexes."""
    op.drop_index("ix_finding_claim_id", table_name="finding")
    op.drop_index("ix_item_published", table_name="item")
    for old, new in _RENAMES:
        op.execute(f"UPDATE finding SET review_state = '{old}' WHERE review_state = '{new}'")
