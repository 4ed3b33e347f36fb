"""Stored findings for report tests, over the real bakhmut baseline (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.baseline import Baseline, load_baseline
from pipeline.db.rows import StoredFinding
from pipeline.records import Relation, ReviewState

ROOT = Path(__file__).parent.parent.parent
BASELINE_FILE = ROOT / "config" / "baselines" / "bakhmut-2023-01-26.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "report"
T0 = datetime(2023, 5, 20, 18, 0, tzinfo=UTC)


def bakhmut() -> Baseline:
    return load_baseline(BASELINE_FILE)


def stored(
    finding_id: int,
    *,
    claim_id: str = "bakhmut-battle",
    relation: Relation = Relation.UPDATES,
    published: datetime = T0,
    review: ReviewState = ReviewState.PENDING,
    item_id: int | None = None,
    story_id: int | None = None,
    title: str = "Wagner chief claims full control of Bakhmut",
    url: str = "https://wire.example/bakhmut",
    evidence: str = "Wagner chief claims full control of Bakhmut",
    reasons: tuple[str, ...] = ("place: 'Bakhmut' → Bakhmut (exact)", "event: 'full control' → capture"),
    places: tuple[str, ...] = ("Bakhmut",),
    feed: str = "wire",
    score: float = 0.9,
) -> StoredFinding:
    item = finding_id if item_id is None else item_id
    return StoredFinding(
        id=finding_id,
        item_id=item,
        claim_id=claim_id,
        relation=relation,
        places=places,
        evidence=evidence,
        score=score,
        reasons=reasons,
        review_state=review,
        reviewed_at=None,
        note=None,
        created=published,
        updated=published,
        story_id=item if story_id is None else story_id,
        title=title,
        url=url,
        published=published,
        feed_name=feed,
    )
