"""Claims as W3C Web Annotations (https://www.w3.org/TR/annotation-model/).

Export: one ``AnnotationCollection`` holding every claim as an
``Annotation`` whose target is the source's URL with a ``TextQuoteSelector``
(exact, prefix, suffix: the source's own characters) and a
``TextPositionSelector`` (start, end). Positions count Unicode code points,
end excluded, as the Web Annotation model specifies and as the ledger stores
them: tools that count UTF-16 units (Hypothesis, many JavaScript tools) differ
after any character outside the Basic Multilingual Plane, such as an emoji.
Each annotation says so in its selector (``offsetUnit``). The positions refer
to the text the ledger extracted from the page, not to the page's markup: the
target's ``state`` (a ``TimeState``) names that text by its hash in ``cached``
(an RFC 6920 ``ni:`` URI) and the time the page was retrieved in
``sourceDate``. ``created`` is an xsd:dateTime in UTC with "Z", as the model
requires. The body is a
``TextualBody`` whose ``value`` is the claim's value, carrying ``subject``,
``predicate`` and ``confidence`` (and the claim's optional fields, and the
quote as typed when it differs from the source's own text) in terms defined
by an extra JSON-LD context.

Import: a JSON(-LD) file with the anno.jsonld ``@context`` (one annotation, a
list, an ``AnnotationPage`` or an ``AnnotationCollection`` with embedded
pages) reads as claims. The quote anchors the claim: the positions are used
when the quote is found there, and otherwise the quote is re-anchored in the
source text, its prefix/suffix choosing between repeated occurrences. A
selector's ``refinedBy`` chain is followed: the innermost TextQuoteSelector
gives the quote, and a TextPositionSelector refined by another counts from the
start of its parent's segment.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Iterator

from ledger.core.claim import Record
from ledger.core.errors import InvalidClaimFile

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ANNO_CONTEXTS = {ANNO_CONTEXT, "https://www.w3.org/ns/anno.jsonld"}
VOCAB = "urn:provenance-ledger:vocab:"
# The ledger's own terms, for the body's claim fields and the offset unit.
LEDGER_CONTEXT = {
    "ledger": VOCAB,
    **{
        k: f"ledger:{k}"
        for k in (
            "subject", "predicate", "confidence", "speaker", "as_of", "valid_from", "valid_to", "note",
            "status", "origin", "claim_id", "source_sha256", "offsetUnit", "quote", "paraphrase",
        )
    },
}
CONTEXT = [ANNO_CONTEXT, LEDGER_CONTEXT]
OFFSET_UNIT = "unicode code points, end excluded"
# fixed namespace for the annotations' urn:uuid ids, derived from claim ids
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, VOCAB)
# claim fields carried in the body besides subject, predicate, value, confidence
BODY_OPTIONAL = ("speaker", "as_of", "valid_from", "valid_to", "note", "status", "origin", "paraphrase")


def annotation_id(claim_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'claim:' + claim_id)}"


def ni_uri(sha256_hex: str) -> str:
    """RFC 6920 named-information URI of a text: the target when a source has no URL."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).decode("ascii").rstrip("=")
    return f"ni:///sha-256;{digest}"


def sha256_from_ni(uri: str) -> str | None:
    prefix = "ni:///sha-256;"
    if not uri.startswith(prefix):
        return None
    b64 = uri[len(prefix) :]
    try:
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    except (ValueError, TypeError):
        return None
    return raw.hex() if len(raw) == 32 else None


@lru_cache(maxsize=1)
def _generator_info() -> tuple[str, str]:
    try:
        return ("provenance-ledger", version("provenance-ledger"))
    except PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        return ("provenance-ledger", "unknown")


def xsd_datetime(value: str | None) -> str | None:
    """An ISO 8601 date or timestamp as an xsd:dateTime in UTC ending in "Z"
    (the form the model requires for ``created``); a date alone is midnight
    UTC, a time without an offset is taken as UTC. None when it is not a date."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    when = when.astimezone(dt.timezone.utc)
    spec = "milliseconds" if when.microsecond else "seconds"
    return when.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def text_state(source: dict) -> dict | str:
    """The target's State: which representation of the page the selectors
    count in (the extracted text, by its hash) and, when known, when the page
    was retrieved. A TimeState needs a ``sourceDate``; without one the State
    is the text's ni: URI itself."""
    cached = ni_uri(source["id"])
    when = xsd_datetime(source.get("retrieved"))
    if when is None:
        return cached
    return {"type": "TimeState", "cached": cached, "sourceDate": when}


