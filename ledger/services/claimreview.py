"""Reviewers' verdicts on facts, published as schema.org ClaimReview.

A review rates a fact, a (subject, predicate, value) triple that one or more
claims record. It holds a rating in words (``False``, ``Mostly true``),
optionally on a numeric scale (``rating_value`` between ``worst_rating`` and
``best_rating``), an explanation, the reviewer, the date and the URL of the
published fact check. Reviews are added, never edited: a changed verdict is a
new review.

``ledger export --format claimreview`` writes one ClaimReview JSON-LD object
per review (https://schema.org/ClaimReview, with the properties Google's
ClaimReview structured-data guidelines require or recommend), whose
``itemReviewed`` Claim lists every source span that makes the claim as an
``appearance``.

Google's rules are followed where the schema is looser: a numeric scale runs
from ``worstRating`` >= 1 up to a greater ``bestRating`` in whole numbers, so an
inverted scale (5 worst .. 1 best) is turned round and a scale starting at 0
(or below) is shifted up when the review is added, and a fractional one is
refused; the Rating carries the verdict as ``name`` and ``alternateName``;
``claimReviewed`` is cut to under 75 characters at a word boundary while the
Claim's ``name`` keeps the whole text; speakers and authors are typed Person
or Organization from the entity table (``entities.yml``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from sqlite_utils import Database

from ledger.core.atomic import write_atomic
from ledger.core.errors import LedgerError
from ledger.formats.tabular import output_file
from ledger.store.history import standing
from ledger.core import ids
from ledger.core.normalize import fold_name

REVIEWER_TYPES = ("Organization", "Person")
# Google: "claimReviewed: a short summary of the claim being evaluated. Try to keep this less than 75 characters"
CLAIM_REVIEWED_MAX = 74
# entities.yml types as schema.org types (places, events and things do not speak)
SCHEMA_TYPES = {"person": "Person", "organisation": "Organization"}
# the fields whose values make a review what it is (recorded_at is not one)
IDENTITY = (
    "subject", "predicate", "value", "claim_reviewed", "rating", "rating_value", "best_rating", "worst_rating",
    "explanation", "reviewer", "reviewer_type", "reviewer_url", "url", "date",
)


class InvalidReview(LedgerError):
    """A review is missing something, or names a fact the ledger does not hold."""


def review_id(row: dict) -> str:
    ident = {k: row.get(k) for k in IDENTITY}
    return ids.review_id(ident)


def default_summary(subject: str, predicate: str, value: str) -> str:
    """``Morodok Techo National Stadium seating capacity: 60,000``."""
    return f"{subject} {predicate.replace('_', ' ')}: {value}"


def _http(url: str | None, what: str) -> str | None:
    if url is None:
        return None
    if not re.match(r"^https?://\S+$", url):
        raise InvalidReview(f"{what} {url!r} must be an http(s) URL")
    return url


def google_scale(value: float, best: float, worst: float) -> tuple[float, float, float]:
    """A rating scale as Google's ClaimReview rules want it: whole numbers,
    ``worstRating`` at least 1 and below ``bestRating``. An inverted scale is
    turned round (value mirrored) and a scale starting below 1 shifted up;
    fractions cannot be converted without choosing a new scale, so they are
    refused."""
    if not all(float(v).is_integer() for v in (value, best, worst)):
        raise InvalidReview(
            f"the rating scale {worst:g} (worst) .. {best:g} (best) with value {value:g} has fractions; Google's "
            "ClaimReview rules want whole numbers: give a whole-number scale such as 1 .. 5 (or leave the numbers "
            "out and give only --rating in words)"
        )
    if best < worst:
        value, best, worst = best + worst - value, worst, best
    if worst < 1:
        shift = 1 - worst
        value, best, worst = value + shift, best + shift, worst + shift
    return float(value), float(best), float(worst)


def short_claim(text: str, limit: int = CLAIM_REVIEWED_MAX) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending
    in an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def entity_type(db: Database, name: str | None) -> tuple[str, str] | None:
    """(canonical name, schema.org type) for a person or organisation the
    entity table knows by ``name``; None otherwise."""
    if not name or not db["entity_aliases"].exists():
        return None
    row = db.execute(
        "SELECT e.name, e.type FROM entity_aliases a JOIN entities e ON e.id = a.entity_id WHERE a.alias_key = ?",
        [fold_name(name)],
    ).fetchone()
    if row is None or row[1] not in SCHEMA_TYPES:
        return None
    return row[0], SCHEMA_TYPES[row[1]]


def agent(db: Database, name: str, *, publisher: str | None = None, default: str = "Person") -> dict:
    """A speaker or author as a schema.org Person or Organization: typed by
    the entity table, else an Organization when it is the source's publisher,
    else ``default``."""
    known = entity_type(db, name)
    if known:
        return {"@type": known[1], "name": known[0]}
    if publisher and fold_name(name) == fold_name(publisher):
        return {"@type": "Organization", "name": name}
    return {"@type": default, "name": name}


def make_review(
    db: Database,
    *,
    claim: str | None = None,
    subject: str | None = None,
    predicate: str | None = None,
    value: str | None = None,
    rating: str,
    rating_value: float | None = None,
    best_rating: float | None = None,
    worst_rating: float | None = None,
    explanation: str | None = None,
    reviewer: str,
    reviewer_type: str = "Organization",
    reviewer_url: str | None = None,
    url: str,
    date: str | None = None,
    claim_reviewed: str | None = None,
    recorded_at: str | None = None,
) -> dict:
    """A validated review row for a fact the ledger holds (by claim id, or by
    subject, predicate and value)."""
    if claim is not None:
        if subject or predicate or value:
            raise InvalidReview("give a claim id or --subject/--predicate/--value, not both")
        row = db.execute("SELECT subject, predicate, value FROM claims WHERE id = ?", [claim]).fetchone()
        if row is None:
            raise InvalidReview(f"no claim {claim!r} in the ledger; see `ledger claim` or the claims table for ids")
        subject, predicate, value = row
    elif not (subject and predicate and value):
        raise InvalidReview("name the fact reviewed: a claim id, or all of --subject, --predicate and --value")
    subject, value = subject.strip(), value.strip()
    if not db.execute(
        f"SELECT 1 FROM claims c WHERE subject = ? AND predicate = ? AND value = ? AND {standing(db)} LIMIT 1",
        [subject, predicate, value],
    ).fetchone():
        raise InvalidReview(
            f"no claim that stands records {subject!r} / {predicate} = {value!r}; a review rates a fact the "
            "ledger holds (record the claim first, or check the spelling against the claims table; superseded "
            "and retracted claims do not count)"
        )
    if not rating or not rating.strip():
        raise InvalidReview("--rating (the verdict in words, e.g. 'False' or 'Mostly true') is required")
    if not reviewer or not reviewer.strip():
        raise InvalidReview("--reviewer (who reviewed it) is required")
    if reviewer_type not in REVIEWER_TYPES:
        raise InvalidReview(f"reviewer type {reviewer_type!r} must be one of {', '.join(REVIEWER_TYPES)}")
    scale = (rating_value, best_rating, worst_rating)
    if any(v is not None for v in scale):
        if any(v is None for v in scale):
            raise InvalidReview("--rating-value, --best-rating and --worst-rating go together: give all three or none")
        if best_rating == worst_rating:
            raise InvalidReview("--best-rating and --worst-rating must differ")
        if not min(best_rating, worst_rating) <= rating_value <= max(best_rating, worst_rating):
            raise InvalidReview(
                f"--rating-value {rating_value:g} is outside the scale {worst_rating:g} (worst) .. {best_rating:g} (best)"
            )
        rating_value, best_rating, worst_rating = google_scale(rating_value, best_rating, worst_rating)
    if date is None:
        date = dt.datetime.now(dt.timezone.utc).date().isoformat()
    try:
        date = dt.date.fromisoformat(date).isoformat()
    except (TypeError, ValueError):
        raise InvalidReview(f"--date {date!r} is not a date; write YYYY-MM-DD") from None
    row = {
        "subject": subject,
        "predicate": predicate,
        "value": value,
        "claim_reviewed": (claim_reviewed or "").strip() or default_summary(subject, predicate, value),
        "rating": rating.strip(),
        "rating_value": None if rating_value is None else float(rating_value),
        "best_rating": None if best_rating is None else float(best_rating),
        "worst_rating": None if worst_rating is None else float(worst_rating),
        "explanation": explanation,
        "reviewer": reviewer.strip(),
        "reviewer_type": reviewer_type,
        "reviewer_url": _http(reviewer_url, "--reviewer-url"),
        "url": _http(url, "--url"),
        "date": date,
        "recorded_at": recorded_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    }
    if not row["url"]:
        raise InvalidReview("--url (the page where the fact check is published) is required")
    row["id"] = review_id(row)
    return row


def add_review(db: Database, row: dict) -> bool:
    """Insert a review row as (part of) a history entry of kind ``review``;
    False when the same review is already recorded. The caller holds the
    write transaction. The one way a review enters the ledger, for the CLI
    and for a rebuild from files alike: the entry's who and when come from
    the review's own ``reviewer`` and ``recorded_at``, so replaying the same
    reviews gives the same entries."""
    from ledger.store import history

    if db.execute("SELECT 1 FROM reviews WHERE id = ?", [row["id"]]).fetchone():
        return False
    with history.entry(db, "review", actor=row["reviewer"], at=row["recorded_at"], always=True) as e:
        db["reviews"].insert({**row, "entry_id": e.id})
    return True


# ---------------------------------------------------------------- JSON-LD


def _number(v):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else v


def _org(name):
    return {"@type": "Organization", "name": name} if name else None


def appearances(db: Database, subject: str, predicate: str, value: str) -> list[dict]:
    """Every source span making the fact (claims that stand: not superseded,
    retracted or orphaned), as a schema.org CreativeWork, earliest published first."""
    rows = db.query(
        f"""
        SELECT c.id, c.span_start, c.span_end, c.span_text, c.speaker, s.id AS source_id, s.title, s.url,
               s.publisher, s.published, s.authors
        FROM claims c JOIN sources s ON s.id = c.source_id
        WHERE c.subject = ? AND c.predicate = ? AND c.value = ? AND {standing(db)}
        ORDER BY s.published IS NULL, s.published, s.slug, c.span_start, c.id
        """,
        [subject, predicate, value],
    )
    out = []
    for r in rows:
        work = {"@type": "CreativeWork"}
        if r["url"]:
            work["url"] = r["url"]
        if r["title"]:
            work["headline"] = r["title"]
        if r["published"]:
            work["datePublished"] = r["published"]
        if r["publisher"]:
            work["publisher"] = _org(r["publisher"])
        authors = json.loads(r["authors"] or "[]")
        if authors:
            work["author"] = [agent(db, a, publisher=r["publisher"]) for a in authors]
        # the span itself: the source's own words, and where they sit in its
        # text (code points, end excluded) identified by the text's sha256
        work["text"] = r["span_text"]
        work["identifier"] = [
            {"@type": "PropertyValue", "propertyID": "ledger-claim", "value": r["id"]},
            {"@type": "PropertyValue", "propertyID": "sha256", "value": r["source_id"]},
            {
                "@type": "PropertyValue",
                "propertyID": "span-code-points",
                "value": f"{r['span_start']}-{r['span_end']}",
            },
        ]
        out.append({"work": work, "speaker": r["speaker"], "publisher": r["publisher"], "published": r["published"]})
    return out


def claim_review(db: Database, review: dict) -> dict:
    """One review as a schema.org ClaimReview JSON-LD object."""
    found = appearances(db, review["subject"], review["predicate"], review["value"])
    claim = {"@type": "Claim", "name": review["claim_reviewed"]}  # the whole text; claimReviewed is short
    speakers = {a["speaker"] for a in found if a["speaker"]}
    if len(speakers) == 1:
        speaker = speakers.pop()
        claim["author"] = agent(db, speaker, publisher=next(a["publisher"] for a in found if a["speaker"] == speaker))
    elif found and found[0]["publisher"]:
        claim["author"] = _org(found[0]["publisher"])
    dated = [a["published"] for a in found if a["published"]]
    if dated:
        claim["datePublished"] = min(dated)
    if found:
        claim["firstAppearance"] = found[0]["work"]
        claim["appearance"] = [a["work"] for a in found]
    rating = {"@type": "Rating", "name": review["rating"], "alternateName": review["rating"]}
    if review["rating_value"] is not None:
        try:
            value, best, worst = google_scale(review["rating_value"], review["best_rating"], review["worst_rating"])
        except InvalidReview:
            pass  # recorded before the rule: the verdict in words stands alone
        else:
            rating.update(ratingValue=_number(value), bestRating=_number(best), worstRating=_number(worst))
    if review["explanation"]:
        rating["ratingExplanation"] = review["explanation"]
    author = {"@type": review["reviewer_type"], "name": review["reviewer"]}
    if review["reviewer_url"]:
        author["url"] = review["reviewer_url"]
    out = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": review["id"],
        "url": review["url"],
        "datePublished": review["date"],
        "author": author,
        "claimReviewed": short_claim(review["claim_reviewed"]),
        "reviewRating": rating,
        "itemReviewed": claim,
    }
    if review["explanation"]:
        out["reviewBody"] = review["explanation"]
    return out


def claim_reviews(db: Database) -> tuple[list[dict], list[str]]:
    """The ClaimReview of every review whose fact some standing claim still
    makes, and the ids of the reviews left out because none does."""
    items, left_out = [], []
    for r in db.query("SELECT * FROM reviews ORDER BY date, id"):
        cr = claim_review(db, r)
        if cr["itemReviewed"].get("appearance"):
            items.append(cr)
        else:
            left_out.append(r["id"])
    return items, left_out


def export_claimreview(db: Database, out: str | Path, **options) -> dict:
    """Every review as schema.org ClaimReview JSON-LD (a JSON list of objects).
    A review whose fact no standing claim makes any more (all superseded or
    retracted) has no appearance to publish: it is left out and counted."""
    out = output_file(out, "json")
    items, left_out = claim_reviews(db)
    write_atomic(out, (json.dumps(items, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))  # whole or not at all
    summary = {"format": "claimreview", "out": str(out), "reviews": len(items)}
    if left_out:
        summary["left_out"] = left_out
    return summary
