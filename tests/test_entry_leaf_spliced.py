"""The chain check and the Merkle leaves splice an entry's stored body text
into its canonical form instead of parsing and writing it again (issue 15:
a checkpoint over 1M entries). The spliced bytes must be exactly what
``entry_leaf`` writes, for any entry a ledger can hold."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.store import history
from ledger.store import tlog
from ledger.store.db import open_db

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
scalar = st.one_of(st.none(), text)
body = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
).map(lambda b: {"claims": b})


@settings(max_examples=1000, deadline=None)
@given(st.integers(1, 2**40), text, scalar, scalar, scalar, body, scalar)
def test_spliced_leaf_is_the_canonical_leaf(id_, kind, at, actor, reason, b, prev):
    spliced = history.entry_leaf_spliced(id_, kind, at, actor, reason, history.canonical_json(b), prev)
    assert spliced == history.entry_leaf(id_, kind, at, actor, reason, b, prev)


def test_a_field_of_another_type_takes_the_slow_path():
    assert history.entry_leaf_spliced(1, b"build", None, None, None, "{}", None) is None
    assert history.entry_leaf_spliced(1, "build", 1.5, None, None, "{}", None) is None
    assert history.entry_leaf_spliced(1, "build", None, None, None, b"{}", None) is None


def test_leaves_of_a_rewritten_body_are_those_of_the_parsed_body(seed_db):
    """A body whose text was rewritten (spaces added) no longer gives its
    entry's recorded hash: its leaf is computed from the parsed body, as
    before the splice (the chain check reports the body)."""
    db = open_db(seed_db, create=False)
    before = tlog.leaves(db)
    body = db.execute("SELECT body FROM history WHERE id = 1").fetchone()[0]
    db.close()
    from test_verify import tamper

    tamper(seed_db, ("UPDATE history SET body = ? WHERE id = 1", [json.dumps(json.loads(body), sort_keys=True, indent=1)]))
    db = open_db(seed_db, create=False)
    assert tlog.leaves(db) == before
    breaks = history.read_chain(db)[0]
    assert any("not canonical" in message for _, message in breaks)
