"""Finding rows: saving an item's findings without losing reviews, and reading them back.

Functions here take an open Session; `Store` owns the transactions. One finding per item and
claim (a UNIQUE constraint): saving the same findings again changes nothing, so analysing an
item twice can never duplicate a finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from pipeline.db import driversql, items
from pipeline.db.models import FeedRow, FindingRow, ItemRow, row_id
from pipeline.db.rows import StoredFinding
from pipeline.records import Finding, Relation, ReviewState


def save_findings(
    session: Session,
    item: ItemRow,
    findings: Sequence[Finding],
    *,
    now: datetime,
    existing: dict[str, FindingRow] | None = None,
) -> int:
    """Replace the findings of a locked item row, keeping reviews, and mark it analysed; return how many are new.

    A finding that re-analysis changes is updated in place and keeps its review state and
    note; one that no longer appears is deleted unless an analyst has reviewed it. `existing`:
    the item's finding rows by claim, when the caller read them already (`findings_by_item`).
    """
    if existing is None:
        item_id = row_id(item.id)
        existing = findings_by_item(session, [item_id]).get(item_id, {})
    return save_many(session, [(item, findings, existing)], now=now)


def save_many(
    session: Session,
    batch: Sequence[tuple[ItemRow, Sequence[Finding], dict[str, FindingRow]]],
    *,
    now: datetime,
) -> int:
    """`save_findings` for several locked items with their existing rows; new rows in one INSERT."""
    return _insert_new(
        session, [row for item, found, old in batch for row in _replace(session, item, found, old, now)]
    )


def save_new(session: Session, results: Mapping[int, Sequence[Finding]], *, now: datetime) -> int:
    """Findings of locked, unanalysed items (`items.lock_unanalysed`) that may have none stored yet.

    Items with no finding rows (all but a crashed re-analysis's) need no ORM row: their findings
    go in one INSERT and the items are marked analysed in one UPDATE; the rest are replaced as
    `save_many` does, reviews kept.
    """
    # Most items have no finding rows: one Core look-up of which do, ORM rows only for those.
    existing = findings_by_item(session, _having_findings(session, sorted(results)))
    to_insert: list[tuple[Any, ...]] = []
    if existing:
        for row in session.exec(select(ItemRow).where(col(ItemRow.id).in_(list(existing)))).all():
            item_id = row_id(row.id)
            to_insert += _replace(session, row, results[item_id], existing[item_id], now)
    fresh = [item_id for item_id in results if item_id not in existing]
    items.mark_analysed(session, fresh, now)
    to_insert += [
        _new_row(item_id, claim_id, finding, now)
        for item_id in fresh
        for claim_id, finding in _strongest_per_claim(results[item_id]).items()
    ]
    return _insert_new(session, to_insert)


def _having_findings(session: Session, item_ids: list[int]) -> list[int]:
    """The items of `item_ids` that have finding rows."""
    having: list[int] = []
    for chunk in items.chunks(item_ids):
        having += driversql.having_findings(session.connection(), chunk)
    return having


def _insert_new(session: Session, rows: list[tuple[Any, ...]]) -> int:
    """Insert finding rows (`_new_row`s); return how many were new."""
    # Multi-row INSERTs as driver SQL; RETURNING counts what is new (a re-run inserts nothing).
    return sum(driversql.insert_findings(session.connection(), chunk) for chunk in items.chunks(rows))


def _new_row(item_id: int, claim_id: str, finding: Finding, now: datetime) -> tuple[Any, ...]:
    """A new finding's values in `driversql.FINDING_COLUMNS` order: pending review, created now."""
    values = _finding_values(finding)
    return (
        item_id,
        claim_id,
        values["relation"],
        values["places"],
        values["evidence"],
        values["score"],
        values["reasons"],
        ReviewState.PENDING.value,
        now,
        now,
    )


def _replace(
    session: Session, item: ItemRow, found: Sequence[Finding], existing: dict[str, FindingRow], now: datetime
) -> list[tuple[Any, ...]]:
    """Update or delete the item's existing rows in place; return the rows still to insert."""
    item_id = row_id(item.id)
    best = _strongest_per_claim(found)
    to_insert: list[tuple[Any, ...]] = []
    for claim_id, finding in best.items():
        values = _finding_values(finding)
        row = existing.get(claim_id)
        if row is None:
            to_insert.append(_new_row(item_id, claim_id, finding, now))
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated = now
    for claim_id, row in existing.items():
        if claim_id not in best and row.review_state == ReviewState.PENDING:
            session.delete(row)
    item.analysed_at = now
    return to_insert


def findings_by_item(session: Session, item_ids: Sequence[int]) -> dict[int, dict[str, FindingRow]]:
    """The finding rows of several items in one query: item id -> claim id -> row."""
    found: dict[int, dict[str, FindingRow]] = {}
    if item_ids:
        for row in session.exec(select(FindingRow).where(col(FindingRow.item_id).in_(item_ids))).all():
            found.setdefault(row.item_id, {})[row.claim_id] = row
    return found


def item_for_update(session: Session, item_id: int) -> ItemRow:
    """The item row, locked until commit; a missing item is a bug in the caller."""
    item = session.exec(select(ItemRow).where(col(ItemRow.id) == item_id).with_for_update()).first()
    if item is None:
        raise ValueError(f"no item with id {item_id}")
    return item


def set_review(
    session: Session, finding_id: int, state: ReviewState, *, now: datetime, note: str | None
) -> bool:
    """Record an analyst's decision (and note, when given); False when there is no such finding."""
    row = session.get(FindingRow, finding_id)
    if row is None:
        return False
    row.review_state = state.value
    row.reviewed_at = row.updated = now
    if note is not None:
        row.note = note
    return True


def find(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    found_since: datetime | None = None,
    claim_id: str | None = None,
    review: Sequence[ReviewState] | None = None,
    finding_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StoredFinding]:
    """Findings, newest report first, narrowed as `Store.findings` documents."""
    statement = (
        select(FindingRow, ItemRow, FeedRow.name)
        .join(ItemRow, col(FindingRow.item_id) == col(ItemRow.id))
        .join(FeedRow, col(ItemRow.feed_id) == col(FeedRow.id))
        .order_by(col(ItemRow.published).desc(), col(FindingRow.id).desc())
        .offset(offset)
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(col(ItemRow.published) >= since)
    if until is not None:
        statement = statement.where(col(ItemRow.published) < until)
    if found_since is not None:
        statement = statement.where(col(FindingRow.updated) >= found_since)
    if claim_id is not None:
        statement = statement.where(col(FindingRow.claim_id) == claim_id)
    if review is not None:
        statement = statement.where(col(FindingRow.review_state).in_([state.value for state in review]))
    if finding_id is not None:
        statement = statement.where(col(FindingRow.id) == finding_id)
    return [_stored_finding(row, item, feed_name) for row, item, feed_name in session.exec(statement).all()]


def _strongest_per_claim(findings: Sequence[Finding]) -> dict[str, Finding]:
    best: dict[str, Finding] = {}
    for finding in findings:
        if finding.claim_id not in best or finding.score > best[finding.claim_id].score:
            best[finding.claim_id] = finding
    return best


# One encoder for every row: `json.dumps` with options builds a new encoder each call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _finding_values(finding: Finding) -> dict[str, Any]:
    return {
        "relation": finding.relation.value,
        "places": _to_json(list(finding.places)),
        "evidence": finding.evidence,
        "score": finding.score,
        "reasons": _to_json(list(finding.reasons)),
    }


def _stored_finding(row: FindingRow, item: ItemRow, feed_name: str) -> StoredFinding:
    return StoredFinding(
        id=row_id(row.id),
        item_id=row.item_id,
        claim_id=row.claim_id,
        relation=Relation(row.relation),
        places=tuple(json.loads(row.places)),
        evidence=row.evidence,
        score=row.score,
        reasons=tuple(json.loads(row.reasons)),
        review_state=ReviewState(row.review_state),
        reviewed_at=row.reviewed_at,
        note=row.note,
        created=row.created,
        updated=row.updated,
        story_id=item.story_id if item.story_id is not None else row.item_id,
        title=item.title,
        url=item.url or item.canonical_url,
        published=item.published,
        feed_name=feed_name,
    )