def _generator() -> dict:
    name, v = _generator_info()  # looked up once: importlib.metadata is slow
    return {"id": "urn:provenance-ledger:software", "type": "Software", "name": f"{name} {v}"}


def claim_annotation(c: dict, source: dict, *, context: bool = True) -> dict:
    """One claim row (with its source row) as a Web Annotation."""
    body = {
        "type": "TextualBody",
        "purpose": "describing",
        "format": "text/plain",
        "value": c["value"],
        "subject": c["subject"],
        "predicate": c["predicate"],
        "confidence": c["confidence"],
        "claim_id": c["id"],
    }
    for k in BODY_OPTIONAL:
        if c.get(k) is not None:
            body[k] = c[k]
    if c["quote"] != c["span_text"]:
        body["quote"] = c["quote"]  # as the recorder typed it; `exact` is the source's own text
    anno: dict[str, Any] = {}
    if context:
        anno["@context"] = CONTEXT
    anno.update({"id": annotation_id(c["id"]), "type": "Annotation", "motivation": "describing"})
    created = xsd_datetime(c.get("recorded_at"))
    if created:
        anno["created"] = created
    if c.get("recorded_by"):
        anno["creator"] = {"name": c["recorded_by"]}
    anno["generator"] = _generator()
    anno["body"] = body
    anno["target"] = {
        "type": "SpecificResource",
        "source": source["url"] or ni_uri(source["id"]),
        "source_sha256": source["id"],
        "state": text_state(source),
        "selector": [
            {"type": "TextQuoteSelector", "exact": c["span_text"], "prefix": c["prefix"], "suffix": c["suffix"]},
            {"type": "TextPositionSelector", "start": c["span_start"], "end": c["span_end"], "offsetUnit": OFFSET_UNIT},
        ],
    }
    return anno


# ---------------------------------------------------------------- import


def _contexts(obj) -> set:
    ctx = obj.get("@context") if isinstance(obj, dict) else None
    if isinstance(ctx, str):
        return {ctx}
    if isinstance(ctx, list):
        return {c for c in ctx if isinstance(c, str)}
    return set()


def is_annotation_document(data) -> bool:
    """True for JSON that declares the W3C anno.jsonld context (itself, or
    every item of a top-level list)."""
    if isinstance(data, dict):
        return bool(_contexts(data) & ANNO_CONTEXTS)
    if isinstance(data, list) and data:
        return all(isinstance(d, dict) and _contexts(d) & ANNO_CONTEXTS for d in data)
    return False


def _types(obj) -> set:
    t = obj.get("type", obj.get("@type")) if isinstance(obj, dict) else None
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _items(data, shown: str) -> Iterator[dict]:
    if isinstance(data, list):
        yield from data
        return
    types = _types(data)
    if "Annotation" in types:
        yield data
    elif "AnnotationPage" in types:
        yield from _page(data, shown)
    elif "AnnotationCollection" in types:
        page = data.get("first")
        if page is None:
            return
        while page is not None:
            if not isinstance(page, dict):
                raise InvalidClaimFile(
                    f"{shown}: the collection's pages are not embedded (found {page!r}); "
                    "save each AnnotationPage in the file (or the pages' items as a list)"
                )
            yield from _page(page, shown)
            page = page.get("next")
    else:
        raise InvalidClaimFile(
            f"{shown}: a W3C annotation file holds an Annotation, a list of them, an AnnotationPage or an "
            f"AnnotationCollection; found type {sorted(types) or 'none'}"
        )


def _page(page: dict, shown: str) -> Iterator[dict]:
    items = page.get("items")
    if not isinstance(items, list):
        raise InvalidClaimFile(f"{shown}: an AnnotationPage must have an `items` list")
    yield from items


def annotation_records(data, shown: str) -> Iterator[Record]:
    """Raw claim records from a W3C annotation document, one per annotation."""
    for index, anno in enumerate(_items(data, shown), 1):
        yield Record(annotation_claim(anno, f"{shown}: annotation {index}"), shown, None, index)


