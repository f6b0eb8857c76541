"""The ledger's schema, as a sequence of migrations applied on every open.

Never edit a migration that has shipped: add a new one below it.
"""

from sqlite_utils import Migrations

migrations = Migrations("ledger")


@migrations()
def m001_create_sources(db):
    db.execute(
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,              -- sha256 of the UTF-8 text
            slug TEXT NOT NULL UNIQUE,
            title TEXT,
            url TEXT,
            publisher TEXT,
            published TEXT,                   -- ISO date
            date_basis TEXT,                  -- how the date is known
            retrieved TEXT,                   -- ISO time
            language TEXT,
            authors TEXT NOT NULL DEFAULT '[]', -- JSON list
            length INTEGER NOT NULL,          -- code points
            text TEXT NOT NULL,
            path TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_sources_publisher ON sources (publisher)")
    db.execute("CREATE INDEX idx_sources_url ON sources (url)")


@migrations()
def m002_create_claims(db):
    db.execute(
        """
        CREATE TABLE claims (
            id TEXT PRIMARY KEY,              -- derived from content, stable
            source_id TEXT NOT NULL REFERENCES sources(id),
            subject TEXT NOT NULL,
            predicate TEXT NOT NULL,
            value TEXT NOT NULL,
            quote TEXT NOT NULL,              -- as the user typed it
            span_start INTEGER NOT NULL,      -- code points, end excluded
            span_end INTEGER NOT NULL,
            span_text TEXT NOT NULL,          -- the source's own characters
            prefix TEXT NOT NULL,
            suffix TEXT NOT NULL,
            match TEXT NOT NULL,              -- exact | normalised
            occurrence INTEGER,
            confidence REAL NOT NULL,
            speaker TEXT,
            as_of TEXT,
            valid_from TEXT,
            valid_to TEXT,
            note TEXT,
            recorded_by TEXT,
            recorded_at TEXT,
            status TEXT NOT NULL DEFAULT 'recorded',
            origin TEXT,                      -- rule or tool that proposed it
            flags TEXT,                       -- e.g. bidi-control,zero-width
            claims_file TEXT,                 -- the file it was read from
            CHECK (span_start >= 0 AND span_end >= span_start),
            CHECK (confidence >= 0 AND confidence <= 1)
        )
        """
    )
    db.execute("CREATE INDEX idx_claims_source ON claims (source_id, span_start)")
    # covers the cross-source grouping (subject, predicate) -> values, sources
    db.execute("CREATE INDEX idx_claims_fact ON claims (subject, predicate, value, source_id)")
    db.execute("CREATE INDEX idx_claims_predicate ON claims (predicate)")
    db.execute("CREATE INDEX idx_claims_speaker ON claims (speaker) WHERE speaker IS NOT NULL")


@migrations()
def m003_create_claim_files(db):
    # what `ledger build` last read from each claims file, to skip unchanged ones
    db.execute(
        """
        CREATE TABLE claim_files (
            path TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            claims INTEGER NOT NULL
        )
        """
    )


@migrations()
def m040_full_text_search(db):
    # issue 3: sqlite-utils FTS5 indexes for Datasette's search box, kept
    # current by triggers on every insert, update and delete
    db["sources"].enable_fts(["title", "text"], create_triggers=True)
    db["claims"].enable_fts(["subject", "value", "quote", "span_text"], create_triggers=True)


@migrations()
def m041_claims_fact_nocase_index(db):
    # issue 3: "other sources on the same fact" on a claim page and the
    # cross-source canned queries group by subject and predicate ignoring case
    db.execute(
        "CREATE INDEX idx_claims_fact_nocase ON claims "
        "(subject COLLATE NOCASE, predicate COLLATE NOCASE, value COLLATE NOCASE, source_id)"
    )


@migrations()
def m030_source_snapshots(db):
    # issue 9: a source extracted from a saved web page keeps the SHA-256 of
    # the page's exact bytes (the snapshot) and which extractor made the text
    db.execute("ALTER TABLE sources ADD COLUMN snapshot_sha256 TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN snapshot_type TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN extractor TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN extractor_version TEXT")


@migrations()
def m031_create_reviews(db):
    # issue 9: a reviewer's verdict on a fact (subject, predicate, value),
    # exported as schema.org ClaimReview; rows are added, never edited
    db.execute(
        """
        CREATE TABLE reviews (
            id TEXT PRIMARY KEY,              -- derived from content, stable
            subject TEXT NOT NULL,            -- the fact reviewed
            predicate TEXT NOT NULL,
            value TEXT NOT NULL,
            claim_reviewed TEXT NOT NULL,     -- short summary of the claim
            rating TEXT NOT NULL,             -- verdict in words, e.g. 'False'
            rating_value REAL,                -- optional numeric scale
            best_rating REAL,
            worst_rating REAL,
            explanation TEXT,
            reviewer TEXT NOT NULL,
            reviewer_type TEXT NOT NULL DEFAULT 'Organization',
            reviewer_url TEXT,
            url TEXT NOT NULL,                -- the published fact check
            date TEXT NOT NULL,               -- ISO date of the review
            recorded_at TEXT NOT NULL,
            CHECK (reviewer_type IN ('Organization', 'Person')),
            CHECK ((rating_value IS NULL) = (best_rating IS NULL) AND (rating_value IS NULL) = (worst_rating IS NULL)),
            CHECK (rating_value IS NULL OR rating_value BETWEEN min(best_rating, worst_rating) AND max(best_rating, worst_rating))
        )
        """
    )
    db.execute("CREATE INDEX idx_reviews_fact ON reviews (subject, predicate, value)")


@migrations()
def m010_history(db):
    # issue 5: the append-only history. Each write is an entry chained by
    # hash; each added row names its entry; corrections are claim_events.
    db.execute(
        """
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,           -- 1, 2, 3, … in the order written
            kind TEXT NOT NULL,               -- build | import | claim add | supersede | retract | …
            at TEXT,                          -- when (ISO 8601); NULL for build, which is deterministic
            actor TEXT,                       -- who
            reason TEXT,                      -- why
            body TEXT NOT NULL,               -- canonical JSON: per table, count + sha256 of the rows added
            prev TEXT,                        -- hash of the previous entry
            hash TEXT NOT NULL UNIQUE         -- sha256 over the canonical entry (see ledger/history.py)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE claim_events (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES history(id) DEFERRABLE INITIALLY DEFERRED,
            claim_id TEXT NOT NULL REFERENCES claims(id),
            status TEXT NOT NULL,             -- the claim's status from now on
            replaced_by TEXT REFERENCES claims(id),
            method TEXT,                      -- correction | reanchor-exact | reanchor-fuzzy | reanchor
            score REAL,                       -- fuzzy re-anchoring score (0-100)
            reason TEXT,
            actor TEXT,
            at TEXT,
            CHECK (status IN ('superseded', 'retracted', 'orphaned')),
            CHECK ((status = 'superseded') = (replaced_by IS NOT NULL))
        )
        """
    )
    db.execute("CREATE INDEX idx_claim_events_claim ON claim_events (claim_id)")
    db.execute("CREATE INDEX idx_claim_events_replaced_by ON claim_events (replaced_by) WHERE replaced_by IS NOT NULL")
    db.execute("ALTER TABLE claims ADD COLUMN entry_id INTEGER REFERENCES history(id) DEFERRABLE INITIALLY DEFERRED")
    db.execute("ALTER TABLE sources ADD COLUMN entry_id INTEGER REFERENCES history(id) DEFERRABLE INITIALLY DEFERRED")
    # revisions: every text of a document (the slug of its first revision)
    db.execute("ALTER TABLE sources ADD COLUMN document TEXT")
    db.execute("ALTER TABLE sources ADD COLUMN revision INTEGER")
    has_rows = db.execute("SELECT EXISTS (SELECT 1 FROM sources) OR EXISTS (SELECT 1 FROM claims)").fetchone()[0]
    if has_rows:
        # a ledger made before history: one first entry covers what it holds
        from ledger.store import history

        db.execute("UPDATE sources SET document = slug, revision = 1, entry_id = 1")
        db.execute("UPDATE claims SET entry_id = 1")
        e = history.OpenEntry(1, "migrate", reason="rows held before the history was kept", marks={})
        history.seal(db, e)
    db.execute("CREATE UNIQUE INDEX idx_sources_revision ON sources (document, revision)")
    # append-only: the ledger never updates or deletes these rows
    for table in ("history", "claims", "sources", "claim_events"):
        for op in ("UPDATE", "DELETE"):
            db.execute(
                f"""
                CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
                BEGIN
                    SELECT RAISE(ABORT, '{table} is append-only: the ledger never changes or removes a row; correct a claim with `ledger claim supersede` or `ledger claim retract`');
                END
                """
            )


@migrations()
def m020_comparison_tables(db):
    # issue 4: derived tables for cross-source comparison, kept current by
    # ledger.store.compare.refresh on every write (ensure_shape); never edited by hand
    db.execute(
        """
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            type TEXT NOT NULL,               -- person | organisation | place | event | thing
            country TEXT,
            note TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE entity_aliases (
            alias_key TEXT PRIMARY KEY,       -- the alias folded (case, punctuation, honorifics)
            alias TEXT NOT NULL,
            entity_id TEXT NOT NULL REFERENCES entities(id)
        )
        """
    )
    db.execute("CREATE INDEX idx_entity_aliases_entity ON entity_aliases (entity_id)")
    db.execute(
        """
        CREATE TABLE claim_values (
            claim_id TEXT PRIMARY KEY,        -- claims.id
            topic TEXT NOT NULL,              -- subject_key|predicate
            subject_key TEXT NOT NULL,        -- entity id, or ~folded subject
            subject_entity TEXT,              -- canonical name when the subject is a known entity
            predicate TEXT NOT NULL,
            kind TEXT NOT NULL,               -- date | quantity | title | entity | text
            value_raw TEXT NOT NULL,
            value_norm TEXT,                  -- the comparison form
            value_num REAL,
            unit TEXT,
            counts TEXT,
            date_start TEXT,
            date_end TEXT,
            date_precision TEXT,              -- day | month | year
            time_start TEXT,                  -- the time the fact is about
            time_end TEXT,
            time_basis TEXT,                  -- valid_from/valid_to | as_of | published | unknown
            time_precision TEXT,
            flags TEXT,
            active INTEGER NOT NULL,          -- 0: status excluded from comparison
            fact_key TEXT,
            value_group INTEGER,
            counted INTEGER,                  -- 1 if it counts as an independent source
            independence_note TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_claim_values_topic ON claim_values (topic)")
    db.execute("CREATE INDEX idx_claim_values_fact ON claim_values (fact_key)")
    db.execute(
        """
        CREATE TABLE facts (
            fact_key TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            subject TEXT NOT NULL,
            predicate TEXT NOT NULL,
            kind TEXT NOT NULL,
            cardinality TEXT NOT NULL,        -- one | many
            time_start TEXT,
            time_end TEXT,
            status TEXT NOT NULL,             -- corroborated | conflicting | single-source | change-over-time
            support TEXT,                     -- corroborated | single-source (NULL when conflicting)
            value TEXT,                       -- as the earliest source words it (NULL when conflicting)
            value_norm TEXT,                  -- the normalised form the sources agree on
            value_count INTEGER NOT NULL,
            claim_count INTEGER NOT NULL,
            source_count INTEGER NOT NULL,
            independent_count INTEGER NOT NULL,
            values_json TEXT NOT NULL,
            timeline_json TEXT,
            rule TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_facts_topic ON facts (topic)")
    db.execute("CREATE INDEX idx_facts_status ON facts (status, subject, predicate)")
    db.execute("CREATE INDEX idx_facts_subject ON facts (subject_key, predicate)")
    db.execute("CREATE INDEX idx_facts_predicate ON facts (predicate)")
    db.execute(
        """
        CREATE TABLE source_independence (
            source_id TEXT PRIMARY KEY,
            slug TEXT NOT NULL,
            publisher_key TEXT,
            independence_key TEXT NOT NULL,   -- sources sharing it count once
            duplicate_of TEXT,                -- earlier source whose text this one nearly repeats
            containment REAL
        )
        """
    )
    db.execute("CREATE TABLE source_fingerprints (source_id TEXT PRIMARY KEY, shingles INTEGER NOT NULL)")
    db.execute("CREATE TABLE source_shingles (hash INTEGER NOT NULL, source_id TEXT NOT NULL, PRIMARY KEY (hash, source_id)) WITHOUT ROWID")
    db.execute(
        """
        CREATE TABLE source_duplicates (
            source_a TEXT NOT NULL,
            source_b TEXT NOT NULL,
            containment REAL NOT NULL,
            PRIMARY KEY (source_a, source_b)
        )
        """
    )
    db.execute("CREATE TABLE compare_state (key TEXT PRIMARY KEY, value TEXT)")
    # claims changed or deleted after they were compared: recomputed on the next refresh
    db.execute("CREATE TABLE compare_dirty (claim_id TEXT PRIMARY KEY)")
    db.execute(
        """
        CREATE TRIGGER claims_compare_update AFTER UPDATE ON claims BEGIN
            INSERT OR IGNORE INTO compare_dirty (claim_id) VALUES (old.id);
            INSERT OR IGNORE INTO compare_dirty (claim_id) VALUES (new.id);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER claims_compare_delete AFTER DELETE ON claims BEGIN
            INSERT OR IGNORE INTO compare_dirty (claim_id) VALUES (old.id);
        END
        """
    )


@migrations()
def m032_reviews_append_only(db):
    # issue 9: a review is never edited or removed; a changed verdict is a new review
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER reviews_no_{op.lower()} BEFORE {op} ON reviews
            BEGIN
                SELECT RAISE(ABORT, 'reviews are append-only: record a changed verdict with `ledger review add`');
            END
            """
        )


@migrations()
def m050_source_files(db):
    # issue 7: what `ledger build` last read from each source file, so a build
    # after one changed claims file does not parse 100k unchanged sidecars again
    db.execute(
        """
        CREATE TABLE source_files (
            name TEXT PRIMARY KEY,            -- file name in sources/
            text_sha256 TEXT NOT NULL,        -- of the .txt bytes
            meta_sha256 TEXT                  -- of the .yml sidecar's bytes (NULL: none)
        )
        """
    )


@migrations()
def m051_claims_status_confidence_indexes(db):
    # issue 7: at 1M claims the claims page's `status` facet scanned the whole
    # table (1 GB) and the low_confidence canned query sorted every claim;
    # these indexes make them an index scan and an ordered index walk
    db.execute("CREATE INDEX IF NOT EXISTS idx_claims_status ON claims (status)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_claims_confidence ON claims (confidence, subject, predicate)")


@migrations()
def m011_claims_supersedes(db):
    # issue 5: a correction names the claim it supersedes; the link is part
    # of its id, so a corrected confidence or note alone is a new claim
    db.execute("ALTER TABLE claims ADD COLUMN supersedes TEXT REFERENCES claims(id)")


@migrations()
def m052_facet_counts(db):
    # issue 7: the claims page's facets read these counts (ledger/facets.py)
    # instead of a GROUP BY over every claim; triggers keep them exact in the
    # transaction of every write
    db.execute(
        """
        CREATE TABLE facet_counts (
            tbl TEXT NOT NULL,
            col TEXT NOT NULL,
            value TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (tbl, col, value)
        ) WITHOUT ROWID
        """
    )
    columns = ("predicate", "status", "source_id")
    for col in columns:
        db.execute(
            f"INSERT INTO facet_counts (tbl, col, value, count) SELECT 'claims', '{col}', {col}, count(*) "
            f"FROM claims WHERE {col} IS NOT NULL GROUP BY {col}"
        )
    add = "\n".join(
        f"INSERT INTO facet_counts (tbl, col, value, count) SELECT 'claims', '{c}', new.{c}, 1 WHERE new.{c} IS NOT NULL "
        "ON CONFLICT (tbl, col, value) DO UPDATE SET count = count + 1;"
        for c in columns
    )
    remove = "\n".join(
        f"UPDATE facet_counts SET count = count - 1 WHERE tbl = 'claims' AND col = '{c}' AND value = old.{c};"
        for c in columns
    )
    tidy = "DELETE FROM facet_counts WHERE tbl = 'claims' AND count <= 0;"
    db.execute(f"CREATE TRIGGER claims_facet_counts_insert AFTER INSERT ON claims BEGIN\n{add}\nEND")
    # claims are append-only (m010's triggers refuse UPDATE and DELETE); these
    # keep the counts right should that ever change
    db.execute(f"CREATE TRIGGER claims_facet_counts_delete AFTER DELETE ON claims BEGIN\n{remove}\n{tidy}\nEND")
    db.execute(
        f"CREATE TRIGGER claims_facet_counts_update AFTER UPDATE OF {', '.join(columns)} ON claims "
        f"BEGIN\n{remove}\n{add}\n{tidy}\nEND"
    )


@migrations()
def m053_claims_supersedes_index(db):
    # issue 7: claims.supersedes references claims(id) and a history entry's
    # foreign keys are checked at commit; while that check is pending, every
    # claim inserted (a parent row) makes SQLite look for children with
    # supersedes = its id: without an index a scan of every claim, which made
    # an import quadratic (10k claims: 16 s of CPU, 2.7 s with the index)
    db.execute("CREATE INDEX IF NOT EXISTS idx_claims_supersedes ON claims (supersedes) WHERE supersedes IS NOT NULL")


@migrations()
def m054_sources_page_indexes(db):
    # issue 7: the sources page is sorted by published and faceted by
    # language; at 100k sources both scanned the whole table (400 MB of text
    # pages): 84 ms + 33 ms of CPU per page, under 10 ms with these indexes
    db.execute("CREATE INDEX IF NOT EXISTS idx_sources_language ON sources (language)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_sources_published ON sources (published)")


@migrations()
def m055_claims_predicate_page_index(db):
    # issue 7: the claims page filtered by predicate (one click from the
    # predicate facet) sorted ~125k claims by subject and counted its status
    # and source_id facets from the table at 1M claims (170-225 ms of CPU
    # each, over the facet time limit); this index gives the order and covers
    # both facets (about 1, 3 and 8 ms at 100k)
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_claims_predicate_page ON claims (predicate, subject, status, source_id)"
    )


# ---- m060-m069: Datasette at scale, the views' facet counts (issue 7)

# A claim's status as claim_status / claim_provenance show it: its last event, else current
_M060_STATUS = (
    "coalesce((SELECT e.status FROM claim_events e WHERE e.claim_id = {id} ORDER BY e.id DESC LIMIT 1), 'current')"
)
_M060_BAND = (
    "CASE WHEN {c} >= 0.9 THEN 'high (0.9-1)' WHEN {c} >= 0.7 THEN 'medium (0.7-0.9)' ELSE 'low (below 0.7)' END"
)
# the rows of fact_claims (and so of conflicts) that one fact has: its claim values whose claim and source exist
_M060_PAIRS = (
    "FROM claim_values v JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id "
    "WHERE v.fact_key = {fk}"
)


def _m060_bump(tbl: str, col: str, select: str, sign: int, tidy: bool = True) -> str:
    """Add ``sign`` x n to the count of each (value, n) row ``select`` gives;
    with ``tidy``, a count that reaches 0 is removed (m063: kept, read as absent)."""
    add = (
        f"INSERT INTO facet_counts (tbl, col, value, count) SELECT '{tbl}', '{col}', value, {sign} * n "
        f"FROM ({select}) WHERE value IS NOT NULL AND n != 0 "
        "ON CONFLICT (tbl, col, value) DO UPDATE SET count = count + excluded.count;"
    )
    if sign > 0 or not tidy:
        return add
    return add + (
        f"\nDELETE FROM facet_counts WHERE tbl = '{tbl}' AND col = '{col}' AND count <= 0 "
        f"AND value IN (SELECT value FROM ({select}));"
    )


def _m060_fact(row: str, sign: int, tidy: bool = True) -> str:
    pairs = _M060_PAIRS.format(fk=f"{row}.fact_key")
    conflicting = f"{row}.status = 'conflicting'"
    return "\n".join(
        [
            _m060_bump("fact_groups", "status", f"SELECT {row}.status AS value, 1 AS n", sign, tidy),
            _m060_bump("fact_groups", "predicate", f"SELECT {row}.predicate AS value, 1 AS n", sign, tidy),
            _m060_bump(
                "single_source_facts", "predicate",
                f"SELECT {row}.predicate AS value, 1 AS n WHERE {row}.status = 'single-source'", sign, tidy,
            ),
            _m060_bump("fact_claims", "status", f"SELECT {row}.status AS value, count(*) AS n {pairs}", sign, tidy),
            _m060_bump(
                "conflicts", "predicate", f"SELECT {row}.predicate AS value, count(*) AS n {pairs} AND {conflicting}", sign, tidy
            ),
            _m060_bump(
                "conflicts", "publisher",
                f"SELECT s.publisher AS value, count(*) AS n {pairs} AND {conflicting} GROUP BY s.publisher", sign, tidy,
            ),
        ]
    )


def _m060_claim_value(row: str, sign: int, tidy: bool = True) -> str:
    one = (
        f"FROM facts f JOIN claims c ON c.id = {row}.claim_id JOIN sources s ON s.id = c.source_id "
        f"WHERE f.fact_key = {row}.fact_key"
    )
    return "\n".join(
        [
            _m060_bump("fact_claims", "status", f"SELECT f.status AS value, 1 AS n {one}", sign, tidy),
            _m060_bump("conflicts", "predicate", f"SELECT f.predicate AS value, 1 AS n {one} AND f.status = 'conflicting'", sign, tidy),
            _m060_bump("conflicts", "publisher", f"SELECT s.publisher AS value, 1 AS n {one} AND f.status = 'conflicting'", sign, tidy),
        ]
    )


def _m060_event(tidy: bool) -> str:
    # a new event is the claim's last: its status moves from the previous one
    # (or current) to the event's
    prev = (
        "coalesce((SELECT e.status FROM claim_events e WHERE e.claim_id = new.claim_id AND e.id != new.id "
        "ORDER BY e.id DESC LIMIT 1), 'current')"
    )
    claim = "FROM claims c WHERE c.id = new.claim_id"
    claim_source = "FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = new.claim_id"
    return "\n".join(
        [
            _m060_bump("claim_status", "status", f"SELECT {prev} AS value, 1 AS n {claim}", -1, tidy),
            _m060_bump("claim_status", "status", f"SELECT new.status AS value, 1 AS n {claim}", 1),
            _m060_bump("claim_provenance", "status", f"SELECT {prev} AS value, 1 AS n {claim_source}", -1, tidy),
            _m060_bump("claim_provenance", "status", f"SELECT new.status AS value, 1 AS n {claim_source}", 1),
            _m060_bump(
                "current_claims", "predicate",
                f"SELECT c.predicate AS value, 1 AS n {claim} AND NOT EXISTS "
                "(SELECT 1 FROM claim_events e WHERE e.claim_id = new.claim_id AND e.id != new.id)",
                -1,
                tidy,
            ),
        ]
    )


@migrations()
def m060_view_facet_counts(db):
    # issue 7: the views' metadata facets (claim_status, claim_provenance,
    # current_claims, fact_groups, single_source_facts, fact_claims, conflicts)
    # were a GROUP BY over every row of the view, past the facet time limit at
    # 1M claims; these triggers keep their counts in facet_counts (m052) exact
    # in the transaction of every write, read by the `counted` facet type
    # (ledger/facets.py). Claims and claim events are append-only; facts and
    # claim_values are rewritten by the comparison's refresh, so their triggers
    # cover INSERT, UPDATE and DELETE, each counting a (claim value, fact) row
    # when both exist whichever comes second.
    status = _M060_STATUS.format(id="c.id")
    fill = {
        ("claim_status", "status"): f"SELECT {status} AS value FROM claims c",
        ("claim_provenance", "predicate"): "SELECT c.predicate AS value FROM claims c JOIN sources s ON s.id = c.source_id",
        ("claim_provenance", "publisher"): "SELECT s.publisher AS value FROM claims c JOIN sources s ON s.id = c.source_id",
        ("claim_provenance", "confidence_band"): (
            f"SELECT {_M060_BAND.format(c='c.confidence')} AS value FROM claims c JOIN sources s ON s.id = c.source_id"
        ),
        ("claim_provenance", "status"): f"SELECT {status} AS value FROM claims c JOIN sources s ON s.id = c.source_id",
        ("current_claims", "predicate"): (
            "SELECT c.predicate AS value FROM claims c "
            "WHERE NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = c.id)"
        ),
        ("fact_groups", "status"): "SELECT status AS value FROM facts",
        ("fact_groups", "predicate"): "SELECT predicate AS value FROM facts",
        ("single_source_facts", "predicate"): "SELECT predicate AS value FROM facts WHERE status = 'single-source'",
        ("fact_claims", "status"): (
            "SELECT f.status AS value FROM claim_values v JOIN facts f ON f.fact_key = v.fact_key "
            "JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id"
        ),
        ("conflicts", "predicate"): (
            "SELECT f.predicate AS value FROM claim_values v JOIN facts f ON f.fact_key = v.fact_key "
            "JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id WHERE f.status = 'conflicting'"
        ),
        ("conflicts", "publisher"): (
            "SELECT s.publisher AS value FROM claim_values v JOIN facts f ON f.fact_key = v.fact_key "
            "JOIN claims c ON c.id = v.claim_id JOIN sources s ON s.id = c.source_id WHERE f.status = 'conflicting'"
        ),
    }
    for (tbl, col), select in fill.items():
        db.execute(
            "INSERT INTO facet_counts (tbl, col, value, count) "
            f"SELECT ?, ?, value, count(*) FROM ({select}) WHERE value IS NOT NULL GROUP BY value",
            [tbl, col],
        )

    new_status = _M060_STATUS.format(id="new.id")
    on_source = "FROM sources s WHERE s.id = new.source_id"
    claim_insert = "\n".join(
        [
            _m060_bump("claim_status", "status", f"SELECT {new_status} AS value, 1 AS n", 1),
            _m060_bump("claim_provenance", "predicate", f"SELECT new.predicate AS value, 1 AS n {on_source}", 1),
            _m060_bump("claim_provenance", "publisher", f"SELECT s.publisher AS value, 1 AS n {on_source}", 1),
            _m060_bump(
                "claim_provenance", "confidence_band",
                f"SELECT {_M060_BAND.format(c='new.confidence')} AS value, 1 AS n {on_source}", 1,
            ),
            _m060_bump("claim_provenance", "status", f"SELECT {new_status} AS value, 1 AS n {on_source}", 1),
            _m060_bump(
                "current_claims", "predicate",
                "SELECT new.predicate AS value, 1 AS n WHERE NOT EXISTS (SELECT 1 FROM claim_events e WHERE e.claim_id = new.id)",
                1,
            ),
        ]
    )
    db.execute(f"CREATE TRIGGER claims_view_facet_counts AFTER INSERT ON claims BEGIN\n{claim_insert}\nEND")

    db.execute(
        f"CREATE TRIGGER claim_events_view_facet_counts AFTER INSERT ON claim_events BEGIN\n{_m060_event(True)}\nEND"
    )

    db.execute(f"CREATE TRIGGER facts_facet_counts_insert AFTER INSERT ON facts BEGIN\n{_m060_fact('new', 1)}\nEND")
    db.execute(f"CREATE TRIGGER facts_facet_counts_delete AFTER DELETE ON facts BEGIN\n{_m060_fact('old', -1)}\nEND")
    db.execute(
        "CREATE TRIGGER facts_facet_counts_update AFTER UPDATE OF fact_key, status, predicate ON facts "
        f"BEGIN\n{_m060_fact('old', -1)}\n{_m060_fact('new', 1)}\nEND"
    )
    db.execute(
        f"CREATE TRIGGER claim_values_facet_counts_insert AFTER INSERT ON claim_values BEGIN\n{_m060_claim_value('new', 1)}\nEND"
    )
    db.execute(
        f"CREATE TRIGGER claim_values_facet_counts_delete AFTER DELETE ON claim_values BEGIN\n{_m060_claim_value('old', -1)}\nEND"
    )
    db.execute(
        "CREATE TRIGGER claim_values_facet_counts_update AFTER UPDATE OF claim_id, fact_key ON claim_values "
        f"BEGIN\n{_m060_claim_value('old', -1)}\n{_m060_claim_value('new', 1)}\nEND"
    )


@migrations()
def m061_drop_span_audit_view(db):
    # issue 7: the span_audit view recomputed every claim's span to find the
    # few that do not hold; a view cannot take a source, so at 1M claims its
    # page could only hit the time limit. The span_audit_report canned query
    # is the audit (one source, or `*` for all); ledger/views.py no longer
    # registers the view, so ensure_shape does not bring it back
    db.execute("DROP VIEW IF EXISTS span_audit")


@migrations()
def m062_claims_predicate_facet_indexes(db):
    # issue 7: the claims page filtered by predicate (one click from its
    # facet) groups that predicate's claims by status and by source_id for
    # its facets; with m055's (predicate, subject, ...) index each was a
    # temporary B-tree of ~125k rows at 1M claims (33 and 88 ms of CPU), with
    # these the rows come grouped (10 and 31 ms)
    db.execute("CREATE INDEX IF NOT EXISTS idx_claims_predicate_status ON claims (predicate, status)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_claims_predicate_source ON claims (predicate, source_id)")


@migrations()
def m063_view_facet_counts_without_tidying(db):
    # issue 7: m060's triggers removed a count as it reached 0 by running its
    # lookup a second time; deleting the comparison rows of 10k claims took
    # 0.44 s instead of 0.02 s (compare --rebuild deletes every one). A count
    # of 0 is now kept, and read as absent (ledger/facets.py)
    for name, sql in (
        ("claim_events_view_facet_counts", f"AFTER INSERT ON claim_events BEGIN\n{_m060_event(False)}\nEND"),
        ("facts_facet_counts_delete", f"AFTER DELETE ON facts BEGIN\n{_m060_fact('old', -1, False)}\nEND"),
        (
            "facts_facet_counts_update",
            "AFTER UPDATE OF fact_key, status, predicate ON facts "
            f"BEGIN\n{_m060_fact('old', -1, False)}\n{_m060_fact('new', 1)}\nEND",
        ),
        ("claim_values_facet_counts_delete", f"AFTER DELETE ON claim_values BEGIN\n{_m060_claim_value('old', -1, False)}\nEND"),
        (
            "claim_values_facet_counts_update",
            "AFTER UPDATE OF claim_id, fact_key ON claim_values "
            f"BEGIN\n{_m060_claim_value('old', -1, False)}\n{_m060_claim_value('new', 1)}\nEND",
        ),
    ):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(f"CREATE TRIGGER {name} {sql}")


@migrations()
def m070_claims_support(db):
    # issue 14: how each claim's span supports its value (exact, normalised,
    # quotation, paraphrase; ledger/support.py), and the note that declares a
    # paraphrase. Claims recorded before keep NULL (rows are never updated):
    # `ledger verify` and the claim page assess them from their span.
    cols = {c.name for c in db["claims"].columns}
    if "support" not in cols:
        db.execute("ALTER TABLE claims ADD COLUMN support TEXT")
    if "paraphrase" not in cols:
        db.execute("ALTER TABLE claims ADD COLUMN paraphrase TEXT")


@migrations()
def m080_reviews_in_history(db):
    # issue 15: a reviewer's verdict is part of what the ledger asserts, so
    # each review belongs to a history entry like every other recorded row.
    # Reviews recorded before this migration are covered by one entry
    # appended now (kind "migrate", no time: deterministic), so heads
    # published earlier stay in the chain.
    from ledger.store import history

    db.execute("ALTER TABLE reviews ADD COLUMN entry_id INTEGER REFERENCES history(id) DEFERRABLE INITIALLY DEFERRED")
    if not db.execute("SELECT EXISTS (SELECT 1 FROM reviews)").fetchone()[0]:
        return
    eid = (db.execute("SELECT max(id) FROM history").fetchone()[0] or 0) + 1
    # the trigger comes back exactly as it was (verify compares the schema's SQL text)
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'reviews_no_update'").fetchone()
    if trigger:
        db.execute("DROP TRIGGER reviews_no_update")
    db.execute("UPDATE reviews SET entry_id = ?", [eid])
    if trigger:
        db.execute(trigger[0])
    marks = {t: db.execute(f"SELECT coalesce(max(rowid), 0) FROM [{t}]").fetchone()[0] for t in history.tracked(db)}
    marks["reviews"] = 0
    e = history.OpenEntry(eid, "migrate", reason="reviews recorded before they were history entries", marks=marks, always=True)
    history.seal(db, e)


@migrations()
def m081_checkpoints(db):
    # issue 15: the signed checkpoints `ledger checkpoint` made, kept so the
    # claim page can show a claim's inclusion proof and the checkpoint it was
    # checked against. Not history entries: a checkpoint signs the history
    # and adds nothing to it. Append-only like the ledger's tables.
    db.execute(
        """
        CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY,
            origin TEXT NOT NULL,
            size INTEGER NOT NULL,            -- entries the tree covers
            root TEXT NOT NULL,               -- base64 root hash, as on the checkpoint
            note TEXT NOT NULL                -- the signed note, exactly as published
        )
        """
    )
    for op in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER checkpoints_no_{op.lower()} BEFORE {op} ON checkpoints
            BEGIN
                SELECT RAISE(ABORT, 'checkpoints are append-only: make a new one with `ledger checkpoint`');
            END
            """
        )


@migrations()
def m120_fact_model_scope_and_containment(db):
    # issue 16: a claim's comparison scope (a title's organisation and post, a
    # place's containing places) and each entity's containing entity
    # (entities.yml `part_of`); the next refresh reloads the entity table and
    # recomputes every fact group with the predicate profiles
    db.execute("ALTER TABLE claim_values ADD COLUMN scope TEXT")
    db.execute("ALTER TABLE entities ADD COLUMN part_of TEXT")
    # where a source's text came from (a wire service, an official readout), detected from the text
    # (ledger/originators.py): sources sharing one count once
    db.execute("ALTER TABLE source_fingerprints ADD COLUMN originator TEXT")
    db.execute("ALTER TABLE source_fingerprints ADD COLUMN originator_note TEXT")
    db.execute("ALTER TABLE source_independence ADD COLUMN originator TEXT")
    db.execute("ALTER TABLE source_independence ADD COLUMN originator_note TEXT")
    db.execute("DELETE FROM compare_state WHERE key = 'sources_rowid'")  # fingerprint every source again
    db.execute("DELETE FROM compare_state WHERE key IN ('entities_digest', 'profiles_digest')")


@migrations()
def m110_create_captures(db):
    # issue 20: the HTTP exchange behind a source added from a WARC/WACZ capture
    # or fetched by `ledger source fetch`, as archiving tools record it
    db.execute(
        """
        CREATE TABLE captures (
            source_id TEXT NOT NULL REFERENCES sources(id),
            warc_sha256 TEXT NOT NULL,        -- the capture file's bytes (.warc.gz or .wacz)
            warc_path TEXT,                   -- where it is kept, beside the source's text
            container TEXT NOT NULL,          -- warc | wacz
            record_id TEXT,                   -- WARC-Record-ID of the response
            target_uri TEXT NOT NULL,         -- WARC-Target-URI
            warc_date TEXT NOT NULL,          -- WARC-Date: when the crawler received it, UTC
            server_date TEXT,                 -- the response's own Date header
            http_status INTEGER,
            http_headers TEXT NOT NULL,       -- JSON list of [name, value], in order
            request_headers TEXT,             -- JSON list of [name, value] (when a request record is there)
            payload_digest TEXT,              -- WARC-Payload-Digest as recorded
            block_digest TEXT,                -- WARC-Block-Digest as recorded
            payload_sha256 TEXT NOT NULL,     -- of the body the text was extracted from
            digests_checked INTEGER NOT NULL, -- records whose recorded digests were recomputed and matched
            PRIMARY KEY (source_id, warc_sha256)
        )
        """
    )


@migrations()
def m111_create_source_field_origins(db):
    # issue 20: where each metadata field of a source came from (a saved page's
    # structured data, its meta tags, a text heuristic, or the person adding it)
    db.execute(
        """
        CREATE TABLE source_field_origins (
            source_id TEXT NOT NULL REFERENCES sources(id),
            field TEXT NOT NULL,              -- title | published | authors | publisher
            origin TEXT NOT NULL,             -- structured data | meta tag | text heuristic | user
            PRIMARY KEY (source_id, field)
        )
        """
    )


# ---- m140-m149: derived state in bulk (issue 19)


@migrations()
def m140_derived_state_in_bulk(db):
    # issue 19: the derived state is refreshed by set-based SQL once per write
    # (ledger/store/derived.py), by watermark, not by row triggers. Dropped:
    # - 8 triggers that could never fire: claims and sources are append-only
    #   (m010's BEFORE UPDATE/DELETE triggers abort first), so their AFTER
    #   UPDATE/DELETE triggers were dead: the comparison's (m020), the claims
    #   facet counts' (m052) and the full-text indexes' (m040, sqlite-utils'
    #   claims_ad/claims_au/sources_ad/sources_au);
    # - the 9 other facet-count row triggers (m052, m060, m063): facet_counts
    #   is now kept by ledger/store/facet_counts.py;
    # - idx_claims_predicate: m055's idx_claims_predicate_page (and m062's
    #   two) start with predicate and answer every query it did;
    # - compare_dirty, filled only by the dead triggers (and emptied within
    #   each refresh): new claim events are read past a watermark instead.
    # The counts held are exact at this point (the triggers kept them), so the
    # new watermarks start at the rows they counted.
    for name in (
        "claims_compare_update", "claims_compare_delete",
        "claims_facet_counts_update", "claims_facet_counts_delete",
        "claims_ad", "claims_au", "sources_ad", "sources_au",
        "claims_facet_counts_insert", "claims_view_facet_counts", "claim_events_view_facet_counts",
        "facts_facet_counts_insert", "facts_facet_counts_delete", "facts_facet_counts_update",
        "claim_values_facet_counts_insert", "claim_values_facet_counts_delete", "claim_values_facet_counts_update",
    ):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute("DROP INDEX IF EXISTS idx_claims_predicate")
    db.execute("DROP TABLE IF EXISTS compare_dirty")
    for key, table in (("facet_claims_rowid", "claims"), ("facet_events_rowid", "claim_events")):
        db.execute(
            f"INSERT OR REPLACE INTO compare_state (key, value) SELECT ?, coalesce(max(rowid), 0) FROM {table}", [key]
        )


@migrations()
def m141_source_shingles_by_rowid(db):
    # issue 19: a sampled shingle named its source by the 64-character id, 80
    # bytes a row and 490 bytes per claim at 100k claims; the source's rowid
    # (stable: sources are append-only) takes 12. The table is derived: it is
    # made again, and the next refresh fingerprints every source again (as
    # m120 did), which recomputes the same near-duplicate pairs
    db.execute("DROP TABLE IF EXISTS source_shingles")
    db.execute(
        "CREATE TABLE source_shingles (hash INTEGER NOT NULL, source INTEGER NOT NULL, "
        "PRIMARY KEY (hash, source)) WITHOUT ROWID"
    )
    db.execute("DELETE FROM compare_state WHERE key = 'sources_rowid'")


@migrations()
def m142_facts_hold_only_their_own(db):
    # issue 19: a fact row held three texts that other rows already say, 470
    # bytes per claim at 100k claims: its predicate's rule in words (the same
    # for every fact of the predicate: now one row per predicate in
    # fact_rules), its topic's timeline (the same for every fact of the topic
    # that changes over time: one row per topic in fact_timelines, and
    # facts.timeline = 1 where it applies), and its values as JSON, which for
    # a fact with one value worded one way says no more than the row's own
    # columns (not held then: NULL). The view fact_details (ledger/store/views.py)
    # writes all three when read, as they were. The rows are moved as they
    # are; the views that read facts are dropped here and made again by the
    # next write or serve (views are not migrated).
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'view' AND sql LIKE '%facts%'"
    ).fetchall():
        db.execute(f"DROP VIEW [{name}]")
    db.execute("CREATE TEMP TABLE m142_facts AS SELECT * FROM facts")
    db.execute("DROP TABLE facts")
    db.execute(
        """
        CREATE TABLE facts (
            fact_key TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            subject TEXT NOT NULL,
            predicate TEXT NOT NULL,
            kind TEXT NOT NULL,
            cardinality TEXT NOT NULL,        -- one | many
            time_start TEXT,
            time_end TEXT,
            status TEXT NOT NULL,             -- corroborated | conflicting | single-source | change-over-time
            support TEXT,                     -- corroborated | single-source (NULL when conflicting)
            value TEXT,                       -- as the earliest source words it (NULL when conflicting)
            value_norm TEXT,                  -- the normalised form the sources agree on
            value_count INTEGER NOT NULL,
            claim_count INTEGER NOT NULL,
            source_count INTEGER NOT NULL,
            independent_count INTEGER NOT NULL,
            values_json TEXT,                 -- NULL: one value, the row's own (see the view fact_details)
            timeline INTEGER                  -- 1: its topic's timeline (fact_timelines) applies
        )
        """
    )
    db.execute("CREATE INDEX idx_facts_topic ON facts (topic)")
    db.execute("CREATE INDEX idx_facts_status ON facts (status, subject, predicate)")
    db.execute("CREATE INDEX idx_facts_subject ON facts (subject_key, predicate)")
    db.execute("CREATE INDEX idx_facts_predicate ON facts (predicate)")
    db.execute(
        "CREATE TABLE fact_rules (\n"
        "    predicate TEXT PRIMARY KEY,\n"
        "    rule TEXT NOT NULL                -- the comparison rule of its facts, in words\n"
        ") WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE fact_timelines (\n"
        "    topic TEXT PRIMARY KEY,           -- subject_key|predicate\n"
        "    timeline_json TEXT NOT NULL       -- the values in time order, as JSON\n"
        ")"
    )
    db.execute("INSERT INTO fact_rules (predicate, rule) SELECT predicate, min(rule) FROM m142_facts GROUP BY predicate")
    db.execute(
        "INSERT INTO fact_timelines (topic, timeline_json) SELECT topic, min(timeline_json) FROM m142_facts "
        "WHERE timeline_json IS NOT NULL GROUP BY topic"
    )
    one_value = (
        "'[{\"value\": ' || json_quote(value_norm) || ', \"raw\": [' || json_quote(value) || '], \"claims\": ' || "
        "claim_count || ', \"sources\": ' || source_count || ', \"independent_sources\": ' || independent_count || '}]'"
    )
    db.execute(
        "INSERT INTO facts SELECT fact_key, topic, subject_key, subject, predicate, kind, cardinality, time_start, "
        "time_end, status, support, value, value_norm, value_count, claim_count, source_count, independent_count, "
        f"CASE WHEN value_count = 1 AND values_json = {one_value} THEN NULL ELSE values_json END, "
        "CASE WHEN timeline_json IS NOT NULL THEN 1 END FROM m142_facts"
    )
    # a rule or timeline that differed within its predicate or topic (not written by any version, but
    # then one row could not hold it): the next write compares everything again
    if db.execute(
        "SELECT 1 FROM m142_facts GROUP BY predicate HAVING count(DISTINCT rule) > 1 UNION ALL "
        "SELECT 1 FROM m142_facts WHERE timeline_json IS NOT NULL GROUP BY topic HAVING count(DISTINCT timeline_json) > 1"
    ).fetchone():
        db.execute("DELETE FROM compare_state WHERE key = 'profiles_digest'")
    db.execute("DROP TABLE temp.m142_facts")


