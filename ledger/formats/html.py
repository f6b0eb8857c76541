"""Saved web pages as sources: the article's main text and metadata, extracted
with trafilatura, offline.

The ledger's source text is the *extracted* text (claims anchor in it, and
its SHA-256 is the source id, as for any source). The page it came from is
kept too: its exact bytes are saved beside the text as ``sources/<slug>.html``
and their SHA-256 is recorded as the source's ``snapshot_sha256``, with the
extractor's name and version, so anyone can re-run the same extractor on the
same bytes and get the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from ledger.core.errors import InvalidSource
from ledger.core.ids import sha256_hex
from ledger.formats.sources import Source, make_source, slugify

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
EXTRACTOR = "trafilatura"
SNAPSHOT_TYPE = "text/html"
# Below this many characters of main text a page is taken to hold no article
# (a login page, an index): trafilatura then returns navigation leftovers.
MIN_TEXT_CHARS = 100
# Fixed extraction options: changing them changes the text, so they are part
# of what "extractor version" means here.
OPTIONS = {
    "include_comments": False,  # reader comments are not the article
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "deduplicate": False,
    "with_metadata": True,
    "favor_precision": False,
    "favor_recall": False,
}
DATE_BASIS = f"extracted from the page by {EXTRACTOR} (htmldate: the page's metadata, else its visible dates)"
# how the publication date is known, by where it came from (ledger/pagemeta.py)
DATE_BASES = {
    "structured data": "stated in the page's structured data (JSON-LD or microdata datePublished)",
    "meta tag": "stated in the page's meta tags (article:published_time or the like)",
    "text heuristic": f"found in the page's text (its byline, else {EXTRACTOR}/htmldate's earliest date; never the day it was saved)",
}


def basis_of_date(origin: str | None) -> str:
    return DATE_BASES.get(origin or "", DATE_BASIS)


@dataclass
class Extracted:
    """What a saved page gave: main text, metadata and the snapshot's identity."""

    text: str
    title: str | None
    authors: list[str]
    published: str | None
    site_name: str | None
    canonical_url: str | None
    language: str | None
    snapshot_sha256: str
    extractor: str
    extractor_version: str
    # where each metadata field came from (ledger/pagemeta.py): structured data, meta tag, text heuristic
    origins: dict = field(default_factory=dict)


def extractor_version() -> str:
    return version(EXTRACTOR)


def is_html(path: str | Path) -> bool:
    return Path(path).suffix.lower() in HTML_SUFFIXES


