"""Independence of sources for the comparison: publishers, originators and near-duplicate texts
(shingles of the narration), fingerprinted as sources arrive and grouped into independence groups."""

from __future__ import annotations

import operator
import re
import zlib
from collections import defaultdict
from itertools import accumulate, compress

from sqlite_utils import Database

from ledger.core.normalize import fold_name, fold_text
from ledger.core import originators
from ledger.store.compare_values import (
    COMMON_SHINGLE_SOURCES, DUPLICATE_CONTAINMENT, REWRITE_CANDIDATE_SHINGLES, REWRITE_NARRATION_SHINGLES,
    SHINGLE_SAMPLE, SHINGLE_WORDS, _EntityIndex,
)

# ------------------------------------------------------------------ independence of sources


def shingles(text: str) -> set[int]:
    """Sampled hashes of the text's 5-word shingles (all of them for short texts)."""
    words = re.findall(r"\w+", fold_text(text).casefold())
    if len(words) < SHINGLE_WORDS:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    # each run of SHINGLE_WORDS words, joined by spaces, as UTF-8, hashed: every step in C
    runs = zip(*(words[k:] for k in range(SHINGLE_WORDS)))
    hashes = set(map(zlib.crc32, map(str.encode, map(" ".join, runs))))
    if len(hashes) >= 80:
        hashes = {h for h in hashes if h % SHINGLE_SAMPLE == 0}
    return hashes


_QUOTED = re.compile(r"[“\"][^”\"\n]{0,2000}[”\"]")


def narration_shingles(text: str) -> set[tuple[str, ...]]:
    """The text's 5-word runs of its own narration: outside quotation marks (two outlets quoting one
    speaker are not copies of each other) and with at most two capitalised words (official titles and
    names, which independent reports spell out alike, are left out); each run as its words, casefolded
    (two runs are the same words when their tuples are equal)."""
    words = re.findall(r"\w+|\|", _QUOTED.sub(" | ", fold_text(text)))
    n = SHINGLE_WORDS
    # running counts of quotation marks ("|") and capitalised words: a run's are two subtractions away,
    # and every step below runs in C (this is most of a build's cost where sources are near-copies)
    bars = [0, *accumulate(map("|".__eq__, words))]
    caps = [0, *accumulate(w[0].isupper() for w in words)]
    no_bar = map(operator.eq, bars[n:], bars)
    few_caps = map((2).__ge__, map(operator.sub, caps[n:], caps))
    folded = [w.casefold() for w in words]
    runs = zip(*(folded[k:] for k in range(n)))
    return set(compress(runs, map(operator.and_, no_bar, few_caps)))


def _publisher_key(publisher: str | None, entities: _EntityIndex) -> str | None:
    if not publisher or not publisher.strip():
        return None
    e = entities.get(publisher)
    return e[0] if e else fold_name(publisher)


# A source's originator as the person adding it gave it (``originator:`` in its sidecar), kept beside the
# comparison's watermarks under "originator:<source id>" (no column of the sources table holds it yet); the
# replay of a source writes it, the fingerprint of the source reads it.
_GIVEN = "originator:"


def record_user_originator(db: Database, source_id: str, name: str | None) -> None:
    """Keep the originator a source's sidecar gives; the caller holds the write transaction."""
    if name and name.strip():
        db.execute("INSERT OR REPLACE INTO compare_state (key, value) VALUES (?, ?)", [_GIVEN + source_id, name.strip()])


def user_originator(db: Database, source_id: str) -> str | None:
    """The originator a source's sidecar gave, or None."""
    row = db.execute("SELECT value FROM compare_state WHERE key = ?", [_GIVEN + source_id]).fetchone()
    return row[0] if row else None


def _user_originators(db: Database) -> dict[str, str]:
    return {k[len(_GIVEN):]: v for k, v in db.execute(
        "SELECT key, value FROM compare_state WHERE key >= ? AND key < ?", [_GIVEN, _GIVEN[:-1] + ";"])}


def _given_originator(name: str, entities: _EntityIndex | None) -> tuple[str, str]:
    """(key, note) of an originator the user gave: the agency's key when the entity table knows it (so it
    counts once with the sources whose text credits that agency), else the name folded, as for a dateline
    credit the table does not know."""
    got = entities.agency(name) if entities is not None else None
    key, shown = got if got else ("~" + fold_name(name), name)
    return key, f"{shown}, as the source's sidecar gives it (originator: {name})"


