"""A saved page's own statements about itself, and where each came from.

Trafilatura's metadata mixes what a page declares with guesses from its
text, and says not which is which. Here each field is taken from the most
deliberate statement the page makes, in this order, and the origin is kept:

1. ``structured data``: JSON-LD (the article object: headline,
   datePublished, author) and microdata (``itemprop``);
2. ``meta tag``: Open Graph / ``article:*`` and the common ``<meta name>``
   conventions (author, date, Dublin Core, Parse.ly, Sailthru);
3. ``text heuristic``: the page's visible byline and ``<h1>``, and then
   trafilatura's own guesses (htmldate asked for the *original* date, never
   the newest one, which is often the day the page was saved).

A value the person adding the source gives is ``user`` and wins over all.
Authors are cleaned: "By"/"Par"/"Por" dropped, lists split ("X and Y",
"X (avec Y et Z)"), relative times and dates cut off, duplicates that differ
only in case merged, and names that are no author (the site's own name,
"Username", "Staff", URLs) dropped. JSON-LD written wrong (a common fault)
costs only the block it is in.
"""

from __future__ import annotations

import json
import re
import unicodedata

STRUCTURED, META, HEURISTIC, USER = "structured data", "meta tag", "text heuristic", "user"
ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "review", "webpage", "socialmediaposting", "liveblogposting", "scholarlyarticle", "techarticle", "report",
    "backgroundnewsarticle", "askpublicnewsarticle", "reviewnewsarticle", "satiricalarticle", "posting",
}
DATE_META = (
    "article:published_time", "og:article:published_time", "article:published", "datepublished", "date",
    "dc.date.issued", "dc.date", "dcterms.issued", "dcterms.created", "dcterms.date", "parsely-pub-date",
    "sailthru.date", "publishdate", "pubdate", "publish-date", "published_at", "article.published",
    "og:published_time", "cxenseparse:recs:publishtime",
)
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator", "byl")
NOT_AUTHORS = {
    "username", "admin", "administrator", "staff", "editor", "editors", "redaction", "rédaction", "redacción",
    "redakce", "redaktion", "anonymous", "unknown", "hosted", "guest", "none", "null", "follow author", "个人", "個人",
}
BY_RE = re.compile(
    r"^(?:(?:analysis|opinion|review|story|reporting|words|text|photos?|written|posted)\s+)?"
    r"(?:by|par|por|von|door|di|da|de|av|af|od|от|автор|作者|text|texto|autor|author|auteur)\s*[:：︱|]?\s+",
    re.I,
)
SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|\bet\b|\by\b|\bund\b|\be\b|\ba\b(?=\s+[A-ZÀ-Ž])|/|\|)\s*")
WITH_RE = re.compile(r"\((?:avec|with|con|mit|com|met|s|z)\s+([^)]+)\)", re.I)
TIME_WORDS = {"před", "hace", "il", "y", "vor", "ago", "updated", "on", "at", "published", "le", "el", "am", "em", "—", "–", "-", "|", ",", "·", "•"}


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", s or "").split()).casefold()


# ---------------------------------------------------------------- structured data


def _jsonld_objects(tree):
    """Every JSON object in the page's JSON-LD blocks, @graph flattened; a
    block that is not valid JSON is skipped alone."""
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = (script.text or "").strip()
        # wrappers pages put round the JSON: an HTML comment, CDATA (often behind //)
        raw = re.sub(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$", "", raw).strip()
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                yield obj
                if isinstance(obj.get("@graph"), list):
                    stack.extend(obj["@graph"])


def _types(obj) -> set[str]:
    t = obj.get("@type")
    t = t if isinstance(t, list) else [t]
    return {x.rsplit("/", 1)[-1].casefold() for x in t if isinstance(x, str)}


def _names(value) -> list[tuple[str, str | None]]:
    """(name, schema type) of each Person/Organization in a JSON-LD author value."""
    out = []
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str):
            out.append((v, None))
        elif isinstance(v, dict):
            name = v.get("name")
            if isinstance(name, list):
                name = next((n for n in name if isinstance(n, str)), None)
            if isinstance(name, str):
                types = _types(v)
                out.append((name, "Organization" if "organization" in types else "Person" if "person" in types else None))
    return out


