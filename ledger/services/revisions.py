"""Source revisions and re-anchoring claims onto a new revision.

A publisher edits an article after we recorded claims in it. The new text is
a new **revision** of the same source, never an overwrite: ``sources/<slug>.txt``
stays the first text for good, ``sources/<slug>@2.txt`` (``@3``, …) holds each
later one, and in the ledger every revision is its own row (slug ``<slug>@n``,
``document`` = ``<slug>``, ``revision`` = n), so no text, span or claim is ever
lost.

``reanchor`` carries each current claim of an older revision onto the latest:

1. **exact**: the claim's span text occurs in the new text (several
   occurrences: the one whose surrounding text matches best, then the one
   nearest the old position); a short span also needs some of its old
   context, so "Wang" does not jump to an unrelated "Wang";
2. **fuzzy**: rapidfuzz ``partial_ratio_alignment`` within a window around
   the old position, boundaries refined to the best ``ratio``; accepted at
   ``min_score`` (default 90) and only if the passage still says the same
   thing: the same numbers, the same negations, and the words of the claim's
   value that the old passage held;
3. otherwise **orphaned**: marked for review with the best score found and
   why, never moved.

A moved claim is a new claim row on the new revision; the old one is marked
superseded by it (method ``reanchor-exact`` / ``reanchor-fuzzy``, with the
score), all in one history entry.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz
from sqlite_utils import Database

from ledger.core.anchor import fold_quote
from ledger.core.slugs import REVISION_RE, revision_slug, split_slug  # noqa: F401 (named here as before)
from ledger.formats.claimfile import ClaimInput
from ledger.core.errors import InvalidSource, LedgerError
from ledger.store.history import add_event, status_of
from ledger.formats.sources import Source
from ledger.store.writer import SourceIndex, insert_claims, prepare

MIN_SCORE = 90.0
WINDOW = 1000
SHORT_SPAN = 40  # an exact match of a span shorter than this also needs some of its context
CONTEXT_NEEDED = 8
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
NEGATIONS = {"not", "no", "never", "none", "nor", "neither", "without", "cannot", "n't"}
WORD_RE = re.compile(r"\w+(?:'t)?", re.UNICODE)


def revision_sort_key(path) -> tuple[str, int]:
    """Sort source files so each document's revisions come in order (@2 before @10)."""
    return split_slug(path.stem)


def resolve_revision(db: Database, source: Source, *, named: bool = True) -> str | None:
    """Before `ledger source add` stores ``source``: if it is a changed text of
    a source the ledger holds, give it the slug of the next revision. Returns
    the slug of the revision it follows, or None when it is a new source (or
    a text already held).

    A revision is recorded only when the user named the slug (``named``) or
    the URL matches a held source's. A slug derived from a title (``named``
    False) that another document already has is made distinct instead
    (``ledger.core.slugs.distinct_slug``): a new document is never filed as a
    revision of another because their titles slug alike."""
    from ledger.core.slugs import distinct_slug

    document, _ = split_slug(source.slug)
    held = db.execute("SELECT id FROM sources WHERE slug = ?", [source.slug]).fetchone()
    by_url = None
    if source.url:
        by_url = db.execute(
            "SELECT document FROM sources WHERE url = ? ORDER BY revision DESC LIMIT 1", [source.url]
        ).fetchone()
    if by_url:
        document = by_url[0]
    elif held is None:
        return None
    elif not named:
        if held[0] == source.id:
            return None
        source.slug = distinct_slug(
            source.slug,
            source.id,
            lambda s: db.execute("SELECT 1 FROM sources WHERE slug = ? AND id != ?", [s, source.id]).fetchone() is not None,
        )
        return None
    same = db.execute("SELECT slug FROM sources WHERE id = ? AND document = ?", [source.id, document]).fetchone()
    if same:
        source.slug = same[0]
        return None
    latest = db.execute(
        "SELECT slug, revision FROM sources WHERE document = ? ORDER BY revision DESC LIMIT 1", [document]
    ).fetchone()
    if latest is None:
        raise InvalidSource(f"source {source.slug!r}: no revisions of {document!r} are held")
    source.slug = revision_slug(document, latest[1] + 1)
    return latest[0]


