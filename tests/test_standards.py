"""Every export checked against the standards' own artefacts, offline.

- The W3C Web Annotation test suite's MUST assertions (JSON Schemas from
  w3c/web-annotation-tests, in tests/fixtures/w3c-annotation-tests) on every
  exported annotation, collection and page.
- JSON-LD expansion with pyld against the official contexts (anno.jsonld and
  schema.org's, in tests/fixtures/jsonld/contexts): no property is dropped,
  so every key means what the standard says.
"""

import datetime as dt
import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
from pyld import jsonld
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from ledger.formats import annotations
from ledger.services import export as exports
from tests.test_claimreview import two_sources  # noqa: F401 (a fixture)

FIXTURES = Path(__file__).parent / "fixtures"
SUITE = FIXTURES / "w3c-annotation-tests"
CONTEXTS = {
    "http://www.w3.org/ns/anno.jsonld": FIXTURES / "jsonld" / "contexts" / "anno.jsonld",
    "https://www.w3.org/ns/anno.jsonld": FIXTURES / "jsonld" / "contexts" / "anno.jsonld",
    "https://schema.org": FIXTURES / "jsonld" / "contexts" / "schemaorgcontext.jsonld",
    "https://schema.org/": FIXTURES / "jsonld" / "contexts" / "schemaorgcontext.jsonld",
    "http://schema.org": FIXTURES / "jsonld" / "contexts" / "schemaorgcontext.jsonld",
    "http://schema.org/": FIXTURES / "jsonld" / "contexts" / "schemaorgcontext.jsonld",
}
# RFC 3339 date-time (the suite's `format: date-time`), checked here because
# jsonschema skips the format without an optional package
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def _date_time(value):
    if not isinstance(value, str) or not DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _registry() -> Registry:
    resources = []
    for path in SUITE.rglob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["id"], Resource(contents=schema, specification=DRAFT4)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def suite_musts(test_file: str) -> list[dict]:
    """The MUST assertions a suite .test file lists, as schemas."""
    listed = json.loads((SUITE / test_file).read_text(encoding="utf-8"))["assertions"]
    out = []
    for name in listed:
        schema = json.loads((SUITE / name).read_text(encoding="utf-8"))
        assert schema["assertionType"] == "must" and schema["expectedResult"] == "valid", name
        out.append(schema)
    return out


@functools.lru_cache(maxsize=None)
def suite_validators(test_file: str) -> list:
    return [(s, jsonschema.Draft4Validator(s, registry=REGISTRY, format_checker=FORMATS)) for s in suite_musts(test_file)]


def suite_failures(doc: dict, test_file: str) -> list[str]:
    return [f"{s['id']}: {s['errorMessage']}" for s, v in suite_validators(test_file) if not v.is_valid(doc)]


def load_context(url, options=None):
    url = url.split("#")[0]
    if url not in CONTEXTS:
        raise AssertionError(f"a context the tests do not ship was asked for: {url}")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(CONTEXTS[url].read_text("utf-8"))}


def expand(doc) -> tuple[list, list[str]]:
    """The JSON-LD expansion of ``doc`` and the properties it dropped."""
    dropped = []
    expanded = jsonld.JsonLdProcessor(on_property_dropped=dropped.append).expand(
        doc, {"documentLoader": load_context}
    )
    return expanded, dropped


def exported_w3c(db, out):
    exports.export_w3c(db, out)
    return json.loads(Path(out).read_text(encoding="utf-8"))


@pytest.fixture
def w3c_doc(workdir):
    from tests.test_annotations import add_emoji_source
    from ledger.store.db import open_db
    from ledger.services.ingest import build

    add_emoji_source(workdir)
    (workdir / "sources" / "emoji.yml").write_text(
        "url: https://example.org/emoji\nretrieved: '2024-05-14T09:30:00+07:00'\n", encoding="utf-8"
    )
    db = open_db(workdir / "ledger.db")
    build(db, workdir / "sources", workdir / "claims")
    return exported_w3c(db, workdir / "claims.jsonld")


def test_the_suite_itself_rejects_what_it_should():
    """The harness can fail: a created with +00:00 is a date-time, a bare date is not."""
    bad = {"@context": annotations.ANNO_CONTEXT, "id": "urn:x:1", "type": "Annotation", "target": "http://e.org/",
           "created": "2024-05-14"}
    assert any("3.3.1-annotationCreatedValidated" in f for f in suite_failures(bad, "annotations/annotationMusts.test"))
    bad["created"] = "2024-05-14T00:00:00Z"
    assert suite_failures(bad, "annotations/annotationMusts.test") == []
    bad["target"] = {"source": "http://e.org/", "state": {"type": "TimeState", "cached": "ni:///sha-256;x"}}
    assert any("timeState" in f for f in suite_failures(bad, "annotations/annotationMusts.test"))


