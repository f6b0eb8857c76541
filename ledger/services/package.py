"""Putting the ledger online: a Docker build directory made with Datasette's
own tooling (the directory ``datasette package`` and ``datasette publish``
build from), holding one immutable, verified snapshot of the ledger, the
metadata, and this package installed from a wheel so the plugin's pages and
templates are there.

What differs from a plain ``datasette package``, and why (PITFALLS.md,
"Letting someone in"): ``--cors`` is removed from the command Datasette
writes, and the ledger's settings (time limit, row limit, downloads on) are
passed to ``datasette serve``. The snapshot is opened immutable (``-i``) and
inspected at build time, so every replica started from the image serves the
same bytes; a new snapshot is a new image (see docs/publishing.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ledger.core.errors import LedgerError
from ledger.services.publish import DATABASE_NAME, settings, snapshot


class PackageError(LedgerError):
    """The Docker build directory could not be written."""


def _setting_options() -> str:
    parts = []
    for name, value in settings().items():
        if isinstance(value, bool):
            value = "on" if value else "off"
        parts += ["--setting", name, str(value)]
    return " ".join(parts)


def build_wheel(project: Path, out: Path) -> Path:
    """This package as a wheel (``pip wheel --no-deps``, offline)."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(project)],
        capture_output=True,
        text=True,
    )
    wheels = sorted(out.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise PackageError(f"could not build a wheel of {project}: {done.stderr.strip()[-500:]}")
    return wheels[-1]


def docker_directory(db_path: str | Path, out: str | Path, *, metadata: str | Path | None, project: str | Path,
                     secret: str | None = None, tag_note: str | None = None) -> dict:
    """Write a Docker build directory for a read-only public copy of the
    ledger to ``out`` (which must not exist): Dockerfile, the snapshot
    ``ledger.db``, ``metadata.json`` and the wheel. Returns what it wrote."""
    from datasette.utils import temporary_docker_directory

    out = Path(out)
    if out.exists():
        raise PackageError(f"{out} already exists: give a new directory (nothing is overwritten)")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        snap = snapshot(db_path, scratch)
        wheel = build_wheel(Path(project), scratch / "wheels")
        meta = None
        if metadata:
            meta = scratch / "metadata.yml"
            shutil.copy(metadata, meta)
        with temporary_docker_directory(
            files=[str(snap)],
            name=DATABASE_NAME,
            metadata=meta.open("rb") if meta else None,
            extra_options=_setting_options(),
            branch=None,
            template_dir=None,
            plugins_dir=None,
            static=[],
            install=[f"wheels/{wheel.name}"],
            spatialite=False,
            version_note=tag_note,
            secret=secret or "",
        ) as build_dir:
            build_dir = Path(build_dir)
            (build_dir / "wheels").mkdir()
            shutil.copy(wheel, build_dir / "wheels" / wheel.name)
            dockerfile = (build_dir / "Dockerfile").read_text()
            # no CORS on a public ledger (PITFALLS.md): Datasette's publish always adds it
            dockerfile = dockerfile.replace(" --cors ", " ")
            if not secret:
                # never bake a secret into an image: it is given at run time (docker run -e DATASETTE_SECRET=...)
                dockerfile = "\n".join(line for line in dockerfile.splitlines() if not line.startswith("ENV DATASETTE_SECRET"))
            (build_dir / "Dockerfile").write_text(dockerfile + "\n")
            shutil.copytree(build_dir, out)
    return {"directory": str(out), "database": f"{DATABASE_NAME}.db", "wheel": f"wheels/{wheel.name}",
            "dockerfile": "Dockerfile"}
