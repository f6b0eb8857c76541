"""`ledger package`: a Docker build directory for a read-only public copy (issue 17)."""

from __future__ import annotations

from pathlib import Path

import click

from ledger.core.errors import LedgerError

ROOT = Path(__file__).resolve().parents[2]


@click.command("package")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--db", "db_path", default="ledger.db", show_default=True, envvar="LEDGER_DB",
              type=click.Path(exists=True, dir_okay=False), help="The ledger database file (env LEDGER_DB)")
@click.option("-m", "--metadata", type=click.Path(exists=True, dir_okay=False), default="metadata.yml",
              show_default=True, help="Datasette metadata for the published copy")
def package(out, db_path, metadata):
    """Write OUT, a Docker build directory that serves a read-only snapshot
    of the ledger with Datasette, the plugin and the metadata (the layout
    `datasette package` builds; no --cors, the ledger's limits).

    Build and run it anywhere Docker runs; start as many replicas of the
    image as you need, they all serve the same immutable file.

    Example:

        ledger package build/site && docker build -t ledger-site build/site
        docker run -p 8001:8001 -e DATASETTE_SECRET=... ledger-site
    """
    from ledger.services.package import docker_directory

    try:
        done = docker_directory(db_path, out, metadata=metadata, project=ROOT)
    except LedgerError as e:
        raise click.ClickException(str(e))
    click.echo(f"wrote {done['directory']}: {done['dockerfile']}, {done['database']} (immutable snapshot), {done['wheel']}")


def register(cli):
    cli.add_command(package)
