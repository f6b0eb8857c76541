"""The history as a verifiable log: signed checkpoints and proofs a reader
checks without the database.

- **Leaves.** Entry ``i`` (ids 1, 2, …) is leaf ``i - 1`` of an RFC 6962
  Merkle tree; its leaf data is the entry's canonical form, the bytes whose
  SHA-256 is its entry hash (``history.entry_leaf``). Nothing new is
  stored: the tree is recomputed from the history table, and the linear
  chain, its hashes and every head published from it are unchanged.
- **Checkpoints.** ``ledger checkpoint`` signs the tree head in the C2SP
  ``tlog-checkpoint`` form, as a C2SP ``signed-note`` with an Ed25519 key::

      <origin>
      <tree size>
      <base64 root hash>

      — <key name> <base64(key id || signature)>

  The key id is the first four bytes of SHA-256(key name || 0x0A || 0x01 ||
  public key), as the spec recommends; keys are written in the text forms of
  Go's ``golang.org/x/mod/sumdb/note`` (``PRIVATE+KEY+name+id+key`` and the
  verifier key ``name+id+key``), so tools of that ecosystem read them.
- **Proofs.** ``ledger prove CLAIM`` writes a JSON proof in two steps: the
  claim's row is in its entry (the entry records the RFC 6962 root of its
  rows, ``merkle_root``), and the entry is in the tree of the checkpoint.
  ``check_proof`` needs only the proof, the checkpoint and the verifier key.
- **Consistency.** ``verify --checkpoint OLD`` rebuilds the tree and checks a
  consistency proof from the old tree head to the current one: a history
  cut back or rewritten before OLD was signed fails.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlite_utils import Database

from ledger.core.ids import new_sha256, tagged_sha256
from ledger.store import history
from ledger.core import merkle
from ledger.core.errors import LedgerError
from ledger.core.merkle import ProofError

PROOF_TYPE = "ledger.proof/1"
ALG_ED25519 = b"\x01"
DASH = "\u2014"  # the em dash that starts a signature line


class SigningKeyError(LedgerError):
    """A signing or verifier key that cannot be read."""


class CheckpointError(LedgerError):
    """A checkpoint that cannot be read, or whose signature does not verify."""


# ---------------------------------------------------------------- the tree


def leaves(db: Database, upto: int | None = None) -> list[bytes]:
    """The leaf hash of every entry in id order (the first ``upto`` if given)."""
    sql = "SELECT id, kind, at, actor, reason, body, prev, hash FROM history ORDER BY id"
    out = []
    sha256 = new_sha256
    for id_, kind, at, actor, reason, body, prev, h in db.execute(sql + (f" LIMIT {int(upto)}" if upto is not None else "")):
        # the stored body spliced in, when that gives the bytes of the recorded entry hash (a SHA-256
        # preimage: the entry as sealed); otherwise parsed and written again, as the chain check does
        data = history.entry_leaf_spliced(id_, kind, at, actor, reason, body, prev)
        if data is not None and type(h) is str and h == "sha256:" + sha256(data).hexdigest():
            out.append(sha256(b"\x00" + data).digest())
            continue
        try:
            parsed = json.loads(body)
        except (TypeError, ValueError):
            parsed = {"unreadable body": str(body)}
        out.append(merkle.leaf_hash(history.entry_leaf(id_, kind, at, actor, reason, parsed, prev)))
    return out


def tree_head(db: Database) -> tuple[int, bytes]:
    """(size, root hash) of the whole history."""
    ls = leaves(db)
    return len(ls), merkle.root(ls)


# ---------------------------------------------------------------- keys and signed notes


def _key_id(name: str, public: bytes) -> bytes:
    return new_sha256(name.encode("utf-8") + b"\n" + ALG_ED25519 + public).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise SigningKeyError(f"key name {name!r}: give a non-empty name without spaces or '+', e.g. factcheck.example.org/ledger")


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key: (signer key text, verifier key text)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _check_name(name)
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = _key_id(name, public).hex()
    skey = f"PRIVATE+KEY+{name}+{kid}+{base64.b64encode(ALG_ED25519 + seed).decode()}"
    return skey, verifier_of(skey)


def _read_signer(skey: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    parts = skey.strip().split("+", 4)  # the base64 key may hold "+"
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise SigningKeyError("not a signer key: expected PRIVATE+KEY+<name>+<id>+<key> (write one with `ledger keygen NAME`)")
    name, kid, data = parts[2], parts[3], _b64(parts[4], "the signer key")
    if len(data) != 33 or data[:1] != ALG_ED25519:
        raise SigningKeyError("the signer key is not an Ed25519 key (algorithm byte 0x01 and a 32-byte seed)")
    key = Ed25519PrivateKey.from_private_bytes(data[1:])
    public = _public_bytes(key.public_key())
    if _key_id(name, public).hex() != kid.lower():
        raise SigningKeyError(f"the signer key's id {kid} does not match its name and key: the key text was altered")
    return name, key, public


def _public_bytes(pub) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verifier_of(skey: str) -> str:
    """The verifier key (``name+id+base64(0x01 || public key)``) of a signer key."""
    name, _, public = _read_signer(skey)
    return f"{name}+{_key_id(name, public).hex()}+{base64.b64encode(ALG_ED25519 + public).decode()}"


def _read_verifier(vkey: str) -> tuple[str, bytes, bytes]:
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise SigningKeyError("not a verifier key: expected <name>+<id>+<key>, as `ledger keygen` prints it")
    name, kid, data = parts[0], parts[1], _b64(parts[2], "the verifier key")
    if len(data) != 33 or data[:1] != ALG_ED25519:
        raise SigningKeyError("the verifier key is not an Ed25519 key (algorithm byte 0x01 and a 32-byte key)")
    if _key_id(name, data[1:]).hex() != kid.lower():
        raise SigningKeyError(f"the verifier key's id {kid} does not match its name and key: the key text was altered")
    return name, bytes.fromhex(kid), data[1:]


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{what} is not valid base64") from None


def sign_note(text: str, skey: str) -> str:
    """``text`` (ending in a newline) signed as a C2SP signed note."""
    if not text.endswith("\n") or "\n\n" in text:
        raise CheckpointError("a note's text ends with one newline and holds no blank line")
    name, key, public = _read_signer(skey)
    sig = key.sign(text.encode("utf-8"))
    return f"{text}\n{DASH} {name} {base64.b64encode(_key_id(name, public) + sig).decode()}\n"


def open_note(note: str, vkey: str | None) -> tuple[str, bool]:
    """(text, signature checked) of a signed note. With ``vkey``, its
    signature must be present and verify, else CheckpointError; without
    one, only the form is checked."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise CheckpointError("not a signed note: no blank line between the text and the signatures")
    text, sig_lines = note[: cut + 1], note[cut + 2 :].splitlines()
    sigs = []
    for line in sig_lines:
        bits = line.split(" ")
        if len(bits) != 3 or bits[0] != DASH:
            raise CheckpointError(f"not a signature line: {line[:60]!r} (expected '{DASH} <name> <base64>')")
        try:
            raw = base64.b64decode(bits[2], validate=True)
        except ValueError:
            raise CheckpointError(f"signature of {bits[1]} is not valid base64") from None
        if len(raw) < 5:
            raise CheckpointError(f"signature of {bits[1]} is too short")
        sigs.append((bits[1], raw[:4], raw[4:]))
    if not sigs:
        raise CheckpointError("the note carries no signature")
    if vkey is None:
        return text, False
    name, kid, public = _read_verifier(vkey)
    mine = [s for s in sigs if s[0] == name and s[1] == kid]
    if not mine:
        raise CheckpointError(f"the note is not signed by {name} (key id {kid.hex()}): check the verifier key you were given")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(mine[0][2], text.encode("utf-8"))
    except InvalidSignature:
        raise CheckpointError(f"the signature of {name} does not verify: the checkpoint was altered or forged") from None
    return text, True


