"""A source as the ledger holds it: its text and provenance fields, its id (the SHA-256 of the text's UTF-8
bytes), its sidecar metadata and its row (issue 19: split from ``ledger/formats/sources.py``, which reads and
writes the files, so that the store takes a Source without importing a file format).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ledger.core.ids import sha256_text

# "<slug>@<n>" (n >= 2) is revision n of <slug> (ledger/revisions.py)
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}(@[2-9]|@[1-9][0-9]{1,5})?$")
META_FIELDS = (
    "title",
    "url",
    "publisher",
    "published",
    "date_basis",
    "retrieved",
    "language",
    "authors",
    # a source extracted from a saved page (ledger/html.py): the page's sha256
    # and the extractor that made the text; left out of sidecars when unset
    "snapshot_sha256",
    "snapshot_type",
    "extractor",
    "extractor_version",
    "sha256",
    # when and by whom `ledger source add` recorded it: the act's time in the history (ledger/repository.py)
    "recorded_at",
    "recorded_by",
    # a saved page's or capture's: where each metadata field came from (`source_field_origins`), and the
    # capture files kept beside the text with the URL of the response the text is from (`captures`); a
    # build reads them back into those tables (issue 13)
    "field_origins",
    "captures",
    # where the text came from, as the person adding it knows it: a wire service, an official readout
    # ("originator: Xinhua"); sources sharing an originator count once in the comparison (issue 16)
    "originator",
)
ORIGIN_FIELDS = ("title", "published", "authors", "publisher")
SNAPSHOT_FIELDS = ("snapshot_sha256", "snapshot_type", "extractor", "extractor_version")


@dataclass
class Source:
    slug: str
    text: str
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    date_basis: str | None = None
    retrieved: str | None = None
    language: str | None = None
    authors: list[str] = field(default_factory=list)
    path: str | None = None
    snapshot_sha256: str | None = None
    snapshot_type: str | None = None
    extractor: str | None = None
    extractor_version: str | None = None
    recorded_at: str | None = None
    recorded_by: str | None = None
    field_origins: dict | None = None
    captures: list | None = None
    originator: str | None = None

    @property
    def id(self) -> str:
        return sha256_text(self.text)

    def metadata(self) -> dict:
        meta = {
            k: v
            for k, v in asdict(self).items()
            if k in META_FIELDS and not (k in (*SNAPSHOT_FIELDS, "recorded_at", "recorded_by") and v is None)
            and not (k in ("field_origins", "captures", "originator") and not v)
        }
        meta["sha256"] = self.id
        return meta

    def row(self) -> dict:
        return {
            "id": self.id,
            "slug": self.slug,
            "title": self.title,
            "url": self.url,
            "publisher": self.publisher,
            "published": self.published,
            "date_basis": self.date_basis,
            "retrieved": self.retrieved,
            "language": self.language,
            "authors": list(self.authors),
            "length": len(self.text),
            "text": self.text,
            "path": self.path,
            **{k: getattr(self, k) for k in SNAPSHOT_FIELDS},
        }