def _one(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def annotation_claim(anno, where: str) -> dict:
    """The claim-file fields an annotation carries (validated later, like any claim)."""
    if not isinstance(anno, dict):
        raise InvalidClaimFile(f"{where}: an annotation must be a JSON object, not {type(anno).__name__}")
    label = f"{where} ({anno.get('id', 'no id')})"
    if "Annotation" not in _types(anno):
        raise InvalidClaimFile(f"{label}: `type` must be \"Annotation\"")
    target = _target(anno.get("target"), label)
    quote, position = _selectors(target, label)
    body = _body(anno.get("body"), label)
    typed = body.get("quote") if isinstance(body.get("quote"), str) else None
    claim: dict[str, Any] = {"source": _source_ref(target, label), "quote": typed or quote["exact"]}
    for k in ("prefix", "suffix"):
        if quote.get(k):
            claim[k] = quote[k]
    if position is not None:
        claim["start"], claim["end"] = position.get("start"), position.get("end")
    for k in ("subject", "predicate", "value", "confidence", *BODY_OPTIONAL):
        if k in body:
            claim[k] = body[k]
    creator = _one(anno.get("creator"))
    if isinstance(creator, dict) and isinstance(creator.get("name"), str):
        claim["recorded_by"] = creator["name"]
    elif isinstance(creator, str) and not creator.startswith(("http://", "https://", "urn:")):
        claim["recorded_by"] = creator
    if isinstance(anno.get("created"), str):
        # the model's UTC "Z" read back in the ledger's own form (+00:00), so a round trip changes nothing
        created = anno["created"]
        claim["recorded_at"] = created[:-1] + "+00:00" if created.endswith("Z") else created
    return claim


def _target(target, label: str) -> dict:
    target = _one(target)
    if isinstance(target, list):
        raise InvalidClaimFile(f"{label}: has {len(target)} targets; a claim rests on one passage of one source")
    if not isinstance(target, dict) or "selector" not in target:
        raise InvalidClaimFile(
            f"{label}: its target is a whole resource; a claim needs a target with a TextQuoteSelector "
            "(the passage it rests on)"
        )
    return target


def _refinements(selector) -> Iterator[dict]:
    """A selector and the chain of selectors refining it, outermost first."""
    seen = 0
    while isinstance(selector, dict) and seen < 32:  # a chain longer than that is not a real annotation
        yield selector
        selector = _one(selector.get("refinedBy"))
        seen += 1


def _selectors(target: dict, label: str) -> tuple[dict, dict | None]:
    """The quote selector and (when its place in the whole text is known) the
    position selector, following each selector's ``refinedBy``. A position
    refined by a position counts from its parent's start; anything refined
    from a fragment, CSS, XPath or range selector has no known place in the
    text, so only its quote is used."""
    selectors = target["selector"]
    selectors = selectors if isinstance(selectors, list) else [selectors]
    quote = position = None
    for top in selectors:
        base, placed = 0, True
        chain_quote = chain_position = None
        for sel in _refinements(top):
            types = _types(sel)
            if "TextQuoteSelector" in types:
                chain_quote = sel  # the innermost quote is the narrowest
            elif "TextPositionSelector" in types:
                start, end = sel.get("start"), sel.get("end")
                if placed and isinstance(start, int) and isinstance(end, int):
                    chain_position = {**sel, "start": base + start, "end": base + end}
                    base += start
                else:
                    placed = False
            else:
                placed = False
        if chain_quote is not None and quote is None:
            quote = chain_quote
        if chain_position is not None and position is None:
            position = chain_position
    if quote is None or not isinstance(quote.get("exact"), str):
        raise InvalidClaimFile(
            f"{label}: no TextQuoteSelector with an `exact` quote (directly or through `refinedBy`); "
            "the ledger anchors every claim by its quote"
        )
    return quote, position


def _body(body, label: str) -> dict:
    bodies = body if isinstance(body, list) else [body]
    for b in bodies:
        if isinstance(b, dict) and ("subject" in b or "predicate" in b):
            return b
    raise InvalidClaimFile(
        f"{label}: its body carries no claim; a claim annotation's body has `subject`, `predicate`, "
        "`value` and `confidence` (see `ledger export --format w3c` for the shape)"
    )


def _source_ref(target: dict, label: str) -> str:
    """How the claim names its source: the text's sha256 when the annotation
    carries it, else the ni: hash URI, else the source URL."""
    sha = target.get("source_sha256")
    if isinstance(sha, str) and sha:
        return sha
    source = target.get("source")
    if isinstance(source, dict):
        source = source.get("id")
    if not isinstance(source, str) or not source:
        raise InvalidClaimFile(f"{label}: its target has no `source`")
    return sha256_from_ni(source) or source