def _first_str(value) -> str | None:
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def structured(tree) -> dict:
    """title, published, authors (name, type) from JSON-LD article objects,
    then microdata; {} parts when the page states none."""
    out: dict = {}
    for obj in _jsonld_objects(tree):
        if not _types(obj) & ARTICLE_TYPES:
            continue
        if "title" not in out and _first_str(obj.get("headline")):
            out["title"] = _first_str(obj.get("headline"))
        if "published" not in out and _first_str(obj.get("datePublished")):
            out["published"] = _first_str(obj.get("datePublished"))
        # every article object's authors: one block may name the publisher, another the writer
        out.setdefault("authors", []).extend(n for n in _names(obj.get("author")) if n[0].strip())
    if not out.get("authors"):
        out.pop("authors", None)
    if "published" not in out:
        for el in tree.xpath('//*[@itemprop="datePublished"]'):
            value = el.get("content") or el.get("datetime") or _text(el)
            if value:
                out["published"] = value
                break
    if "authors" not in out:
        names = []
        for el in tree.xpath('//*[contains(concat(" ", normalize-space(@itemprop), " "), " author ")]'):
            name_el = el.xpath('.//*[@itemprop="name"]')
            name = (name_el[0].get("content") or _text(name_el[0])) if name_el else (el.get("content") or _text(el))
            if name and len(name) < 120:
                names.append((name, "Person" if "person" in (el.get("itemtype") or "").casefold() else None))
        if names:
            out["authors"] = names
    if "title" not in out:
        for el in tree.xpath('//*[@itemprop="headline"]'):
            value = el.get("content") or _text(el)
            if value:
                out["title"] = value
                break
    return out


def meta_tags(tree) -> dict:
    """title (og:title), published and authors from <meta> conventions."""
    metas: dict[str, list[str]] = {}
    for el in tree.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().casefold()
        if key:
            metas.setdefault(key, []).append(el.get("content").strip())
    out: dict = {}
    for key in ("og:title", "twitter:title"):
        if metas.get(key) and metas[key][0]:
            out["title"] = metas[key][0]
            break
    for key in DATE_META:
        if metas.get(key) and metas[key][0]:
            out["published"] = metas[key][0]
            break
    for key in AUTHOR_META:
        names = [(v, None) for v in metas.get(key, []) if v and not v.startswith(("http://", "https://"))]
        if names:
            out["authors"] = names
            break
    out["site_name"] = (metas.get("og:site_name") or [None])[0]
    return out


NAME_CLASSES = ("author__name", "author-name", "authorname", "author_name", "byline__name", "byline-name",
                "byline__author", "contributor-name", "article-author", "author-link")
BYLINE_CLASSES = ("byline", "pb-byline", "author", "authors", "article-byline", "byline__authors", "by-author")


def _class_xpath(classes) -> str:
    return " or ".join(f'contains(concat(" ", normalize-space(@class), " "), " {c} ")' for c in classes)


def byline(tree) -> tuple[list[str], str | None]:
    """Names in the visible byline (most specific markup first, the first
    byline only: sidebars credit other articles) and a <time datetime> beside it."""
    for xpath in (
        f"//body//*[{_class_xpath(NAME_CLASSES)}] | //body//a[@rel='author'] | "
        '//body//*[contains(concat(" ", normalize-space(@itemprop), " "), " author ")]',
        f"//body//*[{_class_xpath(BYLINE_CLASSES)}]",
    ):
        found = [el for el in tree.xpath(xpath) if 0 < len(_text(el)) < 200]
        if not found:
            continue
        first = found[0]
        parent = first.getparent()
        group = [el for el in found if el is first or el.getparent() is parent or (
            parent is not None and el.getparent() is not None and el.getparent().getparent() is parent)]
        when = None
        scope = parent.getparent() if parent is not None and parent.getparent() is not None else parent
        if scope is not None:
            times = scope.xpath(".//time[@datetime]")
            when = times[0].get("datetime") if times else None
        return [_text(el) for el in group], when
    return [], None


def h1_title(tree, candidates: list[str]) -> str | None:
    """The page's <h1> when a declared title begins with it (the declared one
    carries a "| Site" suffix the h1 has not)."""
    heads = [" ".join(_text(h).split()) for h in tree.xpath("//body//h1")]
    best = None
    for h in heads:
        if len(h) < 8:
            continue
        for c in candidates:
            if c and _norm(c).startswith(_norm(h)) and len(h) < len(c) and (best is None or len(h) > len(best)):
                best = h
    return best


# ---------------------------------------------------------------- cleaning


