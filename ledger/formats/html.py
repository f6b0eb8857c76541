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
from ledger.formats.sources import Source, check_snapshot, make_source, slugify, snapshot_path  # noqa: F401

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


def html_files(path: str | Path) -> list[Path]:
    """A saved page, or the saved pages of a directory (sorted, not recursive)."""
    path = Path(path)
    if path.is_dir():
        pages = sorted(p for p in path.iterdir() if p.is_file() and is_html(p))
        if not pages:
            raise InvalidSource(f"{path}: no saved pages (*.html, *.htm) in this directory")
        return pages
    return [path]


def reextract(txt_path: str | Path) -> str:
    """Re-run the extractor on a source's saved page (to check a text is what
    the recorded extractor gives for the recorded bytes)."""
    snap = snapshot_path(txt_path)
    return extract(snap.read_bytes(), str(snap)).text
