"""The ledger in Datasette: claim and source pages, canned queries, search,
metadata, read-only serving and escaping, through Datasette's own test client
against a real ledger built from the repository's sources/ and claims/."""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
import stat
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.plugins import get_plugins

import ledger.web as plugin
from ledger.services import publish
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.services.ingest import build
from ledger.services.verify import verify

ROOT = Path(__file__).resolve().parent.parent
METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
STADIUM_SPAN = "a seating capacity of 60,000"


def run(coro):
    return asyncio.run(coro)


def make_ds(path: Path, *, immutable: bool = True) -> Datasette:
    """Datasette as `ledger serve` configures it."""
    kwargs = {"immutables": [str(path)]} if immutable else {"files": [str(path)]}
    return Datasette(metadata=METADATA, settings=publish.settings(), **kwargs)


def get(ds: Datasette, path: str):
    return run(ds.client.get(path))


@pytest.fixture
def snapshot(seed_db, tmp_path):
    """The seed ledger as `ledger serve` publishes it: a read-only snapshot."""
    out = tmp_path / "published"
    out.mkdir()
    return publish.snapshot(seed_db, out)


@pytest.fixture
def ds(snapshot):
    return make_ds(snapshot)


def claims(path: Path, where: str = "1", params=()) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM claims WHERE {where}", params)]
    finally:
        conn.close()


def stadium(path: Path) -> dict:
    (row,) = claims(path, "subject = ? AND predicate = ?", ["Morodok Techo National Stadium", "seating_capacity"])
    return row


