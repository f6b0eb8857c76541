"""Merkle trees as Certificate Transparency defines them (RFC 6962, RFC 9162 section 2.1).

The history's entries are the leaves of one such tree, in entry order: the
leaf hash of an entry is ``SHA-256(0x00 || data)`` over the bytes whose
SHA-256 is its entry hash, and an inner node is ``SHA-256(0x01 || left ||
right)``. The tree head (size, root hash) is what ``ledger checkpoint``
signs. An **inclusion proof** shows that one entry is in the tree of a given
head, with about log2(n) hashes; a **consistency proof** shows that the
tree of one head is a prefix of the tree of a later one, so that the log was
only appended to. Both verifiers follow RFC 9162 sections 2.1.3.2 and
2.1.4.2 step by step and need nothing but ``hashlib``: anyone can check a
proof without the database (``ledger check-proof``; docs/integrity.md shows
the same check in a few lines of JavaScript).

Tested against the transparency-dev test vectors (tests/fixtures/rfc6962).
"""

from __future__ import annotations

from ledger.core.ids import new_sha256

from ledger.core.errors import LedgerError

EMPTY_ROOT = new_sha256(b"").digest()


class ProofError(LedgerError):
    """A Merkle proof that does not check out against the tree head given."""


def leaf_hash(data: bytes) -> bytes:
    return new_sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return new_sha256(b"\x01" + left + right).digest()


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes. Level by level: pair neighbours and
    carry an odd last node up unchanged, which gives RFC 6962's tree (the left
    subtree holds the largest power of two below n)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha = new_sha256
    while len(level) > 1:
        nxt = [sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) (RFC 9162 2.1.3.1): the sibling hashes from the leaf up."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ProofError(f"leaf {index} is not in a tree of {n} leaves")
    path = []
    level, i = list(leaves), index
    sha = new_sha256
    while len(level) > 1:
        sib = i ^ 1
        if sib < len(level):
            path.append(level[sib])
        nxt = [sha(b"\x01" + level[j] + level[j + 1]).digest() for j in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level, i = nxt, i >> 1
    return path


def consistency_proof(leaves: list[bytes], size1: int) -> list[bytes]:
    """PROOF(size1, D[n]) (RFC 9162 2.1.4.1): that the first ``size1`` leaves
    make a prefix of the tree of all ``leaves``."""
    n = len(leaves)
    if not 0 <= size1 <= n:
        raise ProofError(f"a tree of {size1} leaves is not a prefix of one of {n}")
    if size1 == 0 or size1 == n:  # nothing to prove (the verifier wants no proof for these)
        return []
    return _subproof(leaves, size1, 0, n, True)


def _subproof(leaves, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [root(leaves[lo:hi])]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, lo, lo + k, whole) + [root(leaves[lo + k : hi])]
    return _subproof(leaves, m - k, lo + k, hi, False) + [root(leaves[lo : lo + k])]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root_hash: bytes) -> None:
    """Raise ProofError unless ``proof`` shows leaf hash ``leaf`` at ``index``
    in the tree of ``size`` leaves with root ``root_hash`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    _check_hashes([leaf, root_hash, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    if r != root_hash:
        raise ProofError(f"the proof leads to root {r.hex()}, not the tree head's {root_hash.hex()}")


def verify_consistency(size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ProofError unless ``proof`` shows the tree (size1, root1) is a
    prefix of the tree (size2, root2) (RFC 9162 2.1.4.2)."""
    if size2 < size1:
        raise ProofError(f"the later tree ({size2} entries) is smaller than the earlier one ({size1}): the log was cut back")
    if size1 == 0:  # as upstream: every log extends the empty one, there is nothing to prove
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("trees of the same size need an empty proof")
        if root1 != root2:
            raise ProofError(f"same size {size1}, different roots {root1.hex()} and {root2.hex()}: the log was rewritten")
        return
    _check_hashes([root1, root2, *proof])
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    if fr != root1:
        raise ProofError(f"the proof does not lead to the earlier root {root1.hex()}: the log was rewritten")
    if sr != root2:
        raise ProofError(f"the proof does not lead to the later root {root2.hex()}: the log was rewritten")


def _check_hashes(hashes) -> None:
    for h in hashes:
        if not isinstance(h, (bytes, bytearray)) or len(h) != 32:
            raise ProofError("every hash in a proof is 32 bytes (SHA-256)")