def revisions(db: Database, ref: str) -> list[dict]:
    """Every revision of the document ``ref`` (a slug of any revision) names, oldest first."""
    src = SourceIndex(db).get(ref)
    doc = db.execute("SELECT document FROM sources WHERE id = ?", [src.id]).fetchone()[0]
    return list(
        db.query(
            "SELECT id, slug, document, revision, url, retrieved, length FROM sources WHERE document = ? ORDER BY revision",
            [doc],
        )
    )


# ---------------------------------------------------------------- matching


@dataclass
class Placement:
    """Where one claim lands on the new text, or why it does not."""

    claim_id: str
    old_slug: str
    old_start: int
    old_end: int
    span_text: str
    outcome: str  # exact | fuzzy | orphaned
    start: int | None = None
    end: int | None = None
    new_text: str | None = None
    score: float | None = None
    reason: str | None = None
    new_claim_id: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _context_score(text: str, s: int, e: int, prefix: str, suffix: str) -> int:
    """How many characters of the old context surround [s:e] in ``text``."""
    before = text[max(0, s - len(prefix)) : s]
    n = 0
    while n < len(prefix) and n < len(before) and prefix[-1 - n] == before[-1 - n]:
        n += 1
    after = text[e : e + len(suffix)]
    m = 0
    while m < len(suffix) and m < len(after) and suffix[m] == after[m]:
        m += 1
    return n + m


def _occurrences(text: str, needle: str) -> list[int]:
    found, i = [], text.find(needle)
    while i != -1:
        found.append(i)
        i = text.find(needle, i + 1)
    return found


def _expected(old_start: int, old_len: int, new_len: int) -> int:
    return round(old_start * new_len / old_len) if old_len else 0


def _numbers(s: str) -> list[str]:
    return sorted(n.replace(",", "") for n in NUMBER_RE.findall(s))


def _negations(s: str) -> int:
    words = [w.lower() for w in WORD_RE.findall(fold_quote(s))]
    return sum(1 for w in words if w in NEGATIONS or w.endswith("n't"))


def meaning_changed(old: str, new: str, value: str) -> str | None:
    """Why a fuzzy match no longer says what the claim rests on, or None."""
    if _numbers(old) != _numbers(new):
        return f"the numbers changed ({', '.join(NUMBER_RE.findall(old)) or 'none'} -> {', '.join(NUMBER_RE.findall(new)) or 'none'})"
    if _negations(old) != _negations(new):
        return "a negation was added or removed"
    old_words = {w.lower() for w in WORD_RE.findall(fold_quote(old))}
    new_words = {w.lower() for w in WORD_RE.findall(fold_quote(new))}
    lost = [w for w in WORD_RE.findall(fold_quote(value)) if len(w) > 2 and w.lower() in old_words and w.lower() not in new_words]
    if lost:
        return f"the value's word(s) {', '.join(repr(w) for w in lost)} are no longer in the passage"
    return None