class Marks(HTMLParser):
    """Collects the text of <mark> elements, with their attributes, and the
    text of the element with a given class, skipping claim-number links."""

    def __init__(self, container_class: str | None = None):
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[dict, str]] = []
        self.container_class = container_class
        self.container_text: list[str] = []
        self._mark_stack: list[list] = []
        self._container_depth = 0
        self._skip = 0
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._depth += 1
        if self._container_depth == 0 and self.container_class and self.container_class in (attrs.get("class") or "").split():
            self._container_depth = self._depth
        if tag == "mark":
            self._mark_stack.append([attrs, ""])
        if tag == "a" and "ledger-claim-no" in (attrs.get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "mark" and self._mark_stack:
            attrs, text = self._mark_stack.pop()
            self.marks.append((attrs, text))
        if tag == "a" and self._skip:
            self._skip -= 1
        if self._container_depth and self._depth == self._container_depth:
            self._container_depth = 0
        self._depth -= 1

    def handle_data(self, data):
        if self._skip:
            return
        for m in self._mark_stack:
            m[1] += data
        if self._container_depth:
            self.container_text.append(data)


def parse(text: str, container_class: str | None = None) -> Marks:
    p = Marks(container_class)
    p.feed(text)
    p.close()
    return p


def span_mark(page: str) -> str:
    found = [t for attrs, t in parse(page).marks if attrs.get("id") == "span"]
    assert len(found) == 1, f"expected one <mark id=span>, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------- plugin and pages


def test_plugin_is_registered_through_the_entry_point_with_its_templates():
    ours = [p for p in get_plugins() if p["name"] == "provenance-ledger"]
    assert ours, "the datasette entry point in pyproject.toml is not installed (pip install -e .)"
    # two modules: ledger.web (claim and source pages, with the templates) and ledger.web.audit (issue 17)
    main = [p for p in ours if p["templates_path"]]
    assert len(main) == 1 and Path(main[0]["templates_path"], "row-ledger-claims.html").exists()
    assert {"extra_template_vars", "render_cell"} <= set(main[0]["hooks"])
    assert any("register_routes" in p["hooks"] for p in ours)


def test_stadium_claim_page_highlights_the_span_in_its_sentence_with_provenance(ds, snapshot):
    claim = stadium(snapshot)
    r = get(ds, f"/ledger/claims/{claim['id']}")
    assert r.status_code == 200
    assert span_mark(r.text) == claim["span_text"] == STADIUM_SPAN
    # the sentence around it, as the source has it
    assert (
        "The new national stadium is a fully modern facility with "
        '<mark class="ledger-span" id="span">a seating capacity of 60,000</mark> that showcases China'
    ) in r.text
    # the claim's fields
    for text in ("Morodok Techo National Stadium", "seating_capacity", "60,000", "0.95", "2021-12-01"):
        assert text in r.text
    # provenance: publisher, date and how it is known, URL as a link, hash, link to the source
    assert "The Phnom Penh Post" in r.text
    assert "inferred from the text" in r.text
    url = "https://phnompenhpost.com/national-politics/sokhonn-plans-china-trip"
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">{url}</a>' in r.text
    assert claim["source_id"] in r.text
    assert f'href="/ledger/sources/{claim["source_id"]}"' in r.text
    assert "No other source in the ledger states this fact" in r.text


def test_every_claim_page_marks_exactly_its_stored_span(ds, snapshot):
    rows = claims(snapshot)
    assert len(rows) >= 40
    for claim in rows:
        r = get(ds, f"/ledger/claims/{claim['id']}")
        assert r.status_code == 200, claim["id"]
        assert span_mark(r.text) == claim["span_text"], claim["id"]


def test_claim_page_lists_other_sources_on_the_same_fact(ds, snapshot):
    (claim,) = claims(snapshot, "subject = 'Kin Phea' AND predicate = 'title' AND value LIKE '%Royal Academy of Cambodia''s%'")
    (other,) = claims(snapshot, "subject = 'Kin Phea' AND predicate = 'title' AND id != ?", [claim["id"]])
    r = get(ds, f"/ledger/claims/{claim['id']}")
    assert r.status_code == 200
    section = r.text[r.text.index('id="same-fact"') :]
    assert f'href="/ledger/claims/{other["id"]}"' in section
    assert html.escape(other["value"], quote=False) in section or other["value"] in html.unescape(section)
    assert "hun-sen-meets-xi" in section or "Hun Sen, Senate president" in section
    assert [t for _, t in parse(section).marks] [0] == other["span_text"]


def test_source_page_shows_the_whole_text_with_every_claim_highlighted_and_numbered(ds, snapshot):
    conn = sqlite3.connect(snapshot)
    sources = conn.execute("SELECT id, text FROM sources").fetchall()
    conn.close()
    for source_id, text in sources:
        r = get(ds, f"/ledger/sources/{source_id}")
        assert r.status_code == 200
        page = parse(r.text, "ledger-source-text")
        # the text comes back whole, character for character, once the numbers are left out
        assert "".join(page.container_text) == text
        rows = sorted(claims(snapshot, "source_id = ?", [source_id]), key=lambda c: (c["span_start"], c["span_end"], c["id"]))
        text_marks = [(a, t) for a, t in page.marks if "data-claims" in a]
        for number, claim in enumerate(rows, 1):
            # the marked pieces carrying this claim's number spell its span exactly
            pieces = [t for a, t in text_marks if str(number) in a["data-claims"].split()]
            assert "".join(pieces) == claim["span_text"], (number, claim["id"])
            assert f'id="at-claim-{number}"' in r.text
            assert f'<li id="claim-{number}"><a href="/ledger/claims/{claim["id"]}">' in r.text


def test_tables_views_and_database_pages_answer(ds):
    for path in (
        "/", "/ledger", "/ledger/claims", "/ledger/sources", "/ledger/claim_files", "/ledger/claim_spans",
        "/ledger/claim_provenance", "/ledger/source_summary",
        "/ledger/claim_provenance?_facet=confidence_band", "/ledger/claims?_facet=predicate",
        "/ledger/claims.json", "/ledger/sources.json",
    ):
        r = get(ds, path)
        assert r.status_code == 200, path
    r = get(ds, "/ledger/claims")
    # span_text in the claims table is shown in its context, the span marked
    assert f'<mark class="ledger-span">{STADIUM_SPAN}</mark>' in r.text
    # a claim id in a view links to the claim page
    r = get(ds, "/ledger/claim_provenance?predicate=seating_capacity")
    assert re.search(r'<a href="/ledger/claims/c[0-9a-f]{16}">c[0-9a-f]{16}</a>', r.text)


def clean_audit(n_spans: int, n_sources: int, source: str) -> list[dict]:
    """The one row of a clean span audit: what it checked, no claim named (issue 17)."""
    return [{"claim_id": None, "source": "all sources" if source == "*" else source, "span_start": None, "span_end": None,
             "span_text": None, "recomputed_span": None,
             "problem": f"{n_spans} span(s) in {n_sources} source(s) checked: all match their source text"}]


def test_span_audit_says_what_it_checked_on_the_seed_ledger(ds, snapshot):
    conn = sqlite3.connect(snapshot)
    counts = dict(conn.execute("SELECT s.slug, count(*) FROM claims c JOIN sources s ON s.id = c.source_id GROUP BY s.slug"))
    conn.close()
    for source, n, m in (("*", sum(counts.values()), 2), ("sokhonn-plans-china-trip", counts["sokhonn-plans-china-trip"], 1),
                         ("hun-sen-meets-xi", counts["hun-sen-meets-xi"], 1)):
        r = get(ds, f"/ledger/span_audit_report.json?_shape=array&source={source}")
        assert r.status_code == 200
        assert r.json() == clean_audit(n, m, source)


def test_span_audit_without_a_source_or_with_an_unknown_one_says_nothing_was_audited(ds):
    """An empty form audits nothing (the whole audit is `*`, or `ledger verify`) and says so in its one row,
    so it is never read as a clean audit; the same for a source the ledger does not hold."""
    empty = get(ds, "/ledger/span_audit_report.json?_shape=array&source=").json()
    assert [r["problem"] for r in empty] == ["nothing audited: give a source (slug or SHA-256), or * for the whole ledger"]
    unknown = get(ds, "/ledger/span_audit_report.json?_shape=array&source=no-such-article").json()
    assert [r["problem"] for r in unknown] == ["nothing audited: no source has that slug or SHA-256"]
    page = get(ds, "/ledger/span_audit_report")
    assert page.status_code == 200 and "nothing audited" in page.text
    # the view it replaced is gone (m061), and the views are not counted row by row
    assert get(ds, "/ledger/span_audit").status_code == 404
    rows = get(ds, "/ledger/claim_spans.json?_shape=array&_size=max").json()
    assert rows and all(r["span_matches"] == 1 and r["prefix_matches"] == 1 and r["suffix_matches"] == 1 for r in rows)


# ---------------------------------------------------------------- canned queries

# parameters for each canned query, and a check of what it returns
CANNED = {
    "claims_about_subject": ({"subject": "hun sen"}, lambda rows: rows and {r["subject"] for r in rows} == {"Hun Sen"}),
    "source_claims": (
        {"source": "sokhonn-plans-china-trip"},
        lambda rows: len(rows) == Path("claims/sokhonn-plans-china-trip.yml").read_text().count("\n- subject:")
        and [r["span_start"] for r in rows] == sorted(r["span_start"] for r in rows),
    ),
    "fact_side_by_side": (
        {"subject": "KIN PHEA", "predicate": "title"},
        lambda rows: len(rows) == 2 and len({r["source"] for r in rows}) == 2,
    ),
    # the seed ledger has no conflict: Hun Sen's titles changed over time (see the conflict tests below)
    "conflicting_facts": ({"subject": ""}, lambda rows: rows == []),
    "single_source": (
        {"source": "sokhonn-plans-china-trip"},
        lambda rows: ("Morodok Techo National Stadium", "seating_capacity") in {(r["subject"], r["predicate"]) for r in rows}
        # (two articles by the same publisher count as one independent source)
        and all("sokhonn-plans-china-trip" in r["sources"].split(",") for r in rows),
    ),
    # issue 4: "Phea" is an alias of Kin Phea; both articles word his title differently, one normalised form
    "compare_subject": (
        {"subject": "Phea", "predicate": "title"},
        lambda rows: len(rows) == 2 and {r["subject"] for r in rows} == {"Kin Phea"}
        and len({r["value_norm"] for r in rows}) == 1 and {r["counted"] for r in rows} == {0, 1},
    ),
    "low_confidence": ({"below": "0.75"}, lambda rows: [(r["subject"], r["predicate"], r["confidence"]) for r in rows] == [("Hun Sen", "role", 0.7)]),
    "quotations_by_speaker": ({"speaker": "kin phea"}, lambda rows: len(rows) == 4 and {r["speaker"] for r in rows} == {"Kin Phea"}),
    "span_audit_report": ({"source": "*"}, lambda rows: [r["claim_id"] for r in rows] == [None] and "all match" in rows[0]["problem"]),
    "find_claim": (
        {"subject": "Sokhonn", "q": "", "states": ""},
        lambda rows: rows and {r["subject"] for r in rows} == {"Prak Sokhonn"} and {r["state"] for r in rows} == {"current"},
    ),
    "search": (
        {"q": "seating capacity"},
        lambda rows: {r["kind"] for r in rows} == {"claim", "source"}
        and any("⟦seating⟧" in r["match_snippet"] or "⟦seating capacity⟧" in r["match_snippet"] for r in rows),
    ),
}


def test_every_canned_query_is_tested():
    assert set(METADATA["databases"]["ledger"]["queries"]) == set(CANNED)


@pytest.mark.parametrize("name", sorted(CANNED))
def test_canned_query_answers_and_returns_what_it_says(ds, name):
    params, check = CANNED[name]
    from urllib.parse import urlencode

    qs = urlencode(params)
    page = get(ds, f"/ledger/{name}?{qs}")
    assert page.status_code == 200, page.text[:500]
    r = get(ds, f"/ledger/{name}.json?_shape=array&{qs}")
    assert r.status_code == 200, r.text[:500]
    assert check(r.json()), r.json()


@pytest.mark.parametrize("name", sorted(CANNED))
def test_canned_query_answers_with_its_parameters_left_empty(ds, name):
    r = get(ds, f"/ledger/{name}.json?_shape=array")
    assert r.status_code == 200, r.text[:500]


def test_default_parameters_mean_every_speaker_and_a_threshold_of_0_8(ds):
    rows = get(ds, "/ledger/quotations_by_speaker.json?_shape=array&speaker=").json()
    assert {r["speaker"] for r in rows} == {"Kin Phea", "Ministry of Foreign Affairs and International Cooperation"}
    rows = get(ds, "/ledger/low_confidence.json?_shape=array&below=").json()
    assert rows and all(r["confidence"] < 0.8 for r in rows)


def test_search_results_mark_the_match(ds):
    r = get(ds, "/ledger/search?q=Evergrande")
    assert r.status_code == 200
    assert "<mark>Evergrande</mark>" in r.text


def test_canned_queries_use_no_view_or_table_name(ds):
    conn_names = {t for t in run(ds.get_database("ledger").table_names())} | set(run(ds.get_database("ledger").view_names()))
    clash = conn_names & set(METADATA["databases"]["ledger"]["queries"])
    assert not clash, f"canned queries hide these tables or views: {clash}"


# ---------------------------------------------------------------- a conflict between sources


@pytest.fixture
def conflict_db(workdir):
    """The seed ledger plus two short made-up reports on the stadium: one
    says 75,000 seats, one agrees with 60,000."""
    reports = {
        "made-up-75000": ("2021-12-05", "Example Times", "The Morodok Techo National Stadium, which has a seating capacity of 75,000, will host the opening ceremony.\n", "a seating capacity of 75,000", "75,000"),
        "made-up-60000": ("2021-12-03", "Example Daily", "The 60,000-seat Morodok Techo National Stadium was handed over in 2021.\n", "60,000-seat", "60,000"),
    }
    for slug, (published, publisher, text, quote, value) in reports.items():
        (workdir / "sources" / f"{slug}.txt").write_text(text, encoding="utf-8")
        (workdir / "sources" / f"{slug}.yml").write_text(
            yaml.safe_dump({"title": f"Made-up report {slug}", "url": f"https://example.org/{slug}", "publisher": publisher,
                            "published": published, "date_basis": "dateline"}), encoding="utf-8")
        (workdir / "claims" / f"{slug}.yml").write_text(
            yaml.safe_dump({"source": slug, "claims": [{"subject": "Morodok Techo National Stadium", "predicate": "seating_capacity",
                            "value": value, "quote": quote, "confidence": 0.9, "as_of": published}]}), encoding="utf-8")
    path = workdir / "ledger.db"
    db = open_db(path)
    build(db, workdir / "sources", workdir / "claims")
    db.close()
    return path


def test_conflicting_facts_query_lists_every_claim_of_the_conflict(conflict_db):
    ds = make_ds(conflict_db, immutable=False)
    rows = get(ds, "/ledger/conflicting_facts.json?_shape=array&subject=morodok+techo+national+stadium").json()
    assert sorted((r["value"], r["source"]) for r in rows) == [
        ("60,000", "made-up-60000"), ("60,000", "sokhonn-plans-china-trip"), ("75,000", "made-up-75000")
    ]
    assert {r["predicate"] for r in rows} == {"seating_capacity"}
    # the same rows as the comparison's conflicts view, which the query reads by index
    view = get(ds, "/ledger/conflicts.json?_shape=array&_size=max").json()
    assert sorted(r["claim_id"] for r in rows) == sorted(r["claim_id"] for r in view)
    everything = get(ds, "/ledger/conflicting_facts.json?_shape=array&subject=").json()
    assert sorted(r["claim_id"] for r in everything) == sorted(r["claim_id"] for r in view)
    side = get(ds, "/ledger/fact_side_by_side.json?_shape=array&subject=Morodok+Techo+National+Stadium&predicate=seating_capacity").json()
    assert [r["value"] for r in side] == ["60,000", "60,000", "75,000"]


def test_claim_page_shows_the_conflicting_and_agreeing_sources(conflict_db):
    ds = make_ds(conflict_db, immutable=False)
    claim = stadium_in(conflict_db, "sokhonn-plans-china-trip")
    page = get(ds, f"/ledger/claims/{claim['id']}").text
    section = page[page.index('id="same-fact"') : page.index("</section>", page.index('id="same-fact"'))]
    marks = [t for _, t in parse(section).marks]
    assert sorted(marks) == ["60,000-seat", "a seating capacity of 75,000"]
    assert "conflicting" in section
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    by_value = {re.search(r">([\d,]+)</a>", r).group(1): r for r in rows if "</a>" in r}
    assert "different value" in by_value["75,000"] and "same value" in by_value["60,000"]
    assert "Example Times" in by_value["75,000"] and "2021-12-05" in by_value["75,000"]


def stadium_in(path: Path, slug: str) -> dict:
    (row,) = claims(
        path,
        "subject = 'Morodok Techo National Stadium' AND predicate = 'seating_capacity' "
        "AND source_id = (SELECT id FROM sources WHERE slug = ?)",
        [slug],
    )
    return row


# ---------------------------------------------------------------- search


def test_full_text_search_is_wired_into_datasette(ds):
    rows = get(ds, "/ledger/claims.json?_shape=array&_search=seating").json()
    assert [r["predicate"] for r in rows] == ["seating_capacity"]
    rows = get(ds, "/ledger/sources.json?_shape=array&_search=Evergrande").json()
    assert [r["slug"] for r in rows] == ["sokhonn-plans-china-trip"]
    assert "search" in get(ds, "/ledger/claims").text.lower()


def test_full_text_search_stays_current_after_a_write(seed_db):
    result = CliRunner().invoke(
        cli,
        ["claim", "add", "sokhonn-plans-china-trip", "--db", str(seed_db), "--subject", "Belt and Road Initiative",
         "--predicate", "aim", "--value", "infrastructure loans and grants", "--confidence", "0.8",
         "--paraphrase", "the projects are financed with loans and grants (test: a declared reading)",
         "--quote", "assisting other nations with large infrastructure projects"],
    )
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(seed_db)
    found = conn.execute(
        "SELECT c.subject FROM claims_fts JOIN claims c ON c.rowid = claims_fts.rowid WHERE claims_fts MATCH 'infrastructure'"
    ).fetchall()
    conn.close()
    assert found == [("Belt and Road Initiative",)]


# ---------------------------------------------------------------- metadata


def test_metadata_describes_every_table_view_and_column(snapshot):
    ds = make_ds(snapshot)
    db = ds.get_database("ledger")
    hidden = set(run(db.hidden_table_names()))
    names = (set(run(db.table_names())) | set(run(db.view_names()))) - hidden
    tables = METADATA["databases"]["ledger"]["tables"]
    missing = []
    for name in sorted(names):
        meta = tables.get(name) or {}
        if not meta.get("description"):
            missing.append(f"{name}: description")
        conn = sqlite3.connect(snapshot)
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        conn.close()
        missing += [f"{name}.{c}" for c in cols if not (meta.get("columns") or {}).get(c)]
    assert not missing, "metadata.yml lacks a description for: " + ", ".join(missing)


def test_metadata_has_title_licence_source_and_facets():
    assert METADATA["title"] and METADATA["license"] and METADATA["source"] and METADATA["description_html"]
    tables = METADATA["databases"]["ledger"]["tables"]
    assert tables["claims"]["label_column"] == "subject" and tables["sources"]["label_column"] == "slug"
    facets = [f["counted"] if isinstance(f, dict) else f for f in tables["claim_provenance"]["facets"]]
    assert {"predicate", "publisher", "confidence_band", "status"} <= set(facets)
    assert tables["claims"]["fts_table"] == "claims_fts" and tables["sources"]["fts_table"] == "sources_fts"


def test_foreign_keys_show_the_source_slug(ds, snapshot):
    claim = stadium(snapshot)
    r = get(ds, f"/ledger/claims?id={claim['id']}")
    assert f'<a href="/ledger/sources/{claim["source_id"]}">sokhonn-plans-china-trip</a>' in r.text


# ---------------------------------------------------------------- read-only for visitors


WRITES = [
    "INSERT INTO claims (id) VALUES ('x')",
    "UPDATE claims SET value = 'x'",
    "DELETE FROM claims",
    "DROP TABLE claims",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "PRAGMA journal_mode = DELETE",
    "SELECT 1; DELETE FROM claims",
]


@pytest.mark.parametrize("immutable", [True, False], ids=["snapshot", "live"])
def test_arbitrary_sql_cannot_write(snapshot, tmp_path, immutable):
    if immutable:
        path = snapshot
    else:
        path = tmp_path / "live" / "ledger.db"
        path.parent.mkdir()
        path.write_bytes(snapshot.read_bytes())
    ds = make_ds(path, immutable=immutable)
    before = len(claims(path))
    for sql in WRITES:
        r = get(ds, "/ledger.json?" + __import__("urllib.parse").parse.urlencode({"sql": sql}))
        assert r.status_code == 400, (sql, r.status_code)
    # and the connections Datasette reads with refuse writes even past its SQL check
    db = ds.get_database("ledger")
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        run(db.execute("DELETE FROM claims"))
    assert len(claims(path)) == before


def test_a_slow_query_is_stopped_by_the_time_limit(ds):
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    )
    r = get(ds, "/ledger.json?" + __import__("urllib.parse").parse.urlencode({"sql": slow}))
    assert r.status_code == 400
    assert "took too long" in r.text.lower() or "interrupted" in r.text.lower()


