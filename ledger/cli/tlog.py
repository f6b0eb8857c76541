"""Commands for the verifiable log: a signing key, signed checkpoints, and
proofs for one claim that a reader checks without the database. The work is
done in ledger/services/tlog.py (ledger/store/tlog.py); these parse options and print."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ledger import open_db
from ledger.services import tlog
from ledger.cli.options import db_option, emit_json, json_option, note, user_errors
from ledger.core.errors import LedgerError


def _read_text(path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise click.ClickException(f"{path}: cannot read the {what} ({e})") from None


def vkey_option(fn):
    return click.option(
        "--vkey", envvar="LEDGER_VKEY", metavar="VKEY",
        help="The log's verifier key (name+id+key, or a file holding it; env LEDGER_VKEY): check the checkpoint's signature",
    )(fn)


def read_vkey(vkey: str | None) -> str | None:
    if vkey and "+" not in vkey and Path(vkey).is_file():
        return _read_text(vkey, "verifier key").strip()
    return vkey


def load_checkpoint(path, vkey: str | None) -> tlog.Checkpoint:
    """A signed checkpoint file, authenticated with ``vkey`` when given."""
    try:
        return tlog.read_checkpoint(_read_text(path, "checkpoint"), read_vkey(vkey))
    except LedgerError as e:
        raise click.ClickException(f"{path}: {e}") from None


@click.command("keygen")
@click.argument("name")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the signer (private) key; the verifier key goes to OUT.pub")
def keygen(name, out_path):
    """Make an Ed25519 key to sign checkpoints with. NAME names the log,
    e.g. factcheck.example.org/ledger. Keep OUT secret; publish the
    verifier key it prints (also written to OUT.pub) where readers find it.

    Example: ledger keygen factcheck.example.org/ledger --out ~/.ledger/signing.key
    """
    out = Path(out_path)
    pub = Path(str(out) + ".pub")
    for p in (out, pub):
        if p.exists():
            raise click.ClickException(f"{p} exists: a new key would replace the one readers know; choose another --out")
    with user_errors():
        skey, vkey = tlog.generate_key(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(skey + "\n")
    pub.write_text(vkey + "\n", encoding="utf-8")
    click.echo(vkey)


@click.command("checkpoint")
@db_option
@click.option("--key", "key_path", required=True, envvar="LEDGER_SIGNING_KEY", type=click.Path(exists=True, dir_okay=False),
              help="The signer key file from `ledger keygen` (env LEDGER_SIGNING_KEY)")
@click.option("--origin", help="The log's name on the checkpoint's first line (default: the key's name)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Also write the checkpoint to this file")
def checkpoint(db_path, key_path, origin, out_path):
    """Sign the history's tree head (entry count and Merkle root) as a C2SP
    checkpoint, keep it in the ledger (each claim page shows its proof
    against it) and print it. Publish it: with it anyone can check a claim's
    proof (`ledger check-proof`) and confirm later that the history only
    grew (`ledger verify --checkpoint FILE`).

    Example: ledger checkpoint --key ~/.ledger/signing.key --out checkpoints/2026-12-07.txt
    """
    skey = _read_text(key_path, "signer key")
    with user_errors():
        db = open_db(db_path, create=False)
        text = tlog.sign_checkpoint(db, skey, origin)  # kept for the claim pages; adds no history entry
    if out_path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_text(text, encoding="utf-8")
    click.echo(text, nl=False)


@click.command("prove")
@db_option
@click.argument("claim_id", metavar="CLAIM")
@click.option("--checkpoint", "cp_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The published checkpoint to prove against (`ledger checkpoint --out`)")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write the proof to this file instead of stdout")
def prove(db_path, claim_id, cp_path, out_path):
    """Print a proof (JSON) that claim CLAIM was recorded in the log the
    checkpoint signs: the claim's row, the path from it to its history
    entry's root, and the path from that entry to the checkpoint's root.
    Anyone can check it with `ledger check-proof`, without the database.

    Example: ledger prove c3f1a2b4c5d6e7f8 --checkpoint checkpoints/2026-12-07.txt --out c3f1.proof.json
    """
    cp = load_checkpoint(cp_path, None)
    with user_errors():
        db = open_db(db_path, create=False)
        proof = tlog.prove_claim(db, claim_id, cp)
    text = json.dumps(proof, indent=2, ensure_ascii=False) + "\n"
    if out_path:
        Path(out_path).write_text(text, encoding="utf-8")
        note(f"wrote the proof for {proof['claim']} (entry {proof['entry']['id']} of {proof['tree_size']}) to {out_path}")
    else:
        click.echo(text, nl=False)


@click.command("check-proof")
@click.argument("proof_path", metavar="PROOF", type=click.Path(exists=True, dir_okay=False))
@click.option("--checkpoint", "cp_path", type=click.Path(exists=True, dir_okay=False),
              help="The checkpoint you trust (default: the one inside the proof)")
@vkey_option
@json_option
def check_proof(proof_path, cp_path, vkey, as_json):
    """Check a claim's proof from `ledger prove` against a checkpoint,
    without the database: exit 0 and the claim's recorded fields when it
    holds, else exit 5 and the step that fails. Give --vkey to check the
    checkpoint's signature (without it, only the proof's arithmetic is
    checked, against whatever checkpoint you hold).

    Example: ledger check-proof c3f1.proof.json --vkey factcheck.example.org/ledger+1a2b3c4d+AW…
    """
    try:
        proof = json.loads(_read_text(proof_path, "proof"))
    except ValueError as e:
        raise click.ClickException(f"{proof_path}: not a JSON proof ({e})") from None
    if cp_path:
        cp = load_checkpoint(cp_path, vkey)
    else:
        if not isinstance(proof, dict) or not isinstance(proof.get("checkpoint"), str):
            raise click.ClickException(f"{proof_path}: the proof carries no checkpoint; give --checkpoint FILE")
        try:
            cp = tlog.read_checkpoint(proof["checkpoint"], read_vkey(vkey))
        except LedgerError as e:
            raise click.ClickException(f"{proof_path}: its checkpoint: {e}") from None
    try:
        result = tlog.check_proof(proof if isinstance(proof, dict) else {}, cp)
    except tlog.ProofError as e:
        if as_json:
            emit_json({"ok": False, "error": str(e)})
        else:
            click.echo(f"proof fails: {e}", err=True)
        raise SystemExit(5)
    if as_json:
        emit_json({"ok": True, **result})
        return
    r = result["row"]
    click.echo(f"claim {result['claim']} is entry {result['entry']} of the {result['tree_size']}-entry log {result['origin']}")
    click.echo(f"  {r.get('subject')} / {r.get('predicate')} = {r.get('value')}")
    if not result["signature_checked"]:
        note("the checkpoint's signature was not checked: give --vkey with the log's published verifier key")


def register(cli):
    cli.add_command(keygen)
    cli.add_command(checkpoint)
    cli.add_command(prove)
    cli.add_command(check_proof)