@migrations()
def m143_claims_indexes_narrowed(db):
    # issue 19: three claims indexes carried columns no query reads from them,
    # the 64-character source id among them (156 + 156 + 124 bytes per claim at
    # 100k claims). By EXPLAIN QUERY PLAN over the canned queries, the views and
    # the claims pages (sorted by subject; ?subject=, ?predicate= and their facets):
    # - idx_claims_fact (subject, predicate, value, source_id): the claims page's
    #   order and ?subject= need subject alone, which also gives (subject, rowid),
    #   Datasette's order, with no temporary B-tree;
    # - idx_claims_fact_nocase: the claim page's "same subject and predicate,
    #   ignoring case" (a claim outside the comparison) needs the subject alone;
    # - idx_claims_predicate_page (predicate, subject, status, source_id): the
    #   ?predicate= page's order needs (predicate, subject); its status and
    #   source_id facets read m062's (predicate, status) and (predicate, source_id).
    db.execute("DROP INDEX IF EXISTS idx_claims_fact")
    db.execute("DROP INDEX IF EXISTS idx_claims_fact_nocase")
    db.execute("DROP INDEX IF EXISTS idx_claims_predicate_page")
    db.execute("CREATE INDEX idx_claims_subject ON claims (subject)")
    db.execute("CREATE INDEX idx_claims_subject_nocase ON claims (subject COLLATE NOCASE)")
    db.execute("CREATE INDEX idx_claims_predicate_subject ON claims (predicate, subject)")


