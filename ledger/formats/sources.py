"""Source documents: a text file stored byte-exact plus a YAML sidecar.

``sources/<slug>.txt`` holds the text exactly as it was received (read as
bytes, decoded as strict UTF-8, never re-encoded or newline-translated);
``sources/<slug>.yml`` holds its provenance. The SHA-256 of the UTF-8 bytes
is the source's identity.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ledger.core.codec import decode, dump_sidecar, load_yaml
from ledger.core.codec import decode_source_text as decode_text
from ledger.core.errors import InvalidSource
from ledger.core.fields import InvalidField, calendar_date, http_url, one_line
from ledger.core.ids import sha256_hex
from ledger.core.ids import sha256_text  # noqa: F401 (core/extract.py imports it from here)

# the Source value and its fields are core/source.py's (issue 19), still named here
from ledger.core.source import META_FIELDS, ORIGIN_FIELDS, SLUG_RE, SNAPSHOT_FIELDS, Source  # noqa: F401


def slugify(text: str) -> str:
    """A readable ASCII slug for a title in any script (``ledger.core.slugs``)."""
    from ledger.core.slugs import slugify as _slugify

    return _slugify(text)


def check_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise InvalidSource(
            f"source slug {slug!r} must be lowercase letters, digits and hyphens (e.g. {slugify(slug)!r})"
        )
    return slug


def _iso_date(value, field_name: str, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
        if re.match(r"^\d{4}(-\d{2})?$", value.strip()) and calendar_date(value):  # issue 14: 2024-13 is no month
            return value.strip()
    raise InvalidSource(f"{where}: `{field_name}` {value!r} is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY)")


def check_fields(where: str, **fields) -> None:
    """issue 14: ``url`` a one-line http(s) URL; ``title``, ``publisher`` (and ``originator``) one line each."""
    try:
        for name, value in fields.items():
            if value is None:
                continue
            if not isinstance(value, str):
                raise InvalidField(f"`{name}` must be text, not {type(value).__name__} {value!r}")
            http_url(value, name) if name == "url" else one_line(value, name)
    except InvalidField as e:
        raise InvalidSource(f"{where}: {e}") from None


_TEXT_FIELDS = ("date_basis", "language", "recorded_at", "recorded_by", *SNAPSHOT_FIELDS)


def _text_fields(where: str, authors, **fields) -> None:
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise InvalidSource(
            f"{where}: `authors` must be text or a list of texts, not {authors!r}; put a name YAML reads as a "
            "number or a date in quotes"
        )
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise InvalidSource(
                f"{where}: `{name}` must be text, not {type(value).__name__} {value!r} (YAML read it so); put it "
                "in quotes as written"
            )


def _iso_time(value, where: str) -> str | None:
    if value is None:
        return None
    from ledger.formats.claimfile import iso_timestamp

    parsed = iso_timestamp(value)
    if parsed is None:
        raise InvalidSource(f"{where}: `retrieved` {value!r} is not an ISO 8601 time")
    return parsed


def read_source(txt_path: Path) -> Source:
    """Read ``<slug>.txt`` and its ``<slug>.yml`` sidecar; check the recorded hash."""
    txt_path = Path(txt_path)
    meta_path = txt_path.with_suffix(".yml")
    text = decode_text(txt_path.read_bytes(), str(txt_path))
    if not text.strip():
        raise InvalidSource(
            f"{txt_path}: the text is empty (`ledger source add` refuses an empty text too); "
            "put the source's text in it, or remove it and its sidecar"
        )
    meta = {}
    if meta_path.exists():
        # the claim files' strict loader: no aliases (an alias bomb in `authors` hung
        # `ledger build`), no duplicate keys, no tags; invalid UTF-8 named by line
        from ledger.core.errors import InvalidClaimFile

        try:
            meta = load_yaml(decode(meta_path.read_bytes(), str(meta_path)), str(meta_path)) or {}
        except InvalidClaimFile as e:
            raise InvalidSource(str(e)) from None
        if not isinstance(meta, dict):
            raise InvalidSource(f"{meta_path}: must be a mapping of metadata fields")
    unknown = set(meta) - set(META_FIELDS)
    if unknown:
        raise InvalidSource(f"{meta_path}: unknown field(s) {sorted(unknown)}; allowed: {', '.join(META_FIELDS)}")
    where = str(meta_path)
    check_fields(where, url=meta.get("url"), title=meta.get("title"), publisher=meta.get("publisher"),
                 originator=meta.get("originator"))
    authors = meta.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    # the other text fields as written: YAML 1.1 reads `012`, `10:30`, `1.10`, `0x1F` or a bare timestamp as
    # a number or a time, which str() would store changed (10, 630, 1.1, 31); refused like title and url
    _text_fields(where, authors=authors, **{k: meta.get(k) for k in _TEXT_FIELDS})
    source = Source(
        slug=check_slug(txt_path.stem),
        text=text,
        title=meta.get("title"),
        url=meta.get("url"),
        publisher=meta.get("publisher"),
        published=_iso_date(meta.get("published"), "published", where),
        date_basis=meta.get("date_basis"),
        retrieved=_iso_time(meta.get("retrieved"), where),
        language=meta.get("language"),
        authors=[str(a) for a in authors],
        path=txt_path.as_posix(),
        **{k: None if meta.get(k) is None else str(meta[k]) for k in SNAPSHOT_FIELDS},
        recorded_at=None if meta.get("recorded_at") is None else str(meta["recorded_at"]),
        recorded_by=None if meta.get("recorded_by") is None else str(meta["recorded_by"]),
        field_origins=_field_origins(meta.get("field_origins"), where),
        captures=_captures(meta.get("captures"), where),
        originator=(meta.get("originator") or "").strip() or None,
    )
    if source.snapshot_sha256:
        check_snapshot(txt_path, source.snapshot_sha256)
    recorded = meta.get("sha256")
    if recorded and recorded != source.id:
        raise InvalidSource(
            f"{txt_path}: text does not match the sha256 in {meta_path.name} "
            f"(recorded {recorded[:12]}…, text hashes to {source.id[:12]}…); a source text is never edited in "
            "place: restore it, or add the new text as a new source"
        )
    return source


def _field_origins(value, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        k in ORIGIN_FIELDS and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise InvalidSource(
            f"{where}: `field_origins` must map fields ({', '.join(ORIGIN_FIELDS)}) to where each came from "
            f"(text), not {value!r}"
        )
    return {str(k): str(v) for k, v in value.items()}


def _captures(value, where: str) -> list | None:
    if value is None:
        return None
    ok = isinstance(value, list) and all(
        isinstance(c, dict) and set(c) == {"file", "url"} and isinstance(c["file"], str)
        and isinstance(c["url"], str) and c["file"] and "/" not in c["file"] and "\\" not in c["file"]
        and not c["file"].startswith(".")
        for c in value
    )
    if not ok:
        raise InvalidSource(
            f"{where}: `captures` must be a list of `file` (a capture file's name beside the text) and `url` "
            f"(the response the text is from), not {value!r}"
        )
    return [{"file": c["file"], "url": c["url"]} for c in value]


def snapshot_path(txt_path: str | Path) -> Path:
    """Where a source's HTML snapshot is kept: beside its text, same slug."""
    return Path(txt_path).with_suffix(".html")


