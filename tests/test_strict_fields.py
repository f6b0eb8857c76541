"""Issue 14: real calendar dates, one-line http(s) URLs, one-line names, and
user text shown escaped in `ledger log`."""

from __future__ import annotations

import re

import pytest

from ledger.formats.claimfile import parse_string
from ledger.core.errors import InvalidClaim
from ledger.core.fields import calendar_date, escaped

from _cli import q, run

SEED = "sokhonn-plans-china-trip"


@pytest.fixture
def article(tmp_path):
    f = tmp_path / "article.txt"
    f.write_text("The stadium opened with a seating capacity of 50,000.\n", encoding="utf-8")
    return f


def source_add(db, article, *extra):
    return run("source", "add", article, "--db", db, "--sources", article.parent / "sources", *extra, ok=False)


def nothing_written(db, article):
    return not db.exists() or q(db, "SELECT count(*) FROM sources") == [(0,)]


@pytest.mark.parametrize("published", ["2024-13", "2024-00", "2024-02-30", "2024-1", "24-01-01"])
def test_published_must_be_a_real_calendar_date(tmp_path, article, published):
    db = tmp_path / "l.db"
    result = source_add(db, article, "--published", published)
    assert result.exit_code == 1
    assert f"`published` {published!r} is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)" in result.output
    assert nothing_written(db, article)


@pytest.mark.parametrize("published", ["2024", "2024-02", "2024-02-29"])
def test_years_months_and_days_that_exist_are_dates(published):
    assert calendar_date(published) == published


@pytest.mark.parametrize(
    "url, problem",
    [
        ("https://example.com/a\n<script>alert(1)</script>", "holds a space, line break or control character"),
        ("https://example.com/a b", "holds a space, line break or control character"),
        ("javascript:alert(1)", "must be an http(s) URL with a host"),
        ("ftp://example.com/a", "must be an http(s) URL with a host"),
        ("https:///nohost", "must be an http(s) URL with a host"),
    ],
)
def test_url_must_be_one_line_http_or_https(tmp_path, article, url, problem):
    db = tmp_path / "l.db"
    result = source_add(db, article, "--url", url)
    assert result.exit_code == 1
    assert problem in result.output
    assert "\n<script>" not in result.output  # the URL is shown escaped
    assert nothing_written(db, article)


@pytest.mark.parametrize("field", ["--title", "--publisher"])
def test_source_title_and_publisher_are_one_line(tmp_path, article, field):
    db = tmp_path / "l.db"
    result = source_add(db, article, field, "Post\n  1 claim add  forged")
    assert result.exit_code == 1
    assert "holds a line break (\\n) at character 4" in result.output
    assert nothing_written(db, article)


@pytest.mark.parametrize("field", ["subject", "speaker", "recorded_by"])
@pytest.mark.parametrize("bad, named", [("A\nB", "a line break (\\n)"), ("A\x1b[31mB", "an escape character (\\x1b")])
def test_claim_one_line_fields_refuse_newlines_and_control_characters(field, bad, named):
    text = "- source: s\n  subject: x\n  predicate: said\n  value: v\n  quote: q\n  confidence: 0.5\n"
    text = text.replace("  subject: x\n", "") + f'  {field}: "{bad.encode("unicode_escape").decode()}"\n'
    if field != "subject":
        text += "  subject: x\n"
    with pytest.raises(InvalidClaim, match=rf"`{field}` '.*' holds {re.escape(named)}") as e:
        parse_string(text, path="c.yml")
    assert "\n" not in str(e.value) and "\x1b" not in str(e.value)  # the message shows the text escaped


def test_claim_add_refuses_a_subject_with_a_newline_and_writes_nothing(seed_db, workdir):
    before = (workdir / "claims" / f"{SEED}.yml").read_bytes()
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Stadium\n    2  claim add  forged", "--predicate",
        "seating_capacity", "--value", "60,000", "--quote", "a seating capacity of 60,000", "--confidence", "0.9",
        ok=False,
    )
    assert result.exit_code == 1
    assert "`subject` 'Stadium\\n    2  claim add  forged' holds a line break (\\n) at character 7" in result.output
    assert (workdir / "claims" / f"{SEED}.yml").read_bytes() == before


def test_recorded_by_from_the_environment_is_one_line(seed_db, workdir):
    env = {"LEDGER_RECORDED_BY": "eve\n   99  build       admin"}
    result = run(
        "claim", "add", SEED, "--db", seed_db, "--subject", "Morodok Techo National Stadium", "--predicate",
        "capacity", "--value", "60,000", "--quote", "a seating capacity of 60,000", "--confidence", "0.9",
        env=env, ok=False,
    )
    assert result.exit_code == 1
    assert "`recorded_by` 'eve\\n   99  build       admin' holds a line break" in result.output
    cid = q(seed_db, "SELECT id FROM claims LIMIT 1")[0][0]
    result = run("claim", "retract", cid, "--db", seed_db, "--reason", "test", env=env, ok=False)
    assert result.exit_code == 2
    assert "holds a line break" in result.output
    assert q(seed_db, "SELECT count(*) FROM claim_events") == [(0,)]


def test_ledger_log_shows_user_text_escaped(seed_db):
    cid = q(seed_db, "SELECT id FROM claims LIMIT 1")[0][0]
    run("claim", "retract", cid, "--db", seed_db, "--reason", "wrong\n    1  build  \x1b[2Jforged")
    out = run("log", "--db", seed_db).output
    assert "why: wrong\\n    1  build  \\x1b[2Jforged" in out
    assert "\x1b" not in out
    assert len(out.splitlines()) == 2 * len(q(seed_db, "SELECT id FROM history"))


def test_escaped_leaves_printable_text_alone_and_escapes_bidi_overrides():
    assert escaped("Prak Sokhonn \u2019s") == "Prak Sokhonn \u2019s"
    assert escaped("a\u202eb\u2028c") == "a\\u202eb\\u2028c"
