"""ledger.core.ids, the one home of canonical JSON and SHA-256 (issue 19): the forms every stored id and hash
depends on, re-derived here with hashlib and json so that a change to them cannot pass unnoticed."""

import hashlib
import json

import pytest

from ledger.core import ids
from ledger.services.claimreview import IDENTITY, review_id
from ledger.store.history import canonical_json as history_json
from ledger.store.writer import claim_id


def test_canonical_json_sorts_keys_compacts_and_keeps_utf8():
    assert ids.canonical_json({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'


def test_history_bodies_refuse_floats_anywhere():
    with pytest.raises(TypeError, match="integers only"):
        history_json({"t": {"n": [1, 2.5]}})
    assert history_json({"n": 3}) == '{"n":3}'


def test_a_claim_id_is_c_and_16_hex_digits_of_its_identity():
    row = {"source_id": "ab" * 32, "subject": "Stadium", "predicate": "capacity", "value": "60,000",
           "span_start": 3, "span_end": 9, "confidence": 0.9}
    ident = {k: row.get(k) for k in ("source_id", "subject", "predicate", "value", "span_start", "span_end",
                                      "speaker", "as_of", "valid_from", "valid_to")}
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert claim_id(row) == "c" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    # a correction is its own claim
    assert claim_id({**row, "supersedes": "c0"}) != claim_id(row)
    # the encoder made once for claim ids writes what canonical_json writes, for every kind of value a row
    # read back from the file may hold (verify recomputes ids from stored rows)
    odd = ["", "é \u2028\x00\x1f\"\\/", "\U0001f600", 0, -1, 2**70, 1.5, 1e300, -0.0, float("nan"),
           float("inf"), True, False, None, [1, "x"], {"k": 1}]
    for i, v in enumerate(odd):
        r = {**row, "value": v, "span_start": odd[-i - 1], "supersedes": v if i % 2 else None}
        ident = {k: r.get(k) for k in ("source_id", "subject", "predicate", "value", "span_start", "span_end",
                                        "speaker", "as_of", "valid_from", "valid_to")}
        if r["supersedes"]:
            ident["supersedes"] = r["supersedes"]
        assert claim_id(r) == ids.short_id("c", ident) == "c" + ids.sha256_text(ids.canonical_json(ident))[:16]
    with pytest.raises(TypeError):
        claim_id({**row, "value": b"bytes"})


def test_a_review_id_is_r_and_16_hex_digits_of_its_identity():
    row = {"subject": "Stadium", "predicate": "capacity", "value": "60,000", "rating": "True", "claim_id": "c1"}
    text = json.dumps({k: row.get(k) for k in IDENTITY}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert review_id(row) == "r" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def test_digests_bare_tagged_and_streamed_agree(tmp_path):
    data = "Phnom Penh – 60 000".encode("utf-8")
    bare = hashlib.sha256(data).hexdigest()
    assert ids.sha256_hex(data) == bare
    assert ids.sha256_text("Phnom Penh – 60 000") == bare
    assert ids.tagged_sha256(data) == "sha256:" + bare
    assert ids.tag(bare.upper()) == "sha256:" + bare and ids.tag("sha256:" + bare) == "sha256:" + bare
    path = tmp_path / "f.bin"
    path.write_bytes(data * 1000)
    assert ids.file_sha256(path, chunk=7) == hashlib.sha256(data * 1000).hexdigest()


def test_a_fact_id_joins_topic_and_discriminator_with_a_unit_separator():
    assert ids.fact_id("stadium", "capacity") == "f" + hashlib.sha256(b"stadium\x1fcapacity").hexdigest()[:16]


def test_a_source_slug_and_a_merkle_leaf_keep_their_forms():
    from ledger.core import merkle, slugs

    text = "Phnom Penh – 60 000"
    assert slugs.slugify("???") == "source-" + hashlib.sha256(b"???").hexdigest()[: slugs.HASH_LENGTH]
    assert slugs.slugify(text) == "phnom-penh-60-000"
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.root([]) == hashlib.sha256(b"").digest()