def check_snapshot(txt_path: str | Path, recorded: str | None) -> None:
    """If the snapshot file is there, its bytes must hash to the recorded sha256."""
    snap = snapshot_path(txt_path)
    if not recorded or not snap.exists():
        return
    actual = sha256_hex(snap.read_bytes())
    if actual != recorded:
        raise InvalidSource(
            f"{snap}: the saved page does not match the snapshot_sha256 in its sidecar "
            f"(recorded {recorded[:12]}…, file hashes to {actual[:12]}…); a snapshot is never edited: restore it"
        )


def iter_source_files(directory: Path):
    """The ``*.txt`` entries of a sources directory, sorted for a deterministic build: every entry, so that
    a FIFO, a device or a directory named so is refused by name (``ledger.formats.plainfile``), not skipped."""
    directory = Path(directory)
    if not directory.exists():
        return []
    return sorted(directory.glob("*.txt"))


def write_source(source: Source, directory: Path, data: bytes) -> Path:
    """Store the exact bytes and the sidecar; refuse to overwrite a different text.

    Each file is written whole (``ledger.core.atomic``): the sidecar first, then the text, so the text's
    appearance is the last step and a text written here always has its complete sidecar beside it. A
    kill -9 can at most leave a sidecar without its text, which `ledger build` ignores (it reads texts)
    and the next `ledger source add` replaces."""
    from ledger.core.atomic import write_atomic

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    txt = directory / f"{source.slug}.txt"
    meta = directory / f"{source.slug}.yml"
    held = txt.exists()
    if held and txt.read_bytes() != data:
        raise InvalidSource(
            f"{txt} already holds a different text; choose another --slug (a source file is never overwritten)"
        )
    write_atomic(meta, sidecar_bytes(source))
    if not held:
        write_atomic(txt, data)
    source.path = txt.as_posix()
    return txt


def sidecar_bytes(source: Source) -> bytes:
    """The sidecar YAML of ``source``."""
    return dump_sidecar(source.metadata())


def make_source(
    data: bytes,
    *,
    where: str,
    slug: str,
    url=None,
    publisher=None,
    published=None,
    date_basis=None,
    title=None,
    retrieved=None,
    language=None,
    authors=(),
) -> Source:
    """A Source from raw bytes and command-line metadata, validated."""
    text = decode_text(data, where)
    if not text.strip():
        raise InvalidSource(f"{where}: the text is empty")
    check_fields(where, url=url, title=title, publisher=publisher)
    return Source(
        slug=check_slug(slug),
        text=text,
        title=title,
        url=url,
        publisher=publisher,
        published=_iso_date(published, "published", where),
        date_basis=date_basis,
        retrieved=_iso_time(retrieved, where)
        or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        language=language,
        authors=list(authors),
    )
