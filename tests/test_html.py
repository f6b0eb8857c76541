"""Saved web pages as sources: main text and metadata extracted offline,
the page's hash kept as the snapshot, claims anchored in the extracted text."""

import hashlib
import json
import os
import shutil
import socket
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ledger.formats import html
from ledger.cli import cli
from ledger.store.db import open_db
from ledger.core.errors import InvalidSource
from ledger.services.ingest import ImportFailed, build

PAGES = Path(__file__).parent / "fixtures" / "html"
STADIUM = PAGES / "stadium-opening.html"
BRIDGE = PAGES / "bridge-report.html"
MARCHE = PAGES / "marche-central-cp1252.html"
NOT_ARTICLE = PAGES / "not-articles" / "no-article.html"
STADIUM_SLUG = "new-national-stadium-opens-with-60-000-seats"

# what each composed page carries besides its article: none of it may reach the text
BOILERPLATE = {
    STADIUM: [
        "cookies", "Subscribe for $1 a week", "Zephyr phone", "Holiday packages", "Related articles",
        "Old stadium to be demolished", "80,000", "waste of public money", "Sign up for our newsletter",
        "All rights reserved", "Privacy policy", "Comments (3)",
    ],
    BRIDGE: [
        "Log in", "E-paper", "Lifestyle", "Share on Facebook", "Cheap flights", "Most read", "Rice prices",
        "I will believe it", "500 million", "Advertise with us", "dataLayer", "border:1px",
    ],
    MARCHE: ["Accueil", "Publicité", "Enfin", "Mentions légales"],
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Extraction must work offline: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_extracts_the_article_text_and_leaves_out_navigation_ads_and_comments():
    ex = html.extract(STADIUM.read_bytes(), str(STADIUM))
    assert ex.text.startswith("The national stadium, which has a seating capacity of 60,000, was opened on Tuesday")
    assert ex.text.endswith("Tickets for the June match go on sale on 1 June, the football federation said.")
    assert "“This is a stadium for every citizen,” the minister told" in ex.text
    assert "We have waited a long time for this 🎉" in ex.text
    for junk in BOILERPLATE[STADIUM]:
        assert junk not in ex.text, junk


@pytest.mark.parametrize("page", [BRIDGE, MARCHE])
def test_other_layouts_lose_their_boilerplate_too(page):
    text = html.extract(page.read_bytes(), str(page)).text
    for junk in BOILERPLATE[page]:
        assert junk not in text, junk


def test_extracts_the_metadata():
    ex = html.extract(STADIUM.read_bytes(), str(STADIUM))
    assert ex.title == "New national stadium opens with 60,000 seats"
    assert ex.authors == ["Dara Chan"]
    assert ex.published == "2024-05-14"
    assert ex.site_name == "The Riverside Courier"
    # the canonical link, not og:url with its tracking parameter
    assert ex.canonical_url == "https://courier.example.com/sport/2024/05/14/new-national-stadium-opens"
    assert ex.language == "en"
    assert ex.extractor == "trafilatura" and ex.extractor_version == version("trafilatura")
    assert ex.snapshot_sha256 == hashlib.sha256(STADIUM.read_bytes()).hexdigest()


def test_json_ld_metadata_gives_several_authors():
    ex = html.extract(BRIDGE.read_bytes(), str(BRIDGE))
    assert ex.authors == ["Lina Sok", "Mark Ellis"]
    assert ex.published == "2023-11-02"  # datePublished, not dateModified
    assert ex.site_name == "Mekong Daily"
    assert ex.canonical_url == "https://mekongdaily.example.org/news/river-bridge-2026"


def test_a_page_in_a_legacy_encoding_is_decoded_and_hashed_as_saved():
    data = MARCHE.read_bytes()
    assert "é".encode("cp1252") in data and "é".encode("utf-8") not in data
    ex = html.extract(data, str(MARCHE))
    assert "Le marché central, fermé depuis deux ans pour rénovation" in ex.text
    assert "4,5 millions d’euros" in ex.text
    assert ex.snapshot_sha256 == hashlib.sha256(data).hexdigest()
    assert ex.authors == ["Élodie Martin"]


def test_a_page_without_an_article_is_refused_by_name():
    with pytest.raises(InvalidSource) as e:
        html.extract(NOT_ARTICLE.read_bytes(), "login.html")
    assert str(e.value).startswith("login.html: no article text found (trafilatura extracted only")


def ledger(*args, db="ledger.db"):
    return CliRunner().invoke(cli, [*args[:2], "--db", db, *args[2:]], catch_exceptions=False)


def test_source_add_page_stores_text_sidecar_and_snapshot(seed_db, workdir):
    r = ledger("source", "add", str(STADIUM), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["slug"] == STADIUM_SLUG and out["added"] is True
    text = (workdir / "sources" / f"{STADIUM_SLUG}.txt").read_bytes().decode("utf-8")
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == out["id"]
    assert (workdir / "sources" / f"{STADIUM_SLUG}.html").read_bytes() == STADIUM.read_bytes()
    meta = yaml.safe_load((workdir / "sources" / f"{STADIUM_SLUG}.yml").read_text(encoding="utf-8"))
    # who added it and when: a fresh `ledger build` replays the page as this same history entry
    import sqlite3

    conn = sqlite3.connect(seed_db)
    recorded = conn.execute("SELECT actor, at FROM history WHERE kind = 'source add' ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert (meta.pop("recorded_by"), meta.pop("recorded_at")) == recorded
    assert meta == {
        "title": "New national stadium opens with 60,000 seats",
        "url": "https://courier.example.com/sport/2024/05/14/new-national-stadium-opens",
        "publisher": "The Riverside Courier",
        "published": "2024-05-14",
        "date_basis": html.basis_of_date("meta tag"),
        "retrieved": meta["retrieved"],
        "language": "en",
        "authors": ["Dara Chan"],
        "snapshot_sha256": hashlib.sha256(STADIUM.read_bytes()).hexdigest(),
        "snapshot_type": "text/html",
        "extractor": "trafilatura",
        "extractor_version": version("trafilatura"),
        # where each field came from, which a build reads back into source_field_origins (issue 13)
        "field_origins": {"title": "meta tag", "published": "meta tag", "authors": "meta tag", "publisher": "meta tag"},
        "sha256": out["id"],
    }
    db = open_db(seed_db)
    row = db.execute(
        "SELECT snapshot_sha256, snapshot_type, extractor, extractor_version, text, publisher FROM sources WHERE slug = ?",
        [STADIUM_SLUG],
    ).fetchone()
    assert row == (meta["snapshot_sha256"], "text/html", "trafilatura", version("trafilatura"), text, "The Riverside Courier")
    # a text source's sidecar carries no snapshot fields
    assert "snapshot_sha256" not in (workdir / "sources" / "hun-sen-meets-xi.yml").read_text()
    # adding the same page again adds nothing
    r = ledger("source", "add", str(STADIUM), "--json")
    assert json.loads(r.output)["added"] is False


def test_claims_anchor_in_the_extracted_text_and_not_in_the_boilerplate(seed_db, workdir):
    ledger("source", "add", str(STADIUM))
    r = ledger(
        "claim", "add", STADIUM_SLUG, "--subject", "National stadium", "--predicate", "seating_capacity",
        "--value", "60,000", "--confidence", "0.9", "--quote", '"This is a stadium for every citizen,"', "--json",
        "--paraphrase", "the capacity is given in the sentence after the quote",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    text = (workdir / "sources" / f"{STADIUM_SLUG}.txt").read_text(encoding="utf-8")
    assert out["span_text"] == "“This is a stadium for every citizen,”" == text[out["span_start"] : out["span_end"]]
    assert out["match"] == "normalised"
    # a reader's comment is on the page but not in the article
    r = CliRunner().invoke(
        cli,
        ["claim", "add", STADIUM_SLUG, "--db", "ledger.db", "--subject", "National stadium",
         "--predicate", "seating_capacity", "--value", "80,000", "--confidence", "0.5",
         "--quote", "The stadium really holds 80,000 people"],
    )
    assert r.exit_code == 1
    assert "quote not found in the source text" in r.output
    assert ledger("verify").exit_code == 0


def test_a_directory_of_saved_pages_adds_each(seed_db, workdir):
    pages = workdir / "saved"
    pages.mkdir()
    for p in (STADIUM, BRIDGE, MARCHE):
        shutil.copy(p, pages)
    (pages / "notes.txt").write_text("not a page")
    r = ledger("source", "add", str(pages), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [o["slug"] for o in out] == [
        "river-bridge-to-open-in-2026-ministry-says",
        "le-marche-central-rouvre-ses-portes",
        STADIUM_SLUG,
    ]
    assert [o["file"] for o in out] == [str(pages / n) for n in sorted(os.listdir(pages)) if n.endswith(".html")]
    for o in out:
        assert Path(o["snapshot"]).read_bytes() == (pages / Path(o["file"]).name).read_bytes()


def test_a_directory_with_one_bad_page_writes_nothing(seed_db, workdir):
    pages = workdir / "saved"
    pages.mkdir()
    shutil.copy(STADIUM, pages)
    shutil.copy(NOT_ARTICLE, pages)
    before = sorted(p.name for p in (workdir / "sources").iterdir())
    r = CliRunner().invoke(cli, ["source", "add", str(pages), "--db", "ledger.db"])
    assert r.exit_code == 1
    assert "no-article.html: no article text found" in r.output and "nothing was written" in r.output
    assert sorted(p.name for p in (workdir / "sources").iterdir()) == before
    assert open_db(seed_db).execute("SELECT count(*) FROM sources").fetchone()[0] == 2


def test_per_page_options_are_refused_for_a_directory(seed_db, workdir):
    pages = workdir / "saved"
    pages.mkdir()
    shutil.copy(STADIUM, pages)
    r = CliRunner().invoke(cli, ["source", "add", str(pages), "--db", "ledger.db", "--url", "https://x.example/"])
    assert r.exit_code == 1
    assert "--url describes one page" in r.output


def test_options_given_win_over_the_page_metadata(seed_db, workdir):
    r = ledger(
        "source", "add", str(STADIUM), "--slug", "stadium", "--title", "Stadium opens", "--published", "2024-05-15",
        "--date-basis", "print edition", "--publisher", "Courier", "--author", "A. Editor", "--json",
    )
    assert r.exit_code == 0, r.output
    meta = yaml.safe_load((workdir / "sources" / "stadium.yml").read_text(encoding="utf-8"))
    assert (meta["title"], meta["published"], meta["date_basis"], meta["publisher"], meta["authors"]) == (
        "Stadium opens", "2024-05-15", "print edition", "Courier", ["A. Editor"]
    )
    assert meta["url"] == "https://courier.example.com/sport/2024/05/14/new-national-stadium-opens"


def test_build_reads_html_sources_back_and_checks_the_snapshot(seed_db, workdir):
    ledger("source", "add", str(STADIUM))
    other = open_db(workdir / "rebuilt.db")
    build(other, workdir / "sources", workdir / "claims")
    cols = "id, slug, snapshot_sha256, snapshot_type, extractor, extractor_version, url, published"
    q = f"SELECT {cols} FROM sources ORDER BY slug"
    assert other.execute(q).fetchall() == open_db(seed_db).execute(q).fetchall()
    # the same extractor on the kept bytes gives the same text
    txt = workdir / "sources" / f"{STADIUM_SLUG}.txt"
    assert html.reextract(txt) == txt.read_text(encoding="utf-8")
    # a changed snapshot is caught, by name
    snap = workdir / "sources" / f"{STADIUM_SLUG}.html"
    snap.write_bytes(snap.read_bytes().replace(b"60,000 seats", b"90,000 seats"))
    with pytest.raises(ImportFailed) as e:
        build(open_db(workdir / "third.db"), workdir / "sources", workdir / "claims")
    assert f"{STADIUM_SLUG}.html: the saved page does not match the snapshot_sha256" in str(e.value)


def test_export_files_keeps_the_snapshot_fields(seed_db, workdir):
    ledger("source", "add", str(STADIUM))
    r = CliRunner().invoke(cli, ["export", "--db", "ledger.db", "--format", "files", "--out", "backup"])
    assert r.exit_code == 0, r.output
    meta = yaml.safe_load((workdir / "backup" / "sources" / f"{STADIUM_SLUG}.yml").read_text(encoding="utf-8"))
    assert meta["snapshot_sha256"] == hashlib.sha256(STADIUM.read_bytes()).hexdigest()
    assert meta["extractor_version"] == version("trafilatura")
    plain = (workdir / "backup" / "sources" / "hun-sen-meets-xi.yml").read_text(encoding="utf-8")
    assert "snapshot" not in plain and "extractor" not in plain





def test_real_process_adds_a_page_and_a_claim_in_it(seed_db, workdir):
    import subprocess
    import sys

    ledger_bin = Path(sys.executable).parent / "ledger"
    run = lambda *a: subprocess.run([str(ledger_bin), *a, "--db", str(seed_db)], cwd=workdir,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    proc = run("source", "add", str(BRIDGE), "--json")
    assert proc.returncode == 0, proc.stderr
    slug = json.loads(proc.stdout)["slug"]
    proc = run("claim", "add", slug, "--subject", "River bridge", "--predicate", "loan_amount",
               "--value", "300 million dollars", "--confidence", "0.9",
               "--quote", "a loan of 300 million dollars")
    assert proc.returncode == 0, proc.stderr
    proc = run("claim", "add", slug, "--subject", "River bridge", "--predicate", "loan_amount",
               "--value", "500 million", "--confidence", "0.5", "--quote", "The loan is 500 million, not 300!")
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and "quote not found" in proc.stderr


def test_a_page_with_no_canonical_link_takes_the_browsers_saved_from_mark():
    page = (
        b"<!DOCTYPE html>\n<!-- saved from url=(0040)https://news.example.net/a/river-ferry -->\n"
        + BRIDGE.read_bytes().split(b"\n", 1)[1].replace(b'<link rel="canonical" href="https://mekongdaily.example.org/news/river-bridge-2026">', b"")
    )
    assert b"canonical" not in page
    ex = html.extract(page, "saved.html")
    assert ex.canonical_url == "https://news.example.net/a/river-ferry"


def test_the_page_saved_again_with_a_changed_text_is_a_new_revision(seed_db, workdir):
    first = json.loads(ledger("source", "add", str(STADIUM), "--json").output)
    changed = workdir / "stadium-later.html"
    changed.write_bytes(STADIUM.read_bytes().replace(b"after six years of construction", b"after seven years of work"))
    r = ledger("source", "add", str(changed), "--json")
    assert r.exit_code == 0, r.output
    second = json.loads(r.stdout)
    assert f"{STADIUM_SLUG}@2 is a new revision of {STADIUM_SLUG}: `ledger reanchor" in r.stderr
    assert second["slug"] == f"{STADIUM_SLUG}@2" and second["revision_of"] == STADIUM_SLUG
    assert second["id"] != first["id"]
    assert (workdir / "sources" / f"{STADIUM_SLUG}@2.html").read_bytes() == changed.read_bytes()
    assert (workdir / "sources" / f"{STADIUM_SLUG}.html").read_bytes() == STADIUM.read_bytes()
    db = open_db(seed_db)
    assert db.execute("SELECT kind FROM history ORDER BY id DESC LIMIT 1").fetchone()[0] == "source add"
    assert ledger("verify").exit_code == 0


# ---------------------------------------------------------------- issue 20: metadata and where it came from


def test_each_metadata_field_records_where_it_came_from(seed_db, workdir):
    r = ledger("source", "add", str(STADIUM), "--title", "Stadium opens", "--json")
    assert r.exit_code == 0, r.output
    db = open_db(workdir / "ledger.db")
    got = dict(db.execute("SELECT field, origin FROM source_field_origins WHERE source_id = ?", [json.loads(r.output)["id"]]).fetchall())
    assert got == {"title": "user", "published": "meta tag", "authors": "meta tag", "publisher": "meta tag"}


def test_structured_data_wins_and_its_origin_is_kept():
    ex = html.extract((PAGES / "bridge-report.html").read_bytes(), "bridge-report.html")
    assert (ex.title, ex.published, ex.authors) == ("River bridge to open in 2026, ministry says", "2023-11-02", ["Lina Sok", "Mark Ellis"])
    assert ex.origins["published"] == ex.origins["authors"] == "structured data"


def _page(head: str, body: str) -> bytes:
    text = "<p>" + "The river bridge will open next year, officials said on Monday in the capital. " * 4 + "</p>"
    return f"<html><head>{head}</head><body>{body}<article>{text}</article></body></html>".encode()


def test_malformed_json_ld_costs_only_its_own_block():
    data = _page(
        '<script type="application/ld+json">{"@type": "NewsArticle", oops}</script>'
        '<script type="application/ld+json">//<![CDATA[\n{"@type": "NewsArticle", "headline": "Bridge opens",'
        ' "datePublished": "2023-11-02T09:00:00+07:00", "author": [{"@type": "Person", "name": "Lina Sok"}]}\n//]]></script>',
        "<h1>Bridge opens</h1>",
    )
    ex = html.extract(data, "p.html")
    assert (ex.title, ex.published, ex.authors) == ("Bridge opens", "2023-11-02", ["Lina Sok"])


def test_the_h1_is_the_title_when_the_declared_one_adds_the_site_name():
    data = _page('<meta property="og:title" content="Bridge opens next year | Mekong Daily">', "<h1>Bridge opens next year</h1>")
    ex = html.extract(data, "p.html")
    assert ex.title == "Bridge opens next year" and ex.origins["title"] == "text heuristic"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (["SPIEGEL ONLINE", "Hamburg, Germany"], ["Hamburg", "Germany"]),
        (["JERUSALEM POST STAFF NOVEMBER"], []),
        (["Analysis by Stephen Collinson"], ["Stephen Collinson"]),
        (["Martin Untersinger (avec Damien Leloup et Morgane Tual)"], ["Martin Untersinger", "Damien Leloup", "Morgane Tual"]),
        (["Aleš Vávra před 2 hodinami"], ["Aleš Vávra"]),
        (["By Erin Cunningham", "Username"], ["Erin Cunningham"]),
        (["Jeffrey Gettleman", "JEFFREY GETTLEMAN"], ["Jeffrey Gettleman"]),
        (["Par Alexandre Hervaud et Jérémy Piette"], ["Alexandre Hervaud", "Jérémy Piette"]),
        (["Copyright 2014", "Hosted", "https://example.org/author/x"], []),
    ],
)
def test_authors_are_cleaned(raw, expected):
    from ledger.formats.pagemeta import clean_authors

    assert clean_authors(raw, site_name="Spiegel Online") == expected


def test_the_saved_on_date_is_never_the_publication_date():
    # a page saved later: the newest date on it is the day it was saved; the page states its own date
    data = _page(
        '<meta name="date" content="2015-03-13 20:19:42">',
        "<p>Saved on 21 March 2015.</p><p>Updated March 21, 2015</p>",
    )
    assert html.extract(data, "p.html").published == "2015-03-13"


def test_a_canonical_link_a_malformed_page_puts_in_the_body_is_found():
    data = _page("<title>Bridge</title>", '<link rel="canonical" href="https://news.example.org/bridge">')
    # lxml moves a <link> that follows body content into <body>
    data = data.replace(b"<body>", b"<body><p>x</p>", 1)
    assert html.extract(data, "p.html").canonical_url == "https://news.example.org/bridge"


@pytest.mark.parametrize("name", ["Copyright 2014", "© 2014 Example Media", "Hosted", "2014"])
def test_a_footer_is_not_taken_for_the_publisher(name):
    data = _page(f'<meta property="og:site_name" content="{name}">', "<h1>Bridge opens next year</h1>")
    assert html.extract(data, "p.html").site_name is None
