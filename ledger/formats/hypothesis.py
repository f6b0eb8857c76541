"""Claims in the annotation format of Hypothesis's API (https://h.readthedocs.io/en/latest/api-reference/).

Export (``ledger export --format hypothesis``): a JSON list of annotations in
the shape ``POST /api/annotations`` takes (``uri``, ``document``, ``text``,
``tags``, ``group``, ``permissions``, ``target``), one per claim that stands.
Hypothesis counts ``TextPositionSelector`` offsets in UTF-16 code units (the
browser's), the ledger in code points: the export converts, so after an emoji
the numbers differ from the W3C export's. The claim's fields travel in the
annotation's Markdown ``text`` inside an HTML comment (``<!-- ledger-claim
{...} -->``) that Hypothesis keeps but does not show; above it, a line a reader
sees.

Import (``ledger import FILE``): a file holding one Hypothesis annotation, a
list of them, or a search result (``{"total": n, "rows": [...]}``) reads as
claims. The UTF-16 offsets are converted back to code points against the
source's text once the source is known (``Utf16Record.in_code_points``); an
offset that falls outside the text or inside a surrogate pair is dropped, and
the quote (with its prefix and suffix) anchors the claim as usual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterator

from ledger.formats.annotations import BODY_OPTIONAL, ni_uri, sha256_from_ni
from ledger.core.claim import Record
from ledger.core.errors import InvalidClaimFile, LedgerError

CLAIM_MARK = "ledger-claim"
_CLAIM_RE = re.compile(r"<!--\s*" + CLAIM_MARK + r"\s+(\{.*?\})\s*-->", re.S)
PUBLIC_GROUP = "__world__"


def utf16_offset(text: str, code_points: int) -> int:
    """The UTF-16 code-unit offset of a code-point offset in ``text``."""
    return len(text[:code_points].encode("utf-16-le")) // 2


def code_point_offset(text: str, units: int) -> int | None:
    """The code-point offset of a UTF-16 code-unit offset in ``text``; None
    when it is past the end or splits a surrogate pair."""
    if units < 0:
        return None
    raw = text.encode("utf-16-le", "surrogatepass")
    if 2 * units > len(raw):
        return None
    try:
        return len(raw[: 2 * units].decode("utf-16-le"))
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------- export


def _claim_block(c: dict, source: dict) -> str:
    fields = {"claim_id": c["id"], "source_sha256": source["id"], "subject": c["subject"],
              "predicate": c["predicate"], "value": c["value"], "confidence": c["confidence"]}
    for k in BODY_OPTIONAL:
        if c.get(k) is not None:
            fields[k] = c[k]
    if c["quote"] != c["span_text"]:
        fields["quote"] = c["quote"]
    if c.get("recorded_by"):
        fields["recorded_by"] = c["recorded_by"]
    if c.get("recorded_at"):
        fields["recorded_at"] = c["recorded_at"]
    # ">" escaped so that no value can close the comment early
    return json.dumps(fields, ensure_ascii=False, sort_keys=True).replace(">", "\\u003e")


def claim_annotation(c: dict, source: dict) -> dict:
    """One claim as a Hypothesis create-annotation request body."""
    text = source["text"]
    uri = source["url"] or ni_uri(source["id"])
    seen = f"**{c['subject']}**, {c['predicate'].replace('_', ' ')}: {c['value']}"
    anno = {
        "uri": uri,
        "document": {"title": [source["title"]]} if source.get("title") else {},
        "text": f"{seen}\n\n<!-- {CLAIM_MARK} {_claim_block(c, source)} -->",
        "tags": ["ledger-claim", c["predicate"]],
        "group": PUBLIC_GROUP,
        "permissions": {"read": [f"group:{PUBLIC_GROUP}"]},
        "target": [
            {
                "source": uri,
                "selector": [
                    {"type": "TextQuoteSelector", "exact": c["span_text"], "prefix": c["prefix"], "suffix": c["suffix"]},
                    {
                        "type": "TextPositionSelector",
                        "start": utf16_offset(text, c["span_start"]),
                        "end": utf16_offset(text, c["span_end"]),
                    },
                ],
            }
        ],
    }
    return anno


# ---------------------------------------------------------------- import


def _is_one(d) -> bool:
    return isinstance(d, dict) and "@context" not in d and isinstance(d.get("target"), list) and "uri" in d


def is_hypothesis_document(data) -> bool:
    """True for a Hypothesis annotation, a list of them, or an API search result."""
    if _is_one(data):
        return True
    if isinstance(data, dict) and isinstance(data.get("rows"), list) and "total" in data:
        return all(_is_one(r) for r in data["rows"])
    return isinstance(data, list) and bool(data) and all(_is_one(d) for d in data)


@dataclass
class Utf16Record(Record):
    """A claim record whose ``start``/``end`` count UTF-16 code units."""

    def in_code_points(self, text_of) -> Record:
        """The record with its offsets in code points; ``text_of(source_ref)``
        gives the source's text (or raises LedgerError if it is unknown)."""
        data = dict(self.data)
        start, end = data.pop("start", None), data.pop("end", None)
        if isinstance(start, int) and isinstance(end, int):
            try:
                text = text_of(data["source"])
            except LedgerError:
                text = None  # the import reports the unknown source itself
            if text is not None:
                s, e = code_point_offset(text, start), code_point_offset(text, end)
                if s is not None and e is not None and s <= e:
                    data["start"], data["end"] = s, e
        return Record(data, self.path, self.line, self.index)