def test_every_exported_annotation_passes_the_w3c_suite_musts(w3c_doc):
    items = w3c_doc["first"]["items"]
    assert items
    for a in items:
        assert suite_failures({"@context": w3c_doc["@context"], **a}, "annotations/annotationMusts.test") == []


def test_the_exported_collection_and_page_pass_the_w3c_suite_musts(w3c_doc):
    assert suite_failures(w3c_doc, "collections/collectionMusts.test") == []
    page = {"@context": w3c_doc["@context"], **w3c_doc["first"]}
    assert suite_failures(page, "collections/pages/pageMusts.test") == []


def test_created_is_an_xsd_datetime_in_utc_with_z(w3c_doc):
    created = [a["created"] for a in w3c_doc["first"]["items"] if "created" in a]
    assert created
    for c in created:
        assert DATE_TIME.match(c) and c.endswith("Z"), c


@pytest.mark.parametrize(
    "given, expected",
    [
        ("2026-11-29T01:00:00+00:00", "2026-11-29T01:00:00Z"),
        ("2026-11-29T03:00:00+02:00", "2026-11-29T01:00:00Z"),
        ("2026-11-29", "2026-11-29T00:00:00Z"),
        ("2026-11-29T01:00:00", "2026-11-29T01:00:00Z"),
        ("2026-11-29T01:00:00.250Z", "2026-11-29T01:00:00.250Z"),
        ("not a date", None),
        (None, None),
    ],
)
def test_xsd_datetime(given, expected):
    assert annotations.xsd_datetime(given) == expected


def test_the_target_state_names_the_extracted_text_the_positions_count_in(w3c_doc, workdir):
    from ledger.store.db import open_db

    db = open_db(workdir / "ledger.db")
    rows = {r[0]: r[1] for r in db.execute("SELECT id, retrieved FROM sources")}
    for a in w3c_doc["first"]["items"]:
        target = a["target"]
        state = target["state"]
        cached = state["cached"] if isinstance(state, dict) else state
        assert annotations.sha256_from_ni(cached) == target["source_sha256"]
        if rows[target["source_sha256"]]:
            assert state["type"] == "TimeState" and state["sourceDate"].endswith("Z")
    states = [a["target"]["state"] for a in w3c_doc["first"]["items"]]
    assert {"type": "TimeState", "sourceDate": "2024-05-14T02:30:00Z"}.items() <= next(
        s for s in states if isinstance(s, dict)
    ).items()


def test_the_w3c_export_expands_under_the_official_context_with_nothing_dropped(w3c_doc):
    expanded, dropped = expand(w3c_doc)
    assert dropped == []
    text = json.dumps(expanded)
    for iri in ("http://www.w3.org/ns/oa#hasTarget", "http://www.w3.org/ns/oa#hasSelector",
                "http://www.w3.org/ns/oa#hasState", "http://www.w3.org/ns/oa#cachedSource",
                "http://www.w3.org/ns/oa#exact", "http://purl.org/dc/terms/created"):
        assert iri in text, iri


def test_expansion_reports_a_property_the_context_does_not_define():
    _, dropped = expand({"@context": annotations.ANNO_CONTEXT, "type": "Annotation", "notATerm": 1})
    assert dropped == ["notATerm"]


# ---------------------------------------------------------------- ClaimReview


def _properties(expanded) -> set[str]:
    out = set()
    if isinstance(expanded, list):
        for x in expanded:
            out |= _properties(x)
    elif isinstance(expanded, dict):
        for k, v in expanded.items():
            if not k.startswith("@"):
                out.add(k)
            out |= _properties(v)
    return out


SCHEMA_TERMS = set(json.loads(CONTEXTS["https://schema.org"].read_text("utf-8"))["@context"])


def test_the_claimreview_export_expands_to_schema_org_terms_that_exist(two_sources):
    from tests.test_claimreview import claim_id, export as export_claimreview, review, GOOD

    assert review(claim_id(), *GOOD).exit_code == 0
    _, items = export_claimreview(two_sources)
    expanded, dropped = expand(items)
    assert dropped == []
    props = _properties(expanded)
    assert "http://schema.org/claimReviewed" in props and "http://schema.org/reviewRating" in props
    # schema.org's context has an @vocab, so a misspelt key would expand silently: check each is a real term
    unknown = {p for p in props if not (p.startswith("http://schema.org/") and p.rsplit("/", 1)[1] in SCHEMA_TERMS)}
    assert unknown == set()
    types = {t for node in jsonld.flatten(expanded, None, {"documentLoader": load_context}) for t in node.get("@type", [])}
    assert {"http://schema.org/ClaimReview", "http://schema.org/Claim", "http://schema.org/Rating"} <= types


def test_a_misspelt_schema_org_key_is_caught():
    expanded, _ = expand({"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewd": "x"})
    assert "http://schema.org/claimReviewd" in _properties(expanded)
    assert "claimReviewd" not in SCHEMA_TERMS
