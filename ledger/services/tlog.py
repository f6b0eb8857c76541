"""The verifiable log as use cases: signing keys, signed checkpoints (kept in the ledger for the claim pages),
proofs for one claim that a reader checks without the database. The work is in ``ledger.store.tlog``."""

from __future__ import annotations

from ledger.store import tlog
from ledger.store.db import write
from ledger.store.tlog import (  # noqa: F401  (the names the command line uses)
    Checkpoint, ProofError, check_proof, generate_key, is_signed_checkpoint, prove_claim, read_checkpoint,
)


def sign_checkpoint(db, skey: str, origin: str | None = None) -> str:
    """Sign the history's tree head as a C2SP checkpoint and keep it in the ledger (each claim page shows its
    proof against it); returns the checkpoint's text. A write with no history entry: a checkpoint adds no
    ledger row."""
    with write(db):
        text = tlog.make_checkpoint(db, skey, origin)
        tlog.record_checkpoint(db, text)
    return text