def test_serve_command_line_is_local_read_only_and_time_limited(tmp_path):
    args = publish.datasette_command(tmp_path / "ledger.db", port=8123, metadata="metadata.yml")
    assert args[:4] == [sys.executable, "-m", "datasette", "serve"]
    assert args[args.index("-h") + 1] == "127.0.0.1" and args[args.index("-p") + 1] == "8123"
    assert "-i" in args
    settings = {args[i + 1]: args[i + 2] for i, a in enumerate(args) if a == "--setting"}
    assert settings["sql_time_limit_ms"] == "1000" and settings["allow_download"] == "on"
    assert int(settings["max_returned_rows"]) <= 1000
    for flag in ("--cors", "--crossdb", "--root", "--load-extension", "--setting default_allow_sql"):
        assert flag not in " ".join(args)
    live = publish.datasette_command(tmp_path / "ledger.db", port=1, metadata=None, immutable=False)
    assert "-i" not in live[4:] and "-m" not in live[4:]


def test_serve_sets_a_random_secret_unless_one_is_given():
    a = publish.serve_environment({})["DATASETTE_SECRET"]
    b = publish.serve_environment({})["DATASETTE_SECRET"]
    assert len(a) >= 32 and a != b
    assert publish.serve_environment({"DATASETTE_SECRET": "kept"})["DATASETTE_SECRET"] == "kept"


