"""Property tests (issue 8): anchoring, the value normalisers and the
claim-file parser, over inputs hypothesis makes up.

The contract under test: no input makes them fail with anything but the
documented errors (``LedgerError`` subclasses), and what they return holds
its invariants (a span is the source's own characters; a parsed claim has
the types and ranges the ledger stores). tests/test_anchor.py (the core's)
covers the basic anchoring properties; these add hostile text, every
parameter, typed variants and the parser.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import sqlite3
import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ledger.core.fields import bad_character
from ledger.formats import claimfile
from ledger.core.anchor import ZERO_WIDTH, BIDI_CONTROLS, fold_quote, locate
from ledger.formats.claimfile import ClaimInput, Record, validate
from ledger.core.errors import AmbiguousQuote, EmptyQuote, LedgerError, QuoteNotFound

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text the way hostile sources come: any code point except surrogates (not
# encodable) and NUL (refused for sources), weighted towards the characters
# anchoring treats specially.
SPECIAL = "\u201c\u201d\u2018\u2019\"'\u2013\u2014-\u00a0\u3000 \t\r\n" + ZERO_WIDTH + BIDI_CONTROLS + "\u0301\u0308e"
any_char = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")
hostile_text = st.text(alphabet=st.one_of(any_char, st.sampled_from(SPECIAL)), min_size=1, max_size=120)
maybe_text = st.one_of(st.none(), hostile_text)


def check_span(text, span):
    assert 0 <= span.start <= span.end <= len(text)
    assert text[span.start : span.end] == span.text
    assert text[max(0, span.start - len(span.prefix)) : span.start] == span.prefix
    assert text[span.end : span.end + len(span.suffix)] == span.suffix
    assert span.match in ("exact", "normalised")


# ================================================================ anchoring


@SETTINGS
@given(hostile_text, hostile_text, st.one_of(st.none(), st.integers(-3, 6)), maybe_text, maybe_text)
@example("a\r\nb", "a\nb", None, None, None)
@example("x\u202ey\u202c z", "xy z", None, None, None)
def test_locate_only_raises_documented_errors(text, quote, occurrence, prefix, suffix):
    try:
        span = locate(text, quote, occurrence=occurrence, prefix=prefix, suffix=suffix)
    except (EmptyQuote, QuoteNotFound, AmbiguousQuote):
        return
    check_span(text, span)
    # what was found is what was asked for, once both are folded
    assert fold_quote(span.text) == fold_quote(quote)


@SETTINGS
@given(hostile_text, st.data())
def test_every_occurrence_of_a_substring_is_reachable(text, data):
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    quote = text[i:j]
    try:
        first = locate(text, quote, occurrence=1)
    except EmptyQuote:
        assert not fold_quote(quote)
        return
    # QuoteNotFound here would be a bug: the quote is the source's own text
    n = first.occurrences
    assert n >= 1
    spans = [locate(text, quote, occurrence=k) for k in range(1, n + 1)]
    for sp in spans:
        check_span(text, sp)
    starts = [sp.start for sp in spans]
    assert starts == sorted(starts) and len(set(starts)) == n
    # the passage drawn is one of them (up to leading/trailing invisible or space characters)
    assert any(sp.start <= i + (len(quote) - len(quote.lstrip())) + 1 and sp.end >= j - 2 for sp in spans) or any(
        fold_quote(sp.text) == fold_quote(quote) for sp in spans
    )
    with pytest.raises(AmbiguousQuote):
        locate(text, quote, occurrence=n + 1)


WORDS = ["the", "visit", "“ironclad”", "‘friend’", "Café", "naïve", "—", "–", "60,000", "😀", "𝔘𝔫𝔦", "Hun", "Sen", "Xi"]


def typed(s: str, data) -> str:
    """How a person might type the passage ``s``."""
    if data.draw(st.booleans()):
        s = s.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    if data.draw(st.booleans()):
        s = s.replace("—", "-").replace("–", "-")
    if data.draw(st.booleans()):
        s = unicodedata.normalize("NFD", s)
    if data.draw(st.booleans()):
        s = " ".join(s.split())
    if data.draw(st.booleans()):
        s = "  " + s.replace(" ", data.draw(st.sampled_from(["  ", "\n", "\t", "\u00a0"]))) + "\n"
    return s


@SETTINGS
@given(st.lists(st.sampled_from(WORDS), min_size=3, max_size=16), st.data())
def test_typed_variants_of_a_passage_find_the_source_characters(ws, data):
    seps = data.draw(st.lists(st.sampled_from([" ", "  ", "\n", "\r\n", " \u200b", "\u00a0"]), min_size=len(ws), max_size=len(ws)))
    form = data.draw(st.sampled_from(["NFC", "NFD"]))
    pieces = [w + s for w, s in zip(ws, seps)]
    text = unicodedata.normalize(form, "Begin: " + "".join(pieces) + "end.")
    a = data.draw(st.integers(0, len(ws) - 2))
    b = data.draw(st.integers(a + 1, len(ws) - 1))
    passage = unicodedata.normalize(form, "".join(pieces[a:b]) + ws[b])
    assert passage in text
    quote = typed(passage, data)
    try:
        span = locate(text, quote)
    except AmbiguousQuote as e:
        # repeated words: the passage is one of the places listed
        assert any(sp.text == passage or fold_quote(sp.text) == fold_quote(passage) for sp in e.spans)
        return
    check_span(text, span)
    assert fold_quote(span.text) == fold_quote(passage)
    conn = sqlite3.connect(":memory:")
    assert conn.execute("SELECT substr(?, ?, ?)", [text, span.start + 1, span.end - span.start]).fetchone()[0] == span.text


# ================================================================ normalisers

normalize = pytest.importorskip("ledger.core.normalize")
dates = st.one_of(st.none(), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
date_words = st.lists(
    st.one_of(
        st.sampled_from(["January", "Feb", "September", "Dec.", "last", "next", "Tuesday", "to", "-", "–", "and",
                         "from", "until", "2024", "1999", "30", "31", "29", "0", "5-3", "3-5", ",", "of", "the", "early"]),
        st.integers(-5, 3000).map(str),
        hostile_text,
    ),
    max_size=8,
).map(" ".join)


@SETTINGS
@given(date_words, dates)
def test_normalize_date_never_crashes_and_ranges_are_ordered(text, published):
    value = normalize.normalize_date(text, published)
    if value is None:
        return
    # the raw text is kept (the dateutil fallback keeps it folded: dashes and quotes mapped)
    assert normalize.fold_text(value.raw) == normalize.fold_text(text)
    if value.start is not None:
        start, end = dt.date.fromisoformat(value.start), dt.date.fromisoformat(value.end)
        assert start <= end
        assert value.precision in ("day", "month", "year")
    else:
        assert value.flags  # unresolved only when flagged (impossible date or range)


@SETTINGS
@given(
    st.lists(
        st.one_of(st.sampled_from(["60,000", "1.5", "two", "-seat", "up to", "about", "$", "million", "people", "%", "km"]), hostile_text),
        max_size=6,
    ).map(" ".join),
    st.one_of(st.none(), st.sampled_from(["seats", "people", "days"])),
)
def test_normalize_quantity_never_crashes(text, hint):
    q = normalize.normalize_quantity(text, hint)
    if q is not None:
        assert isinstance(q.value, float) and not math.isnan(q.value)
        assert isinstance(q.normalized, str)


@SETTINGS
@given(hostile_text)
def test_title_and_name_keys_are_total_and_stable(text):
    key = normalize.normalize_title(text)
    assert isinstance(key, str) and key == key.strip()
    name = normalize.fold_name(text)
    assert isinstance(name, str)
    assert normalize.fold_name(name) == normalize.fold_name(name)  # deterministic
    assert normalize.normalize_title(text) == key


# ================================================================ claim-file parser

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True),
    hostile_text, st.dates(), st.sampled_from(["", " ", "0.5", "2024-02-30", "\ud800", "yes", "no"]),
)
json_like = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
FIELDS = claimfile.REQUIRED + claimfile.OPTIONAL
claimish = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=6), st.integers()), st.one_of(scalars, json_like), max_size=len(FIELDS)
)


@SETTINGS
@given(st.one_of(claimish, json_like), st.one_of(st.none(), st.integers(1, 10**6)), st.integers(1, 10**6))
def test_validate_accepts_or_names_the_claim(data, line, index):
    try:
        claim = validate(Record(data, "f.yml", line, index))
    except LedgerError as e:
        assert str(e).startswith(f"f.yml:{line}: claim {index}" if line else f"f.yml: claim {index}")
        return
    assert isinstance(claim, ClaimInput)
    for k in ("source", "subject", "predicate", "value", "quote"):
        v = getattr(claim, k)
        assert isinstance(v, str) and v.strip()
        v.encode("utf-8")  # storable: no lone surrogates
    assert 0.0 <= claim.confidence <= 1.0
    assert claimfile.PREDICATE_RE.match(claim.predicate)


def scratch(tmp_path_factory):
    """One directory for every example (files are overwritten, not piled up)."""
    tmp = tmp_path_factory.getbasetemp() / "properties"
    tmp.mkdir(exist_ok=True)
    return tmp


def parse_file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return list(claimfile.read_claims(path))


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from([".yml", ".json", ".jsonl", ".csv", ".jsonld"]))
def test_arbitrary_bytes_never_crash_the_parser(tmp_path_factory, data, suffix):
    tmp = scratch(tmp_path_factory)
    try:
        parse_file(tmp, "x" + suffix, data)
    except LedgerError:
        pass


def _yaml_dump(obj) -> str:
    return yaml.safe_dump(obj, allow_unicode=True)


@SETTINGS
@given(st.one_of(json_like, st.lists(claimish, max_size=4), st.fixed_dictionaries({"claims": st.lists(claimish, max_size=3)})), st.sampled_from(["yml", "json", "jsonl"]))
def test_arbitrary_documents_never_crash_the_parser(tmp_path_factory, doc, fmt):
    if fmt == "yml":
        try:
            text = _yaml_dump(doc)
        except (yaml.YAMLError, UnicodeEncodeError):
            assume(False)
    else:
        try:
            text = json.dumps(doc, default=str) if fmt == "json" else "\n".join(json.dumps(d, default=str) for d in (doc if isinstance(doc, list) else [doc]))
        except (TypeError, ValueError):
            assume(False)
    tmp = scratch(tmp_path_factory)
    try:
        claims = parse_file(tmp, "x." + fmt, text.encode("utf-8", "surrogatepass"))
    except LedgerError:
        return
    for c in claims:
        assert 0.0 <= c.confidence <= 1.0


# W3C Web Annotation documents (ledger/annotations.py reads them as claims): the
# shapes the importer walks, with hostile or missing parts
selector = st.one_of(
    st.fixed_dictionaries({"type": st.just("TextQuoteSelector"), "exact": scalars}, optional={"prefix": scalars, "suffix": scalars}),
    st.fixed_dictionaries({"type": st.just("TextPositionSelector"), "start": scalars, "end": scalars}),
    json_like,
)
annotation = st.fixed_dictionaries(
    {"@context": st.sampled_from(["http://www.w3.org/ns/anno.jsonld", ["http://www.w3.org/ns/anno.jsonld", {"x": "y"}]])},
    optional={
        "type": st.sampled_from(["Annotation", "AnnotationPage", "AnnotationCollection", "Other"]),
        "body": st.one_of(json_like, st.fixed_dictionaries({"type": st.just("TextualBody"), "value": scalars}, optional={
            "subject": scalars, "predicate": scalars, "confidence": scalars})),
        "target": st.one_of(json_like, st.fixed_dictionaries({"source": scalars}, optional={"selector": st.one_of(selector, st.lists(selector, max_size=3))})),
        "items": st.lists(json_like, max_size=3),
        "first": json_like,
    },
)


@SETTINGS
@given(st.one_of(annotation, st.lists(annotation, min_size=1, max_size=3)), st.sampled_from(["json", "jsonld"]))
def test_arbitrary_annotation_documents_never_crash_the_parser(tmp_path_factory, doc, suffix):
    try:
        text = json.dumps(doc, default=str)
    except (TypeError, ValueError):
        assume(False)
    tmp = scratch(tmp_path_factory)
    try:
        claims = parse_file(tmp, "x." + suffix, text.encode("utf-8", "surrogatepass"))
    except LedgerError:
        return
    for c in claims:
        assert 0.0 <= c.confidence <= 1.0


@SETTINGS
@given(st.lists(st.lists(st.one_of(hostile_text, st.sampled_from(['"', '""', ",", "\r\n", "\n", "0.5", "1e400", "nan"])), max_size=8), max_size=5),
       st.lists(st.sampled_from(FIELDS + ("", "x", "source")), min_size=1, max_size=8))
def test_arbitrary_csv_never_crashes_the_parser(tmp_path_factory, rows, header):
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    tmp = scratch(tmp_path_factory)
    for data in (buf.getvalue(), "\n".join(",".join(r) for r in [header, *rows])):  # quoted, and naively joined
        try:
            claims = parse_file(tmp, "x.csv", data.encode("utf-8", "surrogatepass"))
        except LedgerError:
            continue
        for c in claims:
            assert 0.0 <= c.confidence <= 1.0


good_claims = st.fixed_dictionaries(
    {
        "source": st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z"),
        # issue 14: a subject is one line, without control characters (ledger/fields.py)
        "subject": hostile_text.filter(lambda s: s.strip() and bad_character(s) is None),
        "predicate": st.from_regex(r"\A[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,5}){0,2}\Z"),
        "value": hostile_text.filter(lambda s: s.strip()),
        "quote": hostile_text.filter(lambda s: s.strip()),
        "confidence": st.floats(0, 1),
    },
    optional={"note": hostile_text, "occurrence": st.integers(1, 50), "as_of": st.dates().map(str)},
)


@SETTINGS
@given(st.lists(good_claims, min_size=1, max_size=5), st.sampled_from(["yml", "json", "jsonl"]), st.booleans(), st.booleans())
def test_valid_claims_round_trip_through_every_format(tmp_path_factory, claims, fmt, bom, crlf):
    if fmt == "yml":
        text = claimfile.dump_yaml(claims)
    elif fmt == "json":
        text = json.dumps(claims, ensure_ascii=False)
    else:
        text = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in claims)
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    tmp = scratch(tmp_path_factory)
    parsed = parse_file(tmp, "x." + fmt, data)
    assert len(parsed) == len(claims)
    for want, got in zip(claims, parsed):
        for k, v in want.items():
            got_v = getattr(got, k)
            if crlf and fmt == "yml" and isinstance(v, str):
                # a YAML scalar's line breaks are the file's; "\r\n" inside a quoted
                # scalar folds as YAML says, so compare the visible text
                assert " ".join(str(got_v).split()) == " ".join(v.split()) or got_v == v
            else:
                assert got_v == v, (k, v, got_v)


# ================================================================ the fuzz target

@functools.lru_cache(maxsize=1)
def _fuzz_target():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz_claimfile.py"
    spec = importlib.util.spec_from_file_location("fuzz_claimfile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path.parent / "corpus"


def test_fuzz_target_replays_its_seed_corpus():
    """The atheris target runs without atheris, and its seeds parse or fail cleanly."""
    target, corpus = _fuzz_target()
    seeds = sorted(corpus.iterdir())
    assert len(seeds) >= 4
    held = {p.name: target.check(p.read_bytes()) for p in seeds}
    assert held["seed-yaml-list.bin"] == 2 and held["seed-json.bin"] == 1 and held["seed-jsonl.bin"] == 2
    assert held["seed-yaml-hostile.bin"] == 0  # refused with a LedgerError


@SETTINGS
@given(st.binary(max_size=300))
def test_fuzz_target_contract_holds_for_random_bytes(data):
    target, _ = _fuzz_target()
    target.check(data)