# ---------------------------------------------------------------- checkpoints


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str
    signed_by_checked: bool = False


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def make_checkpoint(db: Database, skey: str, origin: str | None = None) -> str:
    """The signed checkpoint of the history as it is now."""
    size, root = tree_head(db)
    name = _read_signer(skey)[0]
    return sign_note(checkpoint_text(origin or name, size, root), skey)


def read_checkpoint(note: str, vkey: str | None = None) -> Checkpoint:
    """Parse (and with ``vkey`` authenticate) a signed checkpoint."""
    text, checked = open_note(note, vkey)
    lines = text.split("\n")  # a note's lines end in "\n" only (str.splitlines would also cut at U+2028, NEL, ...)
    if len(lines) < 4:
        raise CheckpointError("a checkpoint's text is three lines: origin, tree size, base64 root hash")
    origin, size, root = lines[0], lines[1], lines[2]
    if not (size.isascii() and size.isdigit()) or (size != "0" and size.startswith("0")):
        raise CheckpointError(f"the checkpoint's tree size {size!r} is not a decimal number")
    try:
        root_b = base64.b64decode(root, validate=True)
    except ValueError:
        root_b = b""
    if len(root_b) != 32:
        raise CheckpointError("the checkpoint's root hash is not 32 bytes of base64")
    return Checkpoint(origin, int(size), root_b, note, checked)