def test_snapshot_is_a_read_only_copy_that_verifies(seed_db, snapshot):
    assert snapshot.name == "ledger.db"
    assert not snapshot.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert claims(snapshot) == claims(seed_db)
    db = open_db(snapshot, create=False, migrate=False)
    try:
        assert verify(db)["ok"]
    finally:
        db.close()


def test_the_snapshot_can_be_downloaded(ds):
    r = get(ds, "/ledger.db")
    assert r.status_code == 200
    assert r.content[:16] == b"SQLite format 3\x00"


def test_serve_refuses_a_missing_ledger(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "Error: no ledger at" in result.output


# ---------------------------------------------------------------- a tampered span


def _drop_guard_triggers(conn):
    # history features may refuse direct edits with triggers; this test edits
    # the file behind the ledger's back on purpose, as an attacker would
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('claims', 'sources') "
        "AND name NOT IN ('claims_ai', 'claims_ad', 'claims_au', 'sources_ai', 'sources_ad', 'sources_au')"
    ).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')


TAMPERING = {
    # what is changed behind the ledger's back -> what the audit says
    "span": ("UPDATE claims SET span_text = 'a seating capacity of 75,000' WHERE id = :id", "span text differs from the source"),
    "prefix": ("UPDATE claims SET prefix = 'is a fully modern stadium with ' WHERE id = :id", "context (prefix/suffix) differs from the source"),
    "suffix": ("UPDATE claims SET suffix = ' that showcases Japan' WHERE id = :id", "context (prefix/suffix) differs from the source"),
    "offsets": ("UPDATE claims SET span_start = span_start + 1, span_end = span_end + 1 WHERE id = :id", "span text differs from the source"),
    "source text": (
        "UPDATE sources SET text = replace(text, 'capacity of 60,000', 'capacity of 75,000') "
        "WHERE id = (SELECT source_id FROM claims WHERE id = :id)",
        "span text differs from the source",
    ),
    "past the end": ("UPDATE claims SET span_end = 100000 WHERE id = :id", "span ends past the end of the text"),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_span_audit_lists_a_claim_whose_span_no_longer_holds(seed_db, what):
    claim = stadium(seed_db)
    sql, problem = TAMPERING[what]
    conn = sqlite3.connect(seed_db)
    _drop_guard_triggers(conn)
    conn.execute(sql, {"id": claim["id"]})
    conn.commit()
    conn.close()
    ds = make_ds(seed_db, immutable=False)
    rows = get(ds, "/ledger/span_audit_report.json?_shape=array&source=*").json()
    assert [(r["claim_id"], r["problem"]) for r in rows] == [(claim["id"], problem)]
    # claim_spans filtered to the spans that do not match
    if what in ("span", "offsets", "source text"):
        spans = get(ds, "/ledger/claim_spans.json?_shape=array&span_matches__lt=1").json()
        assert [r["id"] for r in spans] == [claim["id"]]
    # auditing the other source finds nothing; auditing this one finds it
    other = get(ds, "/ledger/span_audit_report.json?_shape=array&source=hun-sen-meets-xi").json()
    assert [r["claim_id"] for r in other] == [None] and "all match" in other[0]["problem"]
    assert len(get(ds, "/ledger/span_audit_report.json?_shape=array&source=sokhonn-plans-china-trip").json()) == 1
    if what in ("span", "offsets", "source text"):
        page = get(ds, f"/ledger/claims/{claim['id']}").text
        assert "no longer matches the source text" in page
        assert 'id="span"' not in page


def test_span_audit_lists_a_claim_whose_source_is_missing(seed_db):
    claim = stadium(seed_db)
    conn = sqlite3.connect(seed_db)
    _drop_guard_triggers(conn)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE claims SET source_id = ? WHERE id = ?", ["0" * 64, claim["id"]])
    conn.commit()
    conn.close()
    ds = make_ds(seed_db, immutable=False)
    rows = get(ds, "/ledger/span_audit_report.json?_shape=array&source=*").json()
    assert [(r["claim_id"], r["problem"]) for r in rows] == [(claim["id"], "source missing")]
    page = get(ds, f"/ledger/claims/{claim['id']}")
    assert page.status_code == 200 and "is missing from the ledger" in page.text


# ---------------------------------------------------------------- hostile input

HOSTILE_TEXT = (
    'Officials said <script>alert("text")</script> the stadium "><img src=x onerror=alert(1)> seats '
    "</mark><b>bold</b> 60,000 people, with \u202eRTL override and zero\u200bwidth characters.\n"
)


@pytest.fixture
def hostile_db(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "claims").mkdir()
    (tmp_path / "sources" / "hostile.txt").write_bytes(HOSTILE_TEXT.encode("utf-8"))
    (tmp_path / "sources" / "hostile.yml").write_text(
        yaml.safe_dump(
            {
                "title": "<script>alert('title')</script>",
                # issue 14: a sidecar's URL must be http(s); the javascript: one is written behind the ledger's back below
                "url": "https://example.com/hostile",
                "publisher": '"><img src=x onerror=alert("publisher")>',
                "published": "2024-01-02",
                "date_basis": "<svg onload=alert(1)>",
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "claims" / "hostile.yml").write_text(
        yaml.safe_dump(
            {
                "source": "hostile",
                "claims": [
                    {
                        "subject": "<script>alert('subject')</script>",
                        "predicate": "seating_capacity",
                        "value": '"><img src=x onerror=alert("value")>',
                        "quote": '<script>alert("text")</script> the stadium "><img src=x onerror=alert(1)> seats </mark><b>bold</b>',
                        "confidence": 0.5,
                        "note": "<iframe src=javascript:alert(1)>",
                        "speaker": "javascript:alert('speaker')",
                        "paraphrase": "<script>alert('paraphrase')</script>",  # issue 14: declared, the value is not the span's
                    },
                    {
                        "subject": "Stadium",
                        "predicate": "seating_capacity",
                        "value": "60,000",
                        "quote": "RTL override and zero",
                        "confidence": 0.5,
                        "paraphrase": "test text: the span holds the bidi and zero-width characters",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    path = tmp_path / "ledger.db"
    db = open_db(path)
    build(db, tmp_path / "sources", tmp_path / "claims")
    db.close()
    conn = sqlite3.connect(path)  # a URL `ledger build` refuses, written behind its back: the page must not link it
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sources'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE sources SET url = ?", ["javascript:alert('url')"])
    conn.commit()
    conn.close()
    return path


# what must never reach the page as markup (the same words as escaped text are fine)
PAYLOAD_RE = re.compile(r"<script>alert|<img|<svg|<iframe|<b>bold|<mark><b>|href=\"javascript:|href='javascript:", re.I)


def test_hostile_text_renders_inert_everywhere(hostile_db):
    ds = make_ds(hostile_db, immutable=False)
    rows = claims(hostile_db)
    source_id = rows[0]["source_id"]
    pages = [f"/ledger/claims/{c['id']}" for c in rows] + [
        f"/ledger/sources/{source_id}",
        "/ledger/claims",
        "/ledger/sources",
        "/ledger/claim_provenance",
        "/ledger/claim_spans",
        "/ledger/source_summary",
        "/ledger/search?q=stadium",
        "/ledger/source_claims?source=hostile",
        "/ledger/quotations_by_speaker?speaker=",
        "/ledger/fact_side_by_side?subject=Stadium&predicate=seating_capacity",
    ]
    for path in pages:
        r = get(ds, path)
        assert r.status_code == 200, path
        assert not PAYLOAD_RE.search(r.text), (path, PAYLOAD_RE.search(r.text).group())
    hostile = next(c for c in rows if c["subject"].startswith("<script>"))
    page = get(ds, f"/ledger/claims/{hostile['id']}").text
    # shown, escaped, and the span still exact
    assert "&lt;script&gt;alert(" in page
    assert span_mark(page) == hostile["span_text"]
    assert "javascript:alert(&#39;url&#39;)" in page and "not an http(s) address, so not linked" in page
    # a bidi override in the text is shown as its code point and isolated
    source_page = get(ds, f"/ledger/sources/{source_id}").text
    assert 'data-codepoint="U+202E"' in source_page and 'data-codepoint="U+200B"' in source_page
    assert "".join(parse(source_page, "ledger-source-text").container_text) == HOSTILE_TEXT
    # and in the tables' cells too
    table = get(ds, "/ledger/claims?subject=Stadium").text
    assert 'data-codepoint="U+202E"' in table


# ---------------------------------------------------------------- the HTML helpers


@pytest.mark.parametrize(
    "url, linked",
    [
        ("https://example.com/a?b=1", True),
        ("http://example.com", True),
        ("HTTPS://EXAMPLE.COM/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//example.com/a", False),
        ("https://exa mple.com", False),
        ("vbscript:msgbox", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url, linked):
    out = str(plugin.url_html(url))
    assert ("<a href=" in out) is linked
    if url and not linked:
        assert "<script>" not in out


def test_passage_of_a_long_paragraph_is_clipped_but_keeps_the_span_exact():
    text = ("Filler sentence number one. " * 60) + "The span is here. " + ("More words follow after. " * 60)
    start = text.index("The span is here.")
    end = start + len("The span is here.")
    out = str(plugin.passage_html(text, start, end))
    assert len(out) < 1200
    assert out.startswith("\u2026 ") and out.endswith(" \u2026")
    assert span_mark(out) == "The span is here."


def test_annotated_text_handles_overlapping_and_nested_spans():
    text = "abcdefghij"
    spans = [plugin.Numbered(1, "c1", 0, 6, "s", "p", "v", "abcdef"), plugin.Numbered(2, "c2", 3, 9, "s", "p", "v", "defghi"),
             plugin.Numbered(3, "c3", 4, 5, "s", "p", "v", "e")]
    out = parse(str(plugin.annotated_html(text, spans)), None)
    marks = out.marks
    for n, c in enumerate(spans, 1):
        assert "".join(t for a, t in marks if str(n) in a["data-claims"].split()) == c.span_text
    assert [a["data-claims"] for a, t in marks if t == "e"] == ["1 2 3"]


# ---------------------------------------------------------------- status and history


def test_a_retracted_claim_shows_its_status_in_views_and_on_its_page(seed_db):
    claim = stadium(seed_db)
    # through the ledger's write (the facet counts are brought up to date by the write, issue 19)
    result = CliRunner().invoke(
        cli, ["claim", "retract", claim["id"], "--db", str(seed_db), "--reason", "recorded against the wrong <b>article</b>"]
    )
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(seed_db)
    has_status_view = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'claim_status'").fetchone()
    conn.close()
    ds = make_ds(seed_db, immutable=False)
    rows = get(ds, "/ledger/claim_provenance.json?_shape=array&status=retracted").json()
    assert [r["id"] for r in rows] == [claim["id"]]
    facet = get(ds, "/ledger/claim_provenance.json?_facet=status").json()["facet_results"]["status"]["results"]
    assert {f["value"]: f["count"] for f in facet} == {"current": 39, "retracted": 1}
    page = get(ds, f"/ledger/claims/{claim['id']}").text
    assert span_mark(page) == STADIUM_SPAN
    if has_status_view:  # the history feature's views (ledger/history.py)
        assert "<dt>Status</dt><dd>retracted" in page
        assert "recorded against the wrong &lt;b&gt;article&lt;/b&gt;" in page
        assert 'id="claim_history"' in page


def test_annotating_a_source_with_thousands_of_overlapping_claims():
    text = "word " * 20000
    spans = [plugin.Numbered(i + 1, f"c{i}", i * 10, i * 10 + 40, "s", "p", "v", text[i * 10 : i * 10 + 40]) for i in range(5000)]
    out = str(plugin.annotated_html(text, spans))
    marks = parse(out).marks
    assert max(len(a["data-claims"].split()) for a, _ in marks) == 4
    assert "".join(t for a, t in marks if "4321" in a["data-claims"].split()) == spans[4320].span_text


def test_a_superseded_claim_links_to_its_correction(seed_db):
    claim = stadium(seed_db)
    result = CliRunner().invoke(
        cli, ["claim", "supersede", claim["id"], "--db", str(seed_db), "--confidence", "0.9", "--reason", "capacity <figures> vary"]
    )
    assert result.exit_code == 0, result.output
    (new,) = claims(seed_db, "supersedes = ?", [claim["id"]])
    ds = make_ds(seed_db, immutable=False)
    page = get(ds, f"/ledger/claims/{claim['id']}").text
    banner = page[page.index('class="ledger-withdrawn"') :][:600]
    assert "<strong>superseded</strong>" in banner
    assert f'<a href="/ledger/claims/{new["id"]}">{new["id"]}</a>' in banner
    assert "capacity &lt;figures&gt; vary" in banner
    assert span_mark(page) == STADIUM_SPAN
    page = get(ds, f"/ledger/claims/{new['id']}").text
    assert 'class="ledger-withdrawn"' not in page and span_mark(page) == STADIUM_SPAN
    assert "<dt>Status</dt><dd>current" in page


def test_a_visitors_bad_sql_prints_no_traceback_in_the_servers_log(ds, capsys):
    """Found at the lint merge: with ``rich`` installed (import-linter brings it), Datasette printed each
    rejected statement as a rich traceback with its locals (0.9 s of CPU, request details in the log), and
    `ledger serve` behind a pipe stopped answering after a few (test_hardening's write statements)."""
    pytest.importorskip("rich")
    capsys.readouterr()
    for statement in ("delete from claims", "select * from no_such_table", "pragma writable_schema = 1"):
        r = get(ds, "/ledger.json?sql=" + statement.replace(" ", "+"))
        assert r.status_code == 400, statement
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "locals" not in out.out + out.err