def _originator(text: str, entities: _EntityIndex) -> tuple[str | None, str | None]:
    """(key, note) of where a text came from (ledger/originators.py)."""
    got = originators.detect(text, entities.agency, fold_name)
    if got is None:
        return None, None
    key, name, how = got
    return key, f"{name}, from its {how}"


def _fingerprint_new_sources(db: Database, since_rowid: int, entities: _EntityIndex | None = None) -> tuple[int, bool]:
    """Shingle the sources added since ``since_rowid`` and record the
    near-duplicate pairs they form; returns (new high-water rowid, any added).

    Streams: texts are read a few hundred at a time and their shingles go
    straight into ``source_shingles`` (and a temporary table of the new
    ones); the pairs sharing shingles are then counted by SQLite. A 100k-source
    build held every text and every shingle in memory before (2 GB)."""
    # shingles name their source by its rowid (sources are append-only, so it
    # is stable): 12 bytes a row where the 64-character id took 80 (m141)
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS compare_new_shingles "
        "(hash INTEGER NOT NULL, source INTEGER NOT NULL, PRIMARY KEY (hash, source)) WITHOUT ROWID"
    )
    db.execute("DELETE FROM temp.compare_new_shingles")
    last = since_rowid
    given = _user_originators(db)
    cur = db.conn.execute("SELECT rowid, id, text FROM sources WHERE rowid > ? ORDER BY rowid", [since_rowid])
    while True:
        batch = cur.fetchmany(256)
        if not batch:
            break
        pairs, sizes = [], []
        for rowid, sid, text in batch:
            hs = shingles(text)
            pairs.extend((h, rowid) for h in hs)
            if sid in given:  # the user's word on where the text came from comes before what the text shows
                sizes.append((sid, len(hs), *_given_originator(given[sid], entities)))
                last = rowid
                continue
            sizes.append((sid, len(hs), *(_originator(text, entities) if entities is not None else (None, None))))
            last = rowid
        db.conn.executemany("INSERT OR IGNORE INTO source_shingles (hash, source) VALUES (?, ?)", pairs)
        db.conn.executemany("INSERT OR IGNORE INTO temp.compare_new_shingles (hash, source) VALUES (?, ?)", pairs)
        db.conn.executemany(
            "INSERT OR REPLACE INTO source_fingerprints (source_id, shingles, originator, originator_note) VALUES (?, ?, ?, ?)",
            sizes,
        )
    if last == since_rowid:
        return since_rowid, False
    # each new source against every other source sharing at least two of its
    # shingles, leaving out boilerplate (a shingle in more than
    # COMMON_SHINGLE_SOURCES sources); a pair is a near-duplicate when the
    # shared shingles are at least DUPLICATE_CONTAINMENT of the smaller text's
    found = db.execute(
        """
        WITH common AS (
          SELECT h.hash FROM (SELECT DISTINCT hash FROM temp.compare_new_shingles) h
          WHERE (SELECT count(*) FROM (SELECT 1 FROM source_shingles s WHERE s.hash = h.hash LIMIT :limit + 1)) > :limit
        ),
        shared AS (
          SELECT sa.id AS a, sb.id AS b, x.n
          FROM (
            SELECT n.source AS a, s.source AS b, count(*) AS n
            FROM temp.compare_new_shingles n JOIN source_shingles s ON s.hash = n.hash AND s.source != n.source
            WHERE n.hash NOT IN (SELECT hash FROM common)
            GROUP BY n.source, s.source HAVING count(*) >= 2
          ) x JOIN sources sa ON sa.rowid = x.a JOIN sources sb ON sb.rowid = x.b
        )
        SELECT min(a, b), max(a, b), n, min(fa.shingles, fb.shingles) AS smaller
        FROM shared JOIN source_fingerprints fa ON fa.source_id = a JOIN source_fingerprints fb ON fb.source_id = b
        WHERE min(fa.shingles, fb.shingles) > 0
          AND (n >= :containment * min(fa.shingles, fb.shingles) OR n >= :rewrite)
        """,
        {"limit": COMMON_SHINGLE_SOURCES, "containment": DUPLICATE_CONTAINMENT, "rewrite": REWRITE_CANDIDATE_SHINGLES},
    ).fetchall()
    dups = set()
    rewrites = []
    for a, b, n, smaller in found:
        if n >= DUPLICATE_CONTAINMENT * smaller:
            dups.add((a, b, round(n / smaller, 3)))
        else:
            rewrites.append((a, b, n, smaller))
    # a light rewrite keeps long runs of the story's own narration word for word (issue 16): it is a copy.
    # A source is in many candidate pairs: its narration is read once while its pairs are looked at (in
    # order of source; the pairs found go into a set, so the order changes nothing)
    narration: dict[str, set[str]] = {}

    def narration_of(sid: str) -> set[str]:
        got = narration.get(sid)
        if got is None:
            if len(narration) >= 4096:
                narration.clear()
            text = db.execute("SELECT text FROM sources WHERE id = ?", [sid]).fetchone()[0]
            got = narration[sid] = narration_shingles(text)
        return got

    for a, b, n, smaller in sorted(rewrites):
        if len(narration_of(a) & narration_of(b)) >= REWRITE_NARRATION_SHINGLES:
            dups.add((a, b, round(n / smaller, 3)))
    db.conn.executemany(
        "INSERT OR REPLACE INTO source_duplicates (source_a, source_b, containment) VALUES (?, ?, ?)",
        sorted(dups),
    )
    db.execute("DELETE FROM temp.compare_new_shingles")
    return last, True