def is_signed_checkpoint(data: str) -> bool:
    return not data.lstrip().startswith("{")


def check_consistency(db: Database, old: Checkpoint):
    """Yield (item, message) unless the history now extends the tree ``old``
    signed (RFC 9162 consistency proof from its size to now)."""
    ls = leaves(db)
    n = len(ls)
    if old.size > n:
        yield "checkpoint", (
            f"the checkpoint covers {old.size} entries, the history now holds {n}: history was cut back since it was signed"
        )
        return
    if old.size == 0:  # every history extends the empty one; the root of no entries is fixed
        if old.root != merkle.EMPTY_ROOT:
            yield "checkpoint", "the checkpoint covers 0 entries but its root is not the empty tree's: no log signs that"
        return
    try:
        merkle.verify_consistency(old.size, n, merkle.consistency_proof(ls, old.size), old.root, merkle.root(ls))
    except ProofError as e:
        yield "checkpoint", (
            f"the history does not extend the checkpoint's tree of {old.size} entries ({e}): an entry up to "
            f"{old.size} was changed, removed or reordered since it was signed"
        )


# ---------------------------------------------------------------- proofs for one claim


def _row_bytes(db: Database, table: str, columns: list[str], where: str, params) -> list[tuple]:
    history.register_functions(db.conn)
    sql = f"SELECT id, {history.digest_sql(columns, history._types(db, table))} FROM [{table}] WHERE {where} ORDER BY rowid"
    return db.execute(sql, params).fetchall()


def prove_claim(db: Database, ref: str, checkpoint: Checkpoint) -> dict:
    """The JSON proof that claim ``ref`` was recorded in the log of ``checkpoint``."""
    cid = history.resolve_claim_id(db, ref)
    eid = db.execute("SELECT entry_id FROM claims WHERE id = ?", [cid]).fetchone()[0]
    entry = db.execute("SELECT id, kind, at, actor, reason, body, prev FROM history WHERE id = ?", [eid]).fetchone()
    if entry is None:
        raise ProofError(f"claim {cid} names history entry {eid}, which does not exist (run `ledger verify`)")
    body = json.loads(entry[5])
    spec = body.get("claims") or {}
    columns = spec.get("columns")
    if not columns:
        raise ProofError(f"entry {eid} records no claims rows: run `ledger verify`")
    rows = _row_bytes(db, "claims", columns, "entry_id = ?", [eid])
    ids = [r[0] for r in rows]
    index = ids.index(cid)
    row_leaves = [merkle.leaf_hash(r[1]) for r in rows]
    within: dict = {"index": index, "count": len(rows)}
    if spec.get("merkle_root"):
        within["path"] = [base64.b64encode(h).decode() for h in merkle.inclusion_proof(row_leaves, index)]
    else:  # an entry written before rows had a Merkle root: its rows are proved together
        within["rows"] = [r[1].decode("utf-8") for r in rows]
    if checkpoint.size < eid:
        raise ProofError(
            f"claim {cid} was recorded in entry {eid}, after the checkpoint's {checkpoint.size} entries: "
            "make a newer checkpoint (`ledger checkpoint`)"
        )
    held = db.execute("SELECT count(*) FROM history").fetchone()[0]
    if checkpoint.size > held:
        raise ProofError(
            f"the checkpoint covers {checkpoint.size} entries, this ledger's history holds {held}: "
            "it is not a checkpoint of this ledger, or its history was cut back (run `ledger verify --checkpoint`)"
        )
    ls = leaves(db, checkpoint.size)
    if merkle.root(ls) != checkpoint.root:
        raise ProofError("this ledger's history does not give the checkpoint's root: run `ledger verify --checkpoint`")
    row = rows[index][1].decode("utf-8")
    return {
        "type": PROOF_TYPE,
        "claim": cid,
        "table": "claims",
        "columns": columns,
        "row": row,
        "row_in_entry": within,
        "entry": {k: v for k, v in zip(("id", "kind", "at", "actor", "reason", "body", "prev"), (*entry[:5], body, entry[6]))},
        "leaf_index": eid - 1,
        "tree_size": checkpoint.size,
        "inclusion": [base64.b64encode(h).decode() for h in merkle.inclusion_proof(ls, eid - 1)],
        "checkpoint": checkpoint.note,
    }