def _refine(needle: str, text: str, s: int, e: int) -> tuple[int, int, float]:
    """Move the ends of [s:e] to where ``fuzz.ratio`` with the needle is best."""
    k = max(8, len(needle) // 4)

    def best_end(s, e):
        cands = range(max(s + 1, e - k), min(len(text), e + k) + 1)
        return max(cands, key=lambda x: (fuzz.ratio(needle, text[s:x]), -abs(x - e)))

    def best_start(s, e):
        cands = range(max(0, s - k), min(e - 1, s + k) + 1)
        return max(cands, key=lambda x: (fuzz.ratio(needle, text[x:e]), -abs(x - s)))

    for _ in range(2):
        e = best_end(s, e)
        s = best_start(s, e)
    return s, e, fuzz.ratio(needle, text[s:e])


def place(claim: dict, old_text: str, new_text: str, *, old_slug: str = "", min_score: float = MIN_SCORE, window: int = WINDOW) -> Placement:
    """Find where ``claim`` (a claims row) belongs in ``new_text``."""
    span = claim["span_text"]
    s0, e0 = claim["span_start"], claim["span_end"]
    p = Placement(claim["id"], old_slug, s0, e0, span, "orphaned")
    prefix, suffix = claim.get("prefix") or "", claim.get("suffix") or ""
    want = _expected(s0, len(old_text), len(new_text))
    # 1. exact
    occ = _occurrences(new_text, span) if span else []
    if occ:
        ranked = sorted(occ, key=lambda i: (-_context_score(new_text, i, i + len(span), prefix, suffix), abs(i - want)))
        best = ranked[0]
        ctx = _context_score(new_text, best, best + len(span), prefix, suffix)
        if len(span) >= SHORT_SPAN or ctx >= min(CONTEXT_NEEDED, len(prefix) + len(suffix)):
            p.outcome, p.start, p.end, p.new_text, p.score = "exact", best, best + len(span), span, 100.0
            return p
        p.reason = "the quote still occurs, but nothing around it does (a short quote needs its context)"
    # 2. fuzzy, in a window around where the passage was
    delta = abs(len(new_text) - len(old_text))
    lo = max(0, want - window - delta)
    hi = min(len(new_text), want + len(span) + window + delta)
    region = new_text[lo:hi]
    if not span or not region:
        p.reason = p.reason or "the new text is empty"
        return p
    al = fuzz.partial_ratio_alignment(span, region)
    if al is None or al.dest_end <= al.dest_start:
        p.reason = p.reason or "no similar passage in the new text"
        p.score = 0.0
        return p
    s, e, score = _refine(span, new_text, lo + al.dest_start, lo + al.dest_end)
    p.score = round(score, 1)
    candidate = new_text[s:e]
    if score < min_score:
        p.reason = p.reason or (
            f"the passage changed or vanished: the closest text [{s}:{e}] is {p.score}% alike "
            f"(at least {min_score:g} needed): {candidate[:80]!r}"
        )
        p.start, p.end, p.new_text = s, e, candidate
        return p
    why = meaning_changed(span, candidate, claim.get("value") or "")
    if not why and len(span) < SHORT_SPAN:
        # a short quote is found almost anywhere: its surroundings must match too
        before, after = prefix[-CONTEXT_NEEDED * 2 :], suffix[: CONTEXT_NEEDED * 2]
        around = new_text[max(0, s - len(before)) : s] + candidate + new_text[e : e + len(after)]
        if fuzz.ratio(before + span + after, around) < min_score:
            why = "nothing around it matches the old passage (a short quote needs its context)"
    if why:
        p.reason = f"the passage at [{s}:{e}] is {p.score}% alike but {why}: {candidate[:80]!r}"
        p.start, p.end, p.new_text = s, e, candidate
        return p
    p.outcome, p.start, p.end, p.new_text, p.reason = "fuzzy", s, e, candidate, None
    return p


# ---------------------------------------------------------------- reanchor


@dataclass
class ReanchorResult:
    document: str
    target: str
    placements: list[Placement] = field(default_factory=list)
    new_claims: list[tuple[dict, dict]] = field(default_factory=list)  # (claims row, claims-file entry)
    events: list[dict] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict:
        c = {"exact": 0, "fuzzy": 0, "orphaned": 0}
        for p in self.placements:
            c[p.outcome] += 1
        return c

    def as_dict(self) -> dict:
        return {
            "document": self.document,
            "target": self.target,
            **{f"moved_{k}" if k != "orphaned" else k: v for k, v in self.counts().items()},
            "dry_run": self.dry_run,
            "claims": [p.as_dict() for p in self.placements],
        }


FILE_FIELDS = (
    "subject", "predicate", "value", "quote", "confidence", "speaker", "as_of", "valid_from", "valid_to",
    "note", "paraphrase", "recorded_by", "recorded_at", "status", "origin",
)


def reanchor(
    db: Database,
    ref: str,
    *,
    to: str | None = None,
    min_score: float = MIN_SCORE,
    window: int = WINDOW,
    actor: str | None = None,
    at: str | None = None,
    claims_dir: str = "claims",
    dry_run: bool = False,
) -> ReanchorResult:
    """Carry every current claim of the older revisions of ``ref``'s document
    onto revision ``to`` (default: the latest). Call inside a write
    transaction; the caller's history entry records the moves."""
    revs = revisions(db, ref)
    target = revs[-1] if to is None else next((r for r in revs if r["slug"] == to or str(r["revision"]) == str(to)), None)
    if target is None:
        raise LedgerError(f"{to!r} is not a revision of {revs[0]['document']!r} (revisions: {', '.join(r['slug'] for r in revs)})")
    if target["revision"] == 1 and len(revs) == 1:
        raise LedgerError(
            f"{revs[0]['document']!r} has one revision only: add the changed text first "
            f"(`ledger source add FILE --slug {revs[0]['document']}`)"
        )
    result = ReanchorResult(revs[0]["document"], target["slug"], dry_run=dry_run)
    index = SourceIndex(db)
    new_text = index.get(target["id"]).text
    older = [r for r in revs if r["revision"] < target["revision"]]
    claims_file = f"{claims_dir}/{target['slug']}.yml"
    for rev in older:
        old_text = index.get(rev["id"]).text
        rows = list(db.query("SELECT * FROM claims WHERE source_id = ? ORDER BY span_start, span_end, id", [rev["id"]]))
        for row in rows:
            if status_of(db, row["id"])["status"] != "current":
                continue
            p = place(row, old_text, new_text, old_slug=rev["slug"], min_score=min_score, window=window)
            result.placements.append(p)
            if p.outcome == "orphaned":
                result.events.append({"claim": row["id"], "status": "orphaned", "replaced_by": None, "method": "reanchor",
                                      "score": p.score, "reason": f"not carried to {target['slug']}: {p.reason}"})
                continue
            entry = {k: row[k] for k in FILE_FIELDS if row.get(k) is not None}
            entry["quote"] = row["quote"] if p.outcome == "exact" else p.new_text
            if entry.get("status") != "candidate":  # current is the default; recorded, machine-extracted mean it
                entry.pop("status", None)
            entry["start"], entry["end"] = p.start, p.end
            claim_in = ClaimInput(source=target["slug"], path=claims_file, **{k: v for k, v in entry.items()})
            try:
                new_row = prepare(claim_in, index, claims_file)
            except LedgerError as e:  # the passage is there, but the claim would not hold on the new revision
                # (a relative date read against its other publication date): for review, never a failed reanchor
                why = str(e).removeprefix(f"{claim_in.where}: ")
                p.outcome, p.reason = "orphaned", f"the passage at [{p.start}:{p.end}] was found, but on {target['slug']} {why}"
                result.events.append({"claim": row["id"], "status": "orphaned", "replaced_by": None, "method": "reanchor",
                                      "score": p.score, "reason": f"not carried to {target['slug']}: {p.reason}"})
                continue
            entry["id"] = new_row["id"]
            p.new_claim_id = new_row["id"]
            result.new_claims.append((new_row, entry))
            method = "reanchor-" + p.outcome
            how = "exactly" if p.outcome == "exact" else f"fuzzily ({p.score}% alike)"
            result.events.append({"claim": row["id"], "status": "superseded", "replaced_by": new_row["id"], "method": method,
                                  "score": p.score if p.outcome == "fuzzy" else None,
                                  "reason": f"re-anchored {how} to {target['slug']} [{p.start}:{p.end}]"})
    if dry_run:
        return result
    fresh = []
    for new_row, _ in result.new_claims:
        if not db.execute("SELECT 1 FROM claims WHERE id = ?", [new_row["id"]]).fetchone() and new_row["id"] not in {r["id"] for r in fresh}:
            fresh.append(new_row)
    if fresh:
        insert_claims(db, fresh)
    for ev in result.events:
        ev["actor"], ev["at"] = actor, at
        add_event(db, ev["claim"], ev["status"], replaced_by=ev["replaced_by"], method=ev["method"], score=ev["score"],
                  reason=ev["reason"], actor=actor, at=at)
    return result
