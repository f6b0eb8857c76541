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

