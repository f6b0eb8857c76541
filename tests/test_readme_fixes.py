"""The newcomer's findings fixed in issue 17: `verify --head` given the README's
placeholder or a shortened hash says so (no false tamper alarm), supersede and
retract name themselves when the claim id is wrong, `extract --accept` does not
print the whole YAML."""

from __future__ import annotations

import pytest

from _cli import q, run


def test_verify_head_with_the_readmes_placeholder_is_a_usage_error_not_tampering(seed_db):
    result = run("verify", "--db", seed_db, "--head", "sha256:…", ok=False)
    assert result.exit_code == 2
    assert "is not a whole head hash" in result.output and "ledger head" in result.output
    assert "rewritten" not in result.output


@pytest.mark.parametrize("form", ["sha256:{short}", "{short}", "{short}…", "sha256:{short}..."])
def test_verify_head_with_a_shortened_hash_says_it_is_shortened(seed_db, form):
    [(head,)] = q(seed_db, "SELECT hash FROM history ORDER BY id DESC LIMIT 1")
    short = head.removeprefix("sha256:")[:16]
    given = form.format(short=short, h=head)
    result = run("verify", "--db", seed_db, "--head", given, ok=False)
    assert result.exit_code == 2
    assert f"Invalid value for '--head': {given!r} is not a whole head hash" in result.output
    assert "64 hex digits" in result.output


@pytest.mark.parametrize("form", ["{h}", "{bare}", "{upper}"])
def test_verify_head_accepts_the_whole_hash_with_or_without_its_prefix(seed_db, form):
    [(head,)] = q(seed_db, "SELECT hash FROM history ORDER BY id DESC LIMIT 1")
    bare = head.removeprefix("sha256:")
    result = run("verify", "--db", seed_db, "--head", form.format(h=head, bare=bare, upper=bare.upper()))
    assert "all hold" in result.output


@pytest.mark.parametrize("command", [["claim", "retract"], ["claim", "supersede", "--value", "70,000"]])
def test_supersede_and_retract_name_themselves_for_an_unknown_claim(seed_db, command):
    result = run(*command[:2], "--db", seed_db, "cffffffffffffffff", "--reason", "test", *command[2:], ok=False)
    assert result.exit_code == 1
    assert f"`ledger {' '.join(command[:2])}` needs an id from the claims table" in result.output
    assert "claim history" not in result.output


def test_extract_accept_records_without_printing_the_yaml(seed_db):
    before = q(seed_db, "SELECT count(*) FROM claims")[0][0]
    result = run("extract", "hun-sen-meets-xi", "--db", seed_db, "--accept")
    assert "- subject:" not in result.stdout and "claims:" not in result.stdout
    assert "recorded" in result.output and "as current (origin: ledger extract)" in result.output
    assert q(seed_db, "SELECT count(*) FROM claims")[0][0] > before