# The order the migrations are applied in, stated here (the order of their
# names is not it: m040 runs before m010, as it did when they shipped), and
# the order sqlite-utils applies them in (sorted below). Frozen: a new
# migration is appended at the end of this list; an applied one is never
# edited, renamed or moved (tests/test_schema.py checks the list, each
# migration's source and the schema they make).
ORDER = (
    "m001_create_sources",
    "m002_create_claims",
    "m003_create_claim_files",
    "m040_full_text_search",
    "m041_claims_fact_nocase_index",
    "m030_source_snapshots",
    "m031_create_reviews",
    "m010_history",
    "m020_comparison_tables",
    "m032_reviews_append_only",
    "m050_source_files",
    "m051_claims_status_confidence_indexes",
    "m011_claims_supersedes",
    "m052_facet_counts",
    "m053_claims_supersedes_index",
    "m054_sources_page_indexes",
    "m055_claims_predicate_page_index",
    "m060_view_facet_counts",
    "m061_drop_span_audit_view",
    "m062_claims_predicate_facet_indexes",
    "m063_view_facet_counts_without_tidying",
    "m070_claims_support",
    "m080_reviews_in_history",
    "m081_checkpoints",
    "m120_fact_model_scope_and_containment",
    "m110_create_captures",
    "m111_create_source_field_origins",
    "m140_derived_state_in_bulk",
    "m141_source_shingles_by_rowid",
    "m142_facts_hold_only_their_own",
    "m143_claims_indexes_narrowed",
)
if sorted(m.name for m in migrations._migrations) != sorted(ORDER):  # pragma: no cover - caught on import
    raise RuntimeError(
        "ledger/store/migrations.py: the migrations defined differ from ORDER; add a new migration to the end of "
        "ORDER, and never remove, reorder or edit an applied one"
    )
migrations._migrations.sort(key=lambda m: ORDER.index(m.name))
