"""Reviews: a reviewer's verdict on a fact (exported as schema.org ClaimReview), recorded as one act of the
write unit (``ledger.services.unit``): appended to ``reviews/AUTHOR.jsonl``, then replayed into the ledger."""

from __future__ import annotations

from pathlib import Path

from ledger.services import claimreview
from ledger.services import repository, unit
from ledger.store import history

REVIEWER_TYPES = claimreview.REVIEWER_TYPES


def add_review(db, claim: str | None = None, *, reviews_dir="reviews", **fields) -> dict:
    """`ledger review add`: record a verdict on the fact claim ``claim`` states, or on the ``subject``,
    ``predicate`` and ``value`` given in ``fields`` (with ``rating``, ``reviewer``, ``url``, …). Reviews are
    added, never edited: one already recorded is left as it is. Returns the review's row with ``added``."""
    with unit.act(Path(reviews_dir).parent):
        row = claimreview.make_review(db, claim=claim, recorded_at=repository.record_time(db), **fields)
        added = not db.execute("SELECT 1 FROM reviews WHERE id = ?", [row["id"]]).fetchone()
        if added:
            # the reviews file first, then the ledger replayed from it (the files are the ledger)
            actor = history.default_actor()
            path = repository.reviews_path(reviews_dir, actor)
            unit.commit(db, lambda: repository.append_jsonl(path, [{**row, "recorded_by": actor}]),
                        reviews=[path], reviews_dir=reviews_dir)
    return {**row, "added": added}


def list_reviews(db) -> list[dict]:
    """Every review, oldest first."""
    return list(db.query("SELECT * FROM reviews ORDER BY date, id"))
