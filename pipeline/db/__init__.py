"""The storage edge: SQLModel tables, engine and migrations, and `Store`, which holds every query.

Nothing outside `db/` sees a row: `Store` takes and returns the records defined in
`pipeline.records` and in `rows.py`.
"""

from pipeline.db.engine import check_schema, create_db_engine, ensure_schema, migrate
from pipeline.db.rows import FeedStatus, NewItem, StoredFinding, StoredItem
from pipeline.db.store import Store

__all__ = [
    "FeedStatus",
    "NewItem",
    "Store",
    "StoredFinding",
    "StoredItem",
    "check_schema",
    "create_db_engine",
    "ensure_schema",
    "migrate",
]