def _recompute_independence(db: Database, entities: _EntityIndex) -> set[str]:
    """Union sources by publisher and by near-duplicate text; store each
    source's group; return the ids of sources whose group changed."""
    rows = db.execute(
        "SELECT s.id, s.slug, s.publisher, s.published, f.originator, f.originator_note "
        "FROM sources s LEFT JOIN source_fingerprints f ON f.source_id = s.id ORDER BY s.published, s.slug"
    ).fetchall()
    parent = {r[0]: r[0] for r in rows}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    by_pub: dict[str, str] = {}
    pub_of = {}
    orig_of = {}
    for sid, slug, publisher, _, originator, originator_note in rows:
        pub_of[sid] = _publisher_key(publisher, entities)
        orig_of[sid] = (originator, originator_note)
        # a story counts once per originator (a wire service, an official readout) whoever carries it;
        # a source with none counts once per publisher
        key = ("originator:" + originator) if originator else pub_of[sid]
        if key is not None:
            if key in by_pub:
                union(by_pub[key], sid)
            else:
                by_pub[key] = sid
    dup_of: dict[str, tuple[str, float]] = {}
    order = {r[0]: i for i, r in enumerate(rows)}
    for a, b, c in db.execute("SELECT source_a, source_b, containment FROM source_duplicates"):
        if a in parent and b in parent:
            union(a, b)
            first, second = (a, b) if order[a] <= order[b] else (b, a)
            if second not in dup_of or order[dup_of[second][0]] > order[first]:
                dup_of[second] = (first, c)
    slug_of = {r[0]: r[1] for r in rows}
    members: dict[str, list[str]] = defaultdict(list)
    for sid in parent:
        members[find(sid)].append(sid)
    new_rows = []
    for root, sids in members.items():
        pubs = sorted({("originator:" + orig_of[s][0]) if orig_of[s][0] else pub_of[s] for s in sids} - {None})
        key = "+".join(pubs) if pubs else "source:" + min(slug_of[s] for s in sids)
        for s in sids:
            d = dup_of.get(s)
            new_rows.append((s, slug_of[s], pub_of[s], key, d[0] if d else None, d[1] if d else None, *orig_of[s]))
    held = {r[0]: r[3] for r in db.execute("SELECT source_id, slug, publisher_key, independence_key FROM source_independence")}
    changed = {r[0] for r in new_rows if held.get(r[0]) != r[3]}
    db.execute("DELETE FROM source_independence")
    db.conn.executemany(
        "INSERT INTO source_independence (source_id, slug, publisher_key, independence_key, duplicate_of, containment, "
        "originator, originator_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        new_rows,
    )
    return changed