def date_only(value: str | None) -> str | None:
    """YYYY-MM-DD of a stated date (the date as the publisher wrote it, not
    moved to UTC), or None when it is not one."""
    if not value:
        return None
    value = value.strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        y, mo, d = map(int, m.groups())
        return value[:10] if 1 <= mo <= 12 and 1 <= d <= 31 and 1990 <= y <= 2100 else None
    try:
        from dateutil import parser

        parsed = parser.parse(value, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed.date().isoformat() if 1990 <= parsed.year <= 2100 else None


def clean_author(raw: str) -> list[str]:
    """One credit as names: prefixes, times and dates removed, lists split."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if re.search(r"https?://|www\.", text):
        return []  # a profile link, not a name
    extra = []
    for m in WITH_RE.finditer(text):
        extra.append(m.group(1))
    text = WITH_RE.sub(" ", text)
    out = []
    for part in [text, *extra]:
        part = BY_RE.sub("", part.strip())
        part = re.split(r"\d", part, maxsplit=1)[0]
        for name in SPLIT_RE.split(part):
            words = name.strip(" .,:;|-–—·•").split()
            while words and words[-1].casefold() in TIME_WORDS:
                words.pop()
            while words and words[0].casefold() in TIME_WORDS:
                words.pop(0)
            name = " ".join(words)
            if name:
                out.append(name)
    return out


def clean_authors(raws: list[str], *, site_name: str | None = None) -> list[str]:
    """Names of the credited authors, in order, without duplicates or non-authors."""
    site = _norm(site_name or "")
    out: dict[str, str] = {}
    for raw in raws:
        for name in clean_author(raw):
            key = _norm(name)
            if (
                len(key) < 2
                or key in NOT_AUTHORS
                or re.search(r"\bstaff\b|https?://|www\.|@|copyright|©", key)
                or (site and (key == site or key in site.split()))  # "Mac" of "Mac & i"
                or len(name.split()) > 6
            ):
                continue
            if key in out:
                if out[key].isupper() and not name.isupper():
                    out[key] = name  # "JEFFREY GETTLEMAN" and "Jeffrey Gettleman" are one, shown as written
                continue
            out[key] = name
    return list(out.values())


def page_metadata(tree, doc) -> dict:
    """title, published, authors, site_name of a page, each with its origin:
    {"title": (value, origin), ...}. ``doc`` is trafilatura's document (its
    guesses come last)."""
    sd, mt = structured(tree), meta_tags(tree)
    names, byline_time = byline(tree)
    site = mt.get("site_name") or (doc.sitename if doc is not None else None)
    out: dict = {}

    declared = [t for t in (sd.get("title"), mt.get("title"), doc.title if doc is not None else None) if t]
    head = h1_title(tree, declared)
    if sd.get("title") and not (head and _norm(sd["title"]).startswith(_norm(head))):
        out["title"] = (" ".join(sd["title"].split()), STRUCTURED)
    elif head:
        out["title"] = (head, HEURISTIC)
    elif mt.get("title"):
        out["title"] = (" ".join(mt["title"].split()), META)
    elif doc is not None and doc.title:
        out["title"] = (" ".join(doc.title.split()), HEURISTIC)

    for value, origin in ((sd.get("published"), STRUCTURED), (mt.get("published"), META),
                          (byline_time, HEURISTIC), (doc.date if doc is not None else None, HEURISTIC)):
        day = date_only(value)
        if day:
            out["published"] = (day, origin)
            break

    candidates = [
        ([n for n, _ in sd.get("authors", [])], STRUCTURED),
        ([n for n, _ in mt.get("authors", [])], META),
        (names, HEURISTIC),
        ([a for a in re.split(r";", (doc.author if doc is not None else "") or "") if a.strip()], HEURISTIC),
    ]
    for raws, origin in candidates:
        cleaned = clean_authors(raws, site_name=site)
        if cleaned:
            out["authors"] = (cleaned, origin)
            break
    if site and not NOT_PUBLISHER.search(site):
        out["site_name"] = (" ".join(site.split()), META if mt.get("site_name") else HEURISTIC)
    return out


# what trafilatura has taken for a site name from a footer or a hosting note
NOT_PUBLISHER = re.compile(r"^\s*(?:©|\(c\)|copyright\b|all rights reserved|hosted\b|powered by\b)|^\s*\d{4}\s*$", re.I)