def records(data, shown: str) -> Iterator[Utf16Record]:
    """Raw claim records from a Hypothesis document, one per annotation."""
    rows = data["rows"] if isinstance(data, dict) and "rows" in data else data if isinstance(data, list) else [data]
    for index, anno in enumerate(rows, 1):
        yield Utf16Record(annotation_claim(anno, f"{shown}: annotation {index}"), shown, None, index)


def annotation_claim(anno: dict, where: str) -> dict:
    """The claim-file fields a Hypothesis annotation carries."""
    label = f"{where} ({anno.get('id', 'no id')})"
    if not isinstance(anno.get("uri"), str) or not anno["uri"]:
        raise InvalidClaimFile(f"{label}: `uri` (the annotated page) must be a URL")
    text = anno.get("text")
    found = _CLAIM_RE.search(text if isinstance(text, str) else "")
    if not found:
        raise InvalidClaimFile(
            f"{label}: its text carries no ledger claim; a claim made in Hypothesis needs the "
            f"`<!-- {CLAIM_MARK} {{\"subject\": ..., \"predicate\": ..., \"value\": ..., \"confidence\": ...}} -->` "
            "block that `ledger export --format hypothesis` writes"
        )
    try:
        fields = json.loads(found.group(1))
    except json.JSONDecodeError as e:
        raise InvalidClaimFile(f"{label}: the {CLAIM_MARK} block is not valid JSON: {e.msg} (column {e.colno})") from None
    if not isinstance(fields, dict):
        raise InvalidClaimFile(f"{label}: the {CLAIM_MARK} block must be a JSON object")
    targets = anno["target"]
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise InvalidClaimFile(f"{label}: has {len(targets)} targets; a claim rests on one passage of one source")
    selectors = targets[0].get("selector") or []
    selectors = selectors if isinstance(selectors, list) else [selectors]
    quote = next((s for s in selectors if isinstance(s, dict) and s.get("type") == "TextQuoteSelector"), None)
    position = next((s for s in selectors if isinstance(s, dict) and s.get("type") == "TextPositionSelector"), None)
    if quote is None or not isinstance(quote.get("exact"), str):
        raise InvalidClaimFile(
            f"{label}: no TextQuoteSelector with an `exact` quote; it is a page note or a reply, not a highlight"
        )
    source = fields.get("source_sha256") or sha256_from_ni(anno["uri"]) or anno["uri"]
    claim = {"source": source, "quote": fields.get("quote") or quote["exact"]}
    for k in ("prefix", "suffix"):
        if quote.get(k):
            claim[k] = quote[k]
    if position is not None:
        claim["start"], claim["end"] = position.get("start"), position.get("end")
    for k in ("subject", "predicate", "value", "confidence", *BODY_OPTIONAL, "recorded_by", "recorded_at"):
        if k in fields:
            claim[k] = fields[k]
    # made in Hypothesis itself: who and when come from the annotation
    user = anno.get("user")
    if "recorded_by" not in claim and isinstance(user, str) and user.startswith("acct:"):
        claim["recorded_by"] = user[len("acct:") :]
    if "recorded_at" not in claim and isinstance(anno.get("created"), str):
        claim["recorded_at"] = anno["created"]
    return claim