def extract(data: bytes, where: str = "<html>", url: str | None = None) -> Extracted:
    """Extract a page's main text and metadata; raise InvalidSource naming
    ``where`` when the page holds no article text."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(data)
    if tree is None:
        raise InvalidSource(f"{where}: not an HTML document trafilatura can parse")
    # htmldate asked for the original date: its default, the newest date on the page, is often the day it was saved
    doc = trafilatura.bare_extraction(data, url=url, date_extraction_params={"original_date": True, "extensive_search": True}, **OPTIONS)
    text = (doc.text if doc is not None else "") or ""
    text = text.strip()
    if len(text) < MIN_TEXT_CHARS:
        found = f"only {len(text)} characters ({text[:60]!r})" if text else "nothing"
        raise InvalidSource(
            f"{where}: no article text found ({EXTRACTOR} extracted {found}); is it a saved article page? "
            "Save the article itself (File > Save Page As, HTML only), or add its text as a .txt source"
        )
    from ledger.formats.pagemeta import page_metadata

    meta = page_metadata(tree, doc)
    return Extracted(
        text=text,
        title=meta["title"][0] if "title" in meta else None,
        authors=meta["authors"][0] if "authors" in meta else [],
        published=meta["published"][0] if "published" in meta else None,
        site_name=meta["site_name"][0] if "site_name" in meta else None,
        canonical_url=_canonical(tree) or _http(doc.url) or _saved_from(data),
        language=_language(tree) or _clean(getattr(doc, "language", None)),
        snapshot_sha256=sha256_hex(data),
        extractor=EXTRACTOR,
        extractor_version=extractor_version(),
        origins={k: origin for k, (_, origin) in meta.items()},
    )


def _clean(value) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None


def _http(url) -> str | None:
    url = _clean(url)
    return url if url and re.match(r"^https?://", url) else None


def _canonical(tree) -> str | None:
    """``<link rel="canonical">``: the publisher's own name for the page
    (trafilatura prefers og:url, which often carries tracking parameters)."""
    rel = 'link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
    # in <head> first; a malformed page's parser may have moved it into <body>
    for href in tree.xpath(f"//head/{rel}") + tree.xpath(f"//body//{rel}"):
        url = _http(href)
        if url:
            return url
    return None


_SAVED_FROM_RE = re.compile(rb"<!-- saved from url=\(\d+\)(https?://[^\s>]+?) ?-->")


def _saved_from(data: bytes) -> str | None:
    """The ``<!-- saved from url=(NNNN)https://… -->`` mark browsers put at
    the top of a page saved with "Save Page As": where it was saved from."""
    m = _SAVED_FROM_RE.search(data[:4096])
    return _http(m.group(1).decode("ascii", "replace")) if m else None


def _language(tree) -> str | None:
    for lang in tree.xpath("/html/@lang | /html/@xml:lang", namespaces={"xml": "http://www.w3.org/XML/1998/namespace"}):
        lang = _clean(lang)
        if lang and re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", lang):
            return lang
    return None


def source_from_html(
    data: bytes,
    *,
    where: str,
    slug: str | None = None,
    url=None,
    publisher=None,
    published=None,
    date_basis=None,
    title=None,
    retrieved=None,
    language=None,
    authors=(),
) -> Source:
    """A Source whose text is the page's extracted article; what the caller
    gives explicitly wins over what the page says about itself."""
    ex = extract(data, where, url=url)
    given = {"title": title, "published": published, "authors": list(authors) or None, "publisher": publisher}
    if published is None and ex.published:
        published, date_basis = ex.published, date_basis or basis_of_date(ex.origins.get("published"))
    src = make_source(
        ex.text.encode("utf-8"),
        where=where,
        slug=slug or slugify(title or ex.title or Path(where).stem),  # transliterated, every script (ledger.core.slugs)
        url=url or ex.canonical_url,
        publisher=publisher or ex.site_name,
        published=published,
        date_basis=date_basis,
        title=title or ex.title,
        retrieved=retrieved,
        language=language or ex.language,
        authors=list(authors) or ex.authors,
    )
    src.snapshot_sha256 = ex.snapshot_sha256
    src.snapshot_type = SNAPSHOT_TYPE
    src.extractor = ex.extractor
    src.extractor_version = ex.extractor_version
    page_origins = {**ex.origins, "publisher": ex.origins.get("site_name")}
    src.field_origins = {
        k: "user" if given[k] is not None else page_origins[k]
        for k in given
        if given[k] is not None or (page_origins.get(k) and getattr(src, k))
    }
    return src


def record_field_origins(db, src: Source) -> None:
    """Keep where each metadata field of ``src`` came from (``source_field_origins``);
    the caller holds the write transaction."""
    origins = getattr(src, "field_origins", None) or {}
    if not origins or not db["source_field_origins"].exists():
        return
    for k, origin in sorted(origins.items()):
        db.execute(
            "INSERT OR IGNORE INTO source_field_origins (source_id, field, origin) VALUES (?, ?, ?)", [src.id, k, origin]
        )


def html_files(path: str | Path) -> list[Path]:
    """A saved page, or the saved pages of a directory (sorted, not recursive)."""
    path = Path(path)
    if path.is_dir():
        pages = sorted(p for p in path.iterdir() if p.is_file() and is_html(p))
        if not pages:
            raise InvalidSource(f"{path}: no saved pages (*.html, *.htm) in this directory")
        return pages
    return [path]


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


def reextract(txt_path: str | Path) -> str:
    """Re-run the extractor on a source's saved page (to check a text is what
    the recorded extractor gives for the recorded bytes)."""
    snap = snapshot_path(txt_path)
    return extract(snap.read_bytes(), str(snap)).text


PER_PAGE_OPTIONS = ("slug", "url", "title", "published", "date_basis")


def add_pages(db, path: str | Path, sources_dir: str | Path = "sources", **overrides) -> list[dict]:
    """Add a saved page, or every saved page of a directory, as sources: all
    or nothing. Each page's text, sidecar and snapshot go to ``sources_dir``.

    Returns one summary per page (id, slug, path, snapshot, added).
    """
    from ledger.services import revisions
    from ledger.store import history
    from ledger.store.db import write
    from ledger.core.atomic import write_atomic
    from ledger.formats.sources import write_source
    from ledger.store.writer import add_source

    pages = html_files(path)
    if Path(path).is_dir():
        given = [k for k in PER_PAGE_OPTIONS if overrides.get(k) is not None]
        if given:
            raise InvalidSource(
                f"{path}: --{given[0].replace('_', '-')} describes one page, but {path} is a directory of "
                f"{len(pages)} page(s); add pages one at a time to give it, or leave it to the page's own metadata"
            )
    sources_dir = Path(sources_dir)
    prepared, errors, slugs = [], [], {}
    from ledger.formats.plainfile import max_source_bytes, read_plain

    for page in pages:
        try:
            data = read_plain(page, max_bytes=max_source_bytes())
            src = source_from_html(data, where=str(page), **overrides)
        except InvalidSource as e:
            errors.append(str(e))
            continue
        if src.slug in slugs and slugs[src.slug] != src.id and overrides.get("slug") is None:
            from ledger.core.slugs import distinct_slug  # two titles that slug alike: both kept, each its own source

            src.slug = distinct_slug(src.slug, src.id, lambda s: s in slugs and slugs[s] != src.id)
        if src.slug in slugs and slugs[src.slug] != src.id:
            errors.append(
                f"{page}: its slug {src.slug!r} (from its title) is also that of another page in this batch; "
                "add it on its own with --slug"
            )
            continue
        slugs[src.slug] = src.id
        prepared.append((page, src, data))
    if errors:
        raise InvalidSource("\n".join(errors) + (f"\n{len(errors)} problems; nothing was written" if len(errors) > 1 else " (nothing was written)"))
    out = []
    from ledger.services import repository

    # the act's time and author go into each sidecar, so a fresh `ledger build` replays it as this same entry
    at, actor = repository.record_time(db), history.default_actor()
    for _, src, _ in prepared:
        src.recorded_at, src.recorded_by = at, actor
    with write(db, "source add", actor=actor, at=at):
        added, follows = [], []
        for page, src, data in prepared:
            # a page saved again with changed text (same slug or URL) is the next revision
            follows.append(revisions.resolve_revision(db, src, named=overrides.get("slug") is not None))
            src.path = (sources_dir / f"{src.slug}.txt").as_posix()
            added.append(add_source(db, src))
            record_field_origins(db, src)
        for (page, src, data), was_added, follow in zip(prepared, added, follows):
            snap = snapshot_path(src.path)
            if snap.exists() and snap.read_bytes() != data:
                raise InvalidSource(
                    f"{snap} already holds a different page; choose another --slug (a snapshot is never overwritten)"
                )
            write_atomic(snap, data)  # the snapshot, then the sidecar, then the text last (ledger.core.atomic)
            if was_added or not Path(src.path).exists():  # a text already held keeps its sidecar (issue 13)
                write_source(src, sources_dir, src.text.encode("utf-8"))
            out.append(
                {
                    "file": str(page),
                    "id": src.id,
                    "slug": src.slug,
                    "path": src.path,
                    "snapshot": snap.as_posix(),
                    "snapshot_sha256": src.snapshot_sha256,
                    "extractor": f"{src.extractor} {src.extractor_version}",
                    "title": src.title,
                    "url": src.url,
                    "published": src.published,
                    "length": len(src.text),
                    "added": was_added,
                    **({"revision_of": follow} if follow else {}),
                }
            )
    return out
