"""Source revisions and `ledger reanchor` on edited versions of the seed articles."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store.db import open_db
from ledger.services.ingest import ImportFailed, build
from ledger.services.revisions import place, revision_sort_key, split_slug

from _cli import q, run

HUN = "hun-sen-meets-xi"
SOK = "sokhonn-plans-china-trip"
URL = "https://m.phnompenhpost.com/politics/hun-sen-meets-chinese-president-xi-to-strengthen-ironclad-friendship"
DELETED = (
    "He will also hold separate meetings with Wang Huning, chairman of the National Committee of the Chinese "
    "People's Political Consultative Conference (CPPCC), and Zhao Leji, chairman of the Standing Committee of the "
    "National People's Congress (NPCSC).\n\n"
)


def js(result):
    return json.loads(result.stdout)


def edited(workdir, slug, *edits, prepend="") -> Path:
    text = (workdir / "sources" / f"{slug}.txt").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = workdir / f"{slug}-refetched.txt"
    path.write_bytes((prepend + text).encode("utf-8"))
    return path


def claim_of(db_path, quote_start: str) -> str:
    rows = q(db_path, "SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id WHERE s.slug = ? AND c.quote LIKE ?",
             [HUN, quote_start + "%"])
    assert len(rows) == 1, rows
    return rows[0][0]


def test_a_changed_text_for_the_same_slug_is_a_new_revision(seed_db, workdir):
    original = (workdir / "sources" / f"{HUN}.txt").read_bytes()
    new = edited(workdir, HUN, prepend="PHNOM PENH - ")
    out = js(run("source", "add", new, "--db", seed_db, "--slug", HUN, "--json"))
    assert out["slug"] == f"{HUN}@2" and out["revision_of"] == HUN and out["added"]
    assert (workdir / "sources" / f"{HUN}.txt").read_bytes() == original  # never overwritten
    assert (workdir / "sources" / f"{HUN}@2.txt").read_bytes() == new.read_bytes()
    assert q(seed_db, "SELECT slug, document, revision FROM sources WHERE document = ? ORDER BY revision", [HUN]) == [
        (HUN, HUN, 1), (f"{HUN}@2", HUN, 2)
    ]
    # the same text again is already held
    again = js(run("source", "add", new, "--db", seed_db, "--slug", HUN, "--json"))
    assert again["added"] is False and again["slug"] == f"{HUN}@2"


def test_a_changed_text_for_a_known_url_is_a_new_revision(seed_db, workdir):
    new = edited(workdir, HUN, prepend="UPDATED: ")
    out = js(run("source", "add", new, "--db", seed_db, "--url", URL, "--json"))
    assert out["slug"] == f"{HUN}@2"


def test_build_refuses_a_source_file_edited_in_place(seed_db, workdir):
    path = workdir / "sources" / f"{HUN}.txt"
    path.write_bytes(b"PHNOM PENH - " + path.read_bytes())
    (workdir / "sources" / f"{HUN}.yml").write_text(
        (workdir / "sources" / f"{HUN}.yml").read_text().split("sha256:")[0], encoding="utf-8"
    )
    db = open_db(seed_db)
    with pytest.raises(ImportFailed, match=f"a changed text is a new revision.*{HUN}@2"):
        build(db, "sources", "claims")


def test_build_adds_revisions_in_order(workdir):
    base = (workdir / "sources" / f"{HUN}.txt").read_text(encoding="utf-8")
    for n in range(2, 12):
        (workdir / "sources" / f"{HUN}@{n}.txt").write_text(f"revision {n}\n" + base, encoding="utf-8")
    db = open_db(workdir / "l.db")
    build(db, "sources", "claims")
    revs = [r[0] for r in db.execute("SELECT revision FROM sources WHERE document = ? ORDER BY rowid", [HUN])]
    assert revs == list(range(1, 12))
    assert revision_sort_key(Path(f"{HUN}@10.txt")) > revision_sort_key(Path(f"{HUN}@9.txt"))
    assert split_slug(f"{HUN}@10") == (HUN, 10) and split_slug(HUN) == (HUN, 1)


def test_a_revision_out_of_order_is_refused(workdir):
    (workdir / "sources" / f"{HUN}@3.txt").write_text("a third text\n", encoding="utf-8")
    db = open_db(workdir / "l.db")
    with pytest.raises(ImportFailed, match=f"add {HUN}@2 first"):
        build(db, "sources", "claims")


def test_reanchor_on_an_edited_article_moves_exact_fuzzy_and_orphans(seed_db, workdir):
    """Words inserted before every quote, one sentence reworded, one number
    changed, one paragraph (four claims' passage) deleted."""
    new = edited(
        workdir,
        HUN,
        ("The trip is being made at the invitation of", "The trip is made at the invitation of"),
        ("will conclude on December 4", "will conclude on December 6"),
        (DELETED, ""),
        prepend="PHNOM PENH (Dec 2) - ",
    )
    run("source", "add", new, "--db", seed_db, "--slug", HUN)
    reworded = claim_of(seed_db, "The trip is being made")
    renumbered = claim_of(seed_db, "will conclude on December 4")
    deleted = {claim_of(seed_db, p) for p in ("Wang Huning, chairman", "Zhao Leji", "He will also hold", "separate meetings")}
    total = q(seed_db, "SELECT count(*) FROM claims c JOIN sources s ON s.id = c.source_id WHERE s.slug = ?", [HUN])[0][0]

    dry = js(run("reanchor", HUN, "--db", seed_db, "--dry-run", "--json"))
    assert (dry["moved_exact"], dry["moved_fuzzy"], dry["orphaned"]) == (total - 6, 1, 5)
    assert q(seed_db, "SELECT count(*) FROM claim_events") == [(0,)]

    out = js(run("reanchor", HUN, "--db", seed_db, "--json"))
    assert (out["moved_exact"], out["moved_fuzzy"], out["orphaned"]) == (total - 6, 1, 5)
    by_id = {c["claim_id"]: c for c in out["claims"]}
    assert by_id[reworded]["outcome"] == "fuzzy" and 90 <= by_id[reworded]["score"] < 100
    assert by_id[reworded]["new_text"] == "The trip is made at the invitation of the Communist Party of China (CPC)"
    assert by_id[renumbered]["outcome"] == "orphaned" and "numbers changed" in by_id[renumbered]["reason"]
    assert {c for c, v in by_id.items() if v["outcome"] == "orphaned"} == deleted | {renumbered}
    # every exact move keeps the very characters
    for c in out["claims"]:
        if c["outcome"] == "exact":
            assert c["new_text"] == c["span_text"] and c["start"] != c["old_start"]
    # statuses: moved claims superseded by their copy on @2, orphans marked, nothing deleted
    status = dict(q(seed_db, "SELECT claim_id, status FROM claim_status"))
    assert all(status[c] == "orphaned" for c in deleted | {renumbered})
    assert status[reworded] == "superseded"
    new_id = by_id[reworded]["new_claim_id"]
    assert status[new_id] == "current"
    method, score = q(seed_db, "SELECT method, score FROM claim_events WHERE claim_id = ?", [reworded])[0]
    assert method == "reanchor-fuzzy" and score == by_id[reworded]["score"]
    on_new = q(seed_db, "SELECT count(*) FROM current_claims c JOIN sources s ON s.id = c.source_id WHERE s.slug = ?", [f"{HUN}@2"])
    assert on_new == [(total - 5,)]
    assert run("verify", "--db", seed_db).exit_code == 0
    # the files carry it: claims on @2 and the events
    assert list((workdir / "claims" / f"{HUN}@2").glob("*.yml"))
    events = [line for f in (workdir / "history" / "events").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert len(events) == total
    # a second run has nothing left to carry
    again = js(run("reanchor", HUN, "--db", seed_db, "--json"))
    assert (again["moved_exact"], again["moved_fuzzy"], again["orphaned"]) == (0, 0, 0)


def test_reanchor_report_shows_counts_and_scores(seed_db, workdir):
    new = edited(workdir, SOK, ("a seating capacity of 60,000", "a seating capacity of 70,000"), prepend="Updated. ")
    run("source", "add", new, "--db", seed_db, "--slug", SOK)
    out = run("reanchor", SOK, "--db", seed_db).output
    total = q(seed_db, "SELECT count(*) FROM claims c JOIN sources s ON s.id = c.source_id WHERE s.slug = ?", [SOK])[0][0]
    assert f"{SOK}@2: moved {total - 1} exactly, 0 fuzzily; 1 orphaned (for review)" in out
    assert "numbers changed (60,000 -> 70,000)" in out


def test_a_short_quote_needs_its_context_to_move_exactly():
    old = "The minister met Wang in Beijing on Monday to discuss trade."
    new = "A new story entirely. Wang said nothing about the visit to anyone at all."
    s = old.index("Wang")
    claim = {"id": "c1", "span_text": "Wang", "span_start": s, "span_end": s + 4, "prefix": old[:s][-32:],
             "suffix": old[s + 4 :][:32], "value": "Wang"}
    p = place(claim, old, new)
    assert p.outcome == "orphaned" and "context" in p.reason
    # with its context intact it moves exactly
    p2 = place(claim, old, "Breaking. " + old)
    assert (p2.outcome, p2.start) == ("exact", s + 10)


def test_fuzzy_refuses_a_negation():
    old = "The ministry said the visit will strengthen ties between the two nations this year."
    new = "The ministry said the visit will not strengthen ties between the two nations this year."
    span = old[4:]
    claim = {"id": "c1", "span_text": span, "span_start": 4, "span_end": len(old), "prefix": old[:4], "suffix": "",
             "value": "strengthen ties"}
    p = place(claim, old, new)
    assert p.outcome == "orphaned" and "negation" in p.reason and p.score >= 90


def test_reanchor_needs_a_second_revision(seed_db):
    out = run("reanchor", HUN, "--db", seed_db, ok=False)
    assert out.exit_code == 1 and "one revision only" in out.output


ARTICLE = (Path(__file__).resolve().parent.parent / "sources" / f"{SOK}.txt").read_text(encoding="utf-8")
QUOTES = ["a seating capacity of 60,000", "Chinese State Councilor and foreign minister Wang Yi",
          "according to the foreign ministry's press statement on November 30"]


def _claim_for(quote):
    from ledger.core.anchor import locate

    sp = locate(ARTICLE, quote)
    return {"id": "c", "span_text": sp.text, "span_start": sp.start, "span_end": sp.end, "prefix": sp.prefix,
            "suffix": sp.suffix, "value": ""}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(QUOTES),
    st.lists(st.tuples(st.integers(0, len(ARTICLE)), st.sampled_from([" Indeed,", " (updated)", "\n\nMore: ", " today"])),
             max_size=6),
)
def test_words_inserted_outside_a_quote_never_move_it_fuzzily(quote, inserts):
    """Property: edits that leave the passage and its near context alone move
    the claim exactly, onto the very same characters."""
    claim = _claim_for(quote)
    s, e = claim["span_start"], claim["span_end"]
    text = ARTICLE
    for pos, words in sorted(inserts, reverse=True):
        if s - 40 <= pos <= e + 40:
            continue
        text = text[:pos] + words + text[pos:]
    p = place(claim, ARTICLE, text)
    assert p.outcome == "exact"
    assert text[p.start : p.end] == claim["span_text"]


def test_a_claim_its_new_revision_no_longer_supports_is_orphaned_not_a_failed_reanchor(seed_db, workdir):
    """audit6: a claim dated by a relative word ("yesterday") is supported on the first revision; on a
    revision published a day later the same words give another date. reanchor stopped with "the value ...
    is not supported by its span" (dry run too), so no claim of the article could be carried over; the
    claim is now orphaned with that reason, and the others move."""
    first = workdir / "town.txt"
    first.write_text("The mayor said yesterday that the bridge has 12 lanes and cost 40 million dollars.\n", encoding="utf-8")
    run("source", "add", first, "--db", seed_db, "--slug", "town", "--published", "2024-05-04", "--title", "Town")
    dated = js(run("claim", "add", "town", "--db", seed_db, "--subject", "Mayor statement", "--predicate", "date",
                   "--value", "2024-05-03", "--quote", "said yesterday", "--confidence", "0.9", "--json"))["id"]
    lanes = js(run("claim", "add", "town", "--db", seed_db, "--subject", "the bridge", "--predicate", "lanes",
                   "--value", "12", "--quote", "the bridge has 12 lanes", "--confidence", "0.9", "--json"))["id"]
    second = workdir / "town2.txt"
    second.write_text("Updated. " + first.read_text(encoding="utf-8"), encoding="utf-8")
    run("source", "add", second, "--db", seed_db, "--slug", "town", "--published", "2024-05-05", "--title", "Town")
    for extra in (["--dry-run"], []):
        out = js(run("reanchor", "town", "--db", seed_db, "--json", *extra))
        by_id = {c["claim_id"]: c for c in out["claims"]}
        assert by_id[lanes]["outcome"] == "exact"
        assert by_id[dated]["outcome"] == "orphaned" and "not supported" in by_id[dated]["reason"], by_id[dated]
    status = dict(q(seed_db, "SELECT claim_id, status FROM claim_status"))
    assert status[dated] == "orphaned" and status[lanes] == "superseded"
    assert run("verify", "--db", seed_db, "--files", workdir).exit_code == 0
