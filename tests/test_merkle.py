"""ledger/merkle.py against the RFC 6962 test vectors of transparency-dev/merkle
(tests/fixtures/rfc6962/SOURCE.md), and proofs as properties."""

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import merkle

VECTORS = json.loads((Path(__file__).parent / "fixtures" / "rfc6962" / "vectors.json").read_text())


def b64(s):
    return base64.b64decode(s) if s is not None else None


def test_reference_tree_roots():
    ref = VECTORS["reference_tree"]
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in ref["leaf_inputs_hex"]]
    for n, want in enumerate(ref["root_hashes_hex"]):
        assert merkle.root(leaves[:n]).hex() == want, n


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: c["file"])
def test_inclusion_vectors(case):
    proof = [b64(p) for p in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof, b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: c["file"])
def test_consistency_vectors(case):
    proof = [b64(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, b64(case["root1"]), b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_generated_proofs_match_the_vectors():
    """Our proofs for the reference tree are the upstream happy-path proofs, hash for hash."""
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in VECTORS["reference_tree"]["leaf_inputs_hex"]]
    seen = 0
    for case in VECTORS["inclusion"]:
        if case["desc"] == "happy path" and case["treeSize"] <= 8 and b64(case["leafHash"]) == leaves[case["leafIdx"]]:
            got = merkle.inclusion_proof(leaves[: case["treeSize"]], case["leafIdx"])
            assert got == [b64(p) for p in case["proof"] or []], case["file"]
            seen += 1
    for case in VECTORS["consistency"]:
        if case["desc"] == "happy path" and case["size2"] <= 8:
            got = merkle.consistency_proof(leaves[: case["size2"]], case["size1"])
            assert got == [b64(p) for p in case["proof"] or []], case["file"]
            seen += 1
    assert seen >= 10


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 70), data=st.data())
def test_every_leaf_proves_and_every_prefix_is_consistent(n, data):
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    head = merkle.root(leaves)
    i = data.draw(st.integers(0, n - 1))
    merkle.verify_inclusion(i, n, leaves[i], merkle.inclusion_proof(leaves, i), head)
    m = data.draw(st.integers(1, n))
    old = merkle.root(leaves[:m])
    merkle.verify_consistency(m, n, merkle.consistency_proof(leaves, m), old, head)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2, 40), data=st.data())
def test_any_single_changed_removed_or_reordered_entry_fails_its_proof(n, data):
    """The property of issue 15: change, remove or reorder one entry of the log and
    the proofs made from the log as it was no longer check against its head."""
    entries = [f"entry {i}".encode() for i in range(n)]
    leaves = [merkle.leaf_hash(e) for e in entries]
    head = merkle.root(leaves)
    how = data.draw(st.sampled_from(["change", "remove", "reorder"]))
    i = data.draw(st.integers(0, n - 1))
    tampered = list(entries)
    if how == "change":
        tampered[i] = tampered[i] + b"!"
    elif how == "remove":
        del tampered[i]
    else:
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        tampered[i], tampered[j] = tampered[j], tampered[i]
    t_leaves = [merkle.leaf_hash(e) for e in tampered]
    # the tampered log's own proof for position i does not check against the published head
    k = min(i, len(tampered) - 1)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(k, n, t_leaves[k], merkle.inclusion_proof(t_leaves + [b"\0" * 32] * (n - len(t_leaves)), k), head)
    # nor does the tampered log extend the published head (a shorter one was cut back)
    t_head = merkle.root(t_leaves)
    proof = merkle.consistency_proof(t_leaves, n) if len(t_leaves) >= n else []
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(n, len(t_leaves), proof, head, t_head)


def test_proof_size_is_logarithmic():
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(1000)]
    assert max(len(merkle.inclusion_proof(leaves, i)) for i in range(0, 1000, 37)) <= 10
    assert len(merkle.consistency_proof(leaves, 333)) <= 2 * 10