def check_proof(proof: dict, checkpoint: Checkpoint) -> dict:
    """Check a proof from ``prove_claim`` against a checkpoint; raise ProofError
    saying which step fails. Needs no database."""
    try:
        if proof.get("type") != PROOF_TYPE:
            raise ProofError(f"not a ledger proof (type {proof.get('type')!r}, expected {PROOF_TYPE})")
        within = proof["row_in_entry"]
        for name, n in (("leaf_index", proof["leaf_index"]), ("tree_size", proof["tree_size"]), ("entry id", proof["entry"]["id"]),
                        ("row index", within["index"]), ("row count", within["count"])):
            if type(n) is not int:  # JSON true/false or 2.0 would pass for 1, 0 or 2
                raise ProofError(f"the proof's {name} is {n!r}, not an integer")
        if not 0 <= within["index"] < within["count"]:
            raise ProofError(f"the row index {within['index']} is not below the entry's {within['count']} rows")
        row = proof["row"].encode("utf-8")
        values = json.loads(proof["row"])
        columns = proof["columns"]
        named = dict(zip([c.split(":")[0] for c in columns], values))
        if named.get("id") != proof["claim"]:
            raise ProofError(f"the row proved is claim {named.get('id')}, not {proof['claim']}")
        e = proof["entry"]
        spec = e["body"].get(proof["table"]) or {}
        if spec.get("columns") != columns:
            raise ProofError("the entry records other columns for its rows than the proof uses")
        if within["count"] != spec.get("count"):
            raise ProofError(f"the entry records {spec.get('count')} rows, the proof {within['count']}")
        if "path" in within:
            merkle.verify_inclusion(
                within["index"], within["count"], merkle.leaf_hash(row), [base64.b64decode(p) for p in within["path"]],
                bytes.fromhex(str(spec.get("merkle_root", "")).removeprefix("sha256:")),
            )
        else:
            rows = within["rows"]
            if len(rows) != within["count"] or rows[within["index"]] != proof["row"]:
                raise ProofError("the row is not among the entry's rows at the index given")
            digest = tagged_sha256("".join(r + "\n" for r in rows).encode("utf-8"))
            if digest != spec.get("sha256"):
                raise ProofError("the entry's rows do not hash to what the entry records")
        leaf_data = history.entry_leaf(e["id"], e["kind"], e["at"], e["actor"], e["reason"], e["body"], e["prev"])
        if proof["leaf_index"] != e["id"] - 1:
            raise ProofError(f"entry {e['id']} is leaf {e['id'] - 1}, not {proof['leaf_index']}")
        if proof["tree_size"] != checkpoint.size:
            raise ProofError(f"the proof is for a tree of {proof['tree_size']} entries, the checkpoint's has {checkpoint.size}")
        merkle.verify_inclusion(
            proof["leaf_index"], checkpoint.size, merkle.leaf_hash(leaf_data),
            [base64.b64decode(p) for p in proof["inclusion"]], checkpoint.root,
        )
    except ProofError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise ProofError(f"the proof is malformed ({type(err).__name__}: {err})") from None
    return {
        "claim": proof["claim"],
        "entry": e["id"],
        "entry_hash": history.sha256_tagged(leaf_data),
        "tree_size": checkpoint.size,
        "origin": checkpoint.origin,
        "signature_checked": checkpoint.signed_by_checked,
        "row": named,
    }


# ---------------------------------------------------------------- kept checkpoints and the claim page


def record_checkpoint(db: Database, note: str) -> None:
    """Keep a checkpoint made by this ledger (call inside a write transaction)."""
    cp = read_checkpoint(note)
    db.execute(
        "INSERT INTO checkpoints (origin, size, root, note) VALUES (?, ?, ?, ?)",
        [cp.origin, cp.size, base64.b64encode(cp.root).decode(), note],
    )


def claim_proof(db: Database, claim_id: str) -> dict | None:
    """For the claim page: the claim's inclusion proof against the latest kept
    checkpoint that covers it, checked here as ``ledger check-proof`` would
    (the signature is not checked: the page has no verifier key). None when
    no checkpoint covers the claim."""
    try:
        eid = db.execute("SELECT entry_id FROM claims WHERE id = ?", [claim_id]).fetchone()
        row = db.execute(
            "SELECT note FROM checkpoints WHERE size >= ? ORDER BY id DESC LIMIT 1", [eid[0] if eid else 0]
        ).fetchone()
    except Exception:  # noqa: BLE001 (no checkpoints table: an older ledger)
        return None
    if row is None or eid is None:
        return None
    cp = read_checkpoint(row[0])
    out = {"checkpoint": row[0], "size": cp.size, "origin": cp.origin, "entry": eid[0]}
    try:
        proof = prove_claim(db, claim_id, cp)
        check_proof(proof, cp)
    except LedgerError as e:
        return {**out, "ok": False, "error": str(e)}
    return {**out, "ok": True, "inclusion": proof["inclusion"], "row_path": proof["row_in_entry"].get("path") or [],
            "row_index": proof["row_in_entry"]["index"], "rows": proof["row_in_entry"]["count"]}
