"""Score the extractor against labelled documents: precision and recall per kind.

A labelled file (YAML) is one document and the claims a careful reader
would propose from it::

    source: sources/hun-sen-meets-xi.txt   # a source file (path from the repo root) ...
    # text: |                              # ... or the text itself
    published: 2024-12-02                  # default: the source's sidecar
    labels:
    - {kind: date, text: today, value: 2024-12-02}
    - {kind: quantity, text: three-day, value: 3, unit: days}
    - {kind: quotation, text: This visit demonstrates, speaker: Kin Phea}
    - {kind: title, text: Kin Phea, director of, subject: Kin Phea, value: director of ...}
    - {kind: event, text: arrived in China, subject: Hun Sen, predicate: visit, from: 2024-12-02, to: 2024-12-04}

``text`` is any passage of the document that lies inside the labelled span
(``occurrence: N`` picks the Nth match). A candidate matches a label when
their spans overlap and their values agree: the normalised date, the number
(and unit, when the label gives one), the speaker, the subject and the
normalised title, or the event's subject, predicate, value and dates. Each
label and each candidate is matched at most once.

The set a document belongs to (``seed``, ``composed``, ...) is the name of
the folder it sits in, so the figures for the real articles and for the
composed passages are reported apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


from ledger.core import codec
from ledger.core import extract as ex
from ledger.core import extract_vocab as vocab
from ledger.core.anchor import locate
from ledger.core.errors import LedgerError
from ledger.core.normalize import fold_name, normalize_title

ROOT = Path(__file__).resolve().parents[2]
EVALUATED = ("date", "quantity", "quotation", "title", "event")
# What the threshold is about; events are scored and reported too.
TARGET_KINDS = ("date", "quantity", "quotation", "title")


class InvalidLabels(LedgerError):
    """A labelled file is malformed or a label does not occur in its text."""


@dataclass
class Label:
    kind: str
    start: int
    end: int
    fields: dict
    where: str


@dataclass
class Document:
    path: str
    set: str
    text: str
    published: dt.date | None
    labels: list[Label]


@dataclass
class KindScore:
    labels: int = 0
    candidates: int = 0
    matched_labels: int = 0
    matched_candidates: int = 0
    misses: list[dict] = field(default_factory=list)
    false_positives: list[dict] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.matched_candidates / self.candidates if self.candidates else None

    @property
    def recall(self) -> float | None:
        return self.matched_labels / self.labels if self.labels else None

    def add(self, other: "KindScore"):
        self.labels += other.labels
        self.candidates += other.candidates
        self.matched_labels += other.matched_labels
        self.matched_candidates += other.matched_candidates
        self.misses += other.misses
        self.false_positives += other.false_positives

    def as_dict(self, details: bool = True) -> dict:
        d = {
            "labels": self.labels,
            "candidates": self.candidates,
            "matched_labels": self.matched_labels,
            "matched_candidates": self.matched_candidates,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
        }
        if details:
            d["misses"] = self.misses
            d["false_positives"] = self.false_positives
        return d


def _round(x):
    return None if x is None else round(x, 4)


OVERALL = {
    # the rows `ledger evaluate` adds under each set: every kind together, and every kind but events (the
    # figure issue 16's targets were first stated in)
    "overall": None,
    "no-event": ("date", "quantity", "quotation", "title"),
}


def overall(scores: dict, kinds=None) -> dict:
    """Counts and precision / recall over several kinds of one set (dicts as in
    ``KindScore.as_dict`` or KindScores): matched candidates over candidates,
    matched labels over labels."""
    keys = ("labels", "candidates", "matched_labels", "matched_candidates")
    got = dict.fromkeys(keys, 0)
    for kind, s in scores.items():
        if kinds is not None and kind not in kinds:
            continue
        if isinstance(s, dict) and not all(k in s for k in keys):
            # an early first run recorded only its ratios (tests/labelled/first-runs.json): no overall figure
            return {**dict.fromkeys(keys), "precision": None, "recall": None}
        for k in keys:
            got[k] += s[k] if isinstance(s, dict) else getattr(s, k)
    got["precision"] = _round(got["matched_candidates"] / got["candidates"]) if got["candidates"] else None
    got["recall"] = _round(got["matched_labels"] / got["labels"]) if got["labels"] else None
    return got


# ---------------------------------------------------------------- loading


def load_document(path: str | Path, root: Path = ROOT) -> Document:
    """Read one labelled file; every label is anchored to its span in the text."""
    path = Path(path)
    shown = str(path)
    try:
        data = codec.safe_load(path.read_text(encoding="utf-8"))
    except codec.YAMLError as e:
        raise InvalidLabels(f"{shown}: malformed YAML: {e}") from None
    if not isinstance(data, dict) or "labels" not in data:
        raise InvalidLabels(f"{shown}: a labelled file is a mapping with `labels:` and `source:` or `text:`")
    published = data.get("published")
    if "text" in data:
        text = data["text"]
    elif "source" in data:
        src = root / data["source"]
        try:
            text = src.read_bytes().decode("utf-8")
        except OSError as e:
            raise InvalidLabels(f"{shown}: cannot read source {data['source']}: {e.strerror}") from None
        side = src.with_suffix(".yml")
        if published is None and side.exists():
            published = (codec.safe_load(side.read_text(encoding="utf-8")) or {}).get("published")
    else:
        raise InvalidLabels(f"{shown}: give the document as `source:` (a file) or `text:`")
    if isinstance(published, str):
        published = ex._parse_published(published)
    if isinstance(published, dt.datetime):
        published = published.date()
    labels = []
    for i, item in enumerate(data["labels"] or [], 1):
        where = f"{shown}: label {i}"
        if not isinstance(item, dict) or item.get("kind") not in EVALUATED or not item.get("text"):
            raise InvalidLabels(f"{where}: needs `kind` (one of {', '.join(EVALUATED)}) and `text`")
        try:
            span = locate(text, str(item["text"]), occurrence=item.get("occurrence"))
        except LedgerError as e:
            raise InvalidLabels(f"{where}: {e}") from None
        fields = {k: _plain(v) for k, v in item.items() if k not in ("kind", "text", "occurrence")}
        labels.append(Label(item["kind"], span.start, span.end, fields, where))
    return Document(shown, path.parent.name, text, published, labels)


def _plain(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return v


def labelled_files(paths) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out += sorted(x for x in p.rglob("*.yml") if x.is_file())
        elif p.exists():
            out.append(p)
        else:
            raise InvalidLabels(f"{p}: no such labelled file or folder")
    return out


# ---------------------------------------------------------------- matching


def _names_equal(a, b, entities=None) -> bool:
    if not a or not b:
        return False
    if fold_name(a) == fold_name(b):
        return True
    if entities is not None:
        ra, rb = entities.resolve(a), entities.resolve(b)
        return bool(ra) and ra == rb
    return False


def agrees(c: vocab.Candidate, label: Label, entities=None) -> bool:
    """Do a candidate's values agree with a label's (spans aside)?"""
    f = label.fields
    if c.kind == "date":
        return str(c.value) == str(f.get("value"))
    if c.kind == "quantity":
        n = (c.normalized or {}).get("value")
        try:
            if n is None or float(n) != float(str(f.get("value")).replace(",", "")):
                return False
        except ValueError:
            return False
        want = f.get("unit")
        return not want or (str((c.normalized or {}).get("unit") or "").lower() == str(want).lower())
    if c.kind == "quotation":
        return _names_equal(c.speaker, f.get("speaker"), entities)
    if c.kind == "title":
        return _names_equal(c.subject, f.get("subject"), entities) and normalize_title(c.value) == normalize_title(
            str(f.get("value"))
        )
    if c.kind == "event":
        if c.predicate != f.get("predicate") or not _names_equal(c.subject, f.get("subject"), entities):
            return False
        if "value" in f:
            want, got = str(f["value"]), str(c.value)
            if not (_names_equal(got, want, entities) or fold_name(want) in fold_name(got) or got == want):
                return False
        for k, attr in (("from", "valid_from"), ("to", "valid_to")):
            if k in f:
                got = getattr(c, attr) or c.as_of
                if str(got) != str(f[k]):
                    return False
        return True
    return False


def score_document(doc: Document, candidates: list[vocab.Candidate], entities=None) -> tuple[dict, dict]:
    """Per-kind scores and, per rule, [correct, proposed] for one document."""
    scores = {k: KindScore() for k in EVALUATED}
    rules: dict[str, list[int]] = {}
    for kind in EVALUATED:
        cands = [c for c in candidates if c.kind == kind]
        labels = [lab for lab in doc.labels if lab.kind == kind]
        s = scores[kind]
        s.labels, s.candidates = len(labels), len(cands)
        used: set[int] = set()
        hit_labels: set[int] = set()
        # exact agreement first, then nearest span
        for li, label in enumerate(labels):
            options = [
                (abs(c.start - label.start) + abs(c.end - label.end), ci)
                for ci, c in enumerate(cands)
                if ci not in used and c.start < label.end and label.start < c.end and agrees(c, label, entities)
            ]
            if options:
                _, ci = min(options)
                used.add(ci)
                hit_labels.add(li)
        s.matched_labels, s.matched_candidates = len(hit_labels), len(used)
        for li, label in enumerate(labels):
            if li not in hit_labels:
                near = [c for c in cands if c.start < label.end and label.start < c.end]
                s.misses.append({
                    "document": doc.path,
                    "text": doc.text[label.start : label.end],
                    "label": label.fields,
                    "overlapping_candidates": [_brief(c) for c in near],
                })
        for ci, c in enumerate(cands):
            r = rules.setdefault(c.rule, [0, 0])
            r[1] += 1
            if ci in used:
                r[0] += 1
            else:
                s.false_positives.append({"document": doc.path, **_brief(c)})
    return scores, rules


def _brief(c: vocab.Candidate) -> dict:
    return {"text": c.text[:120], "rule": c.rule, "subject": c.subject, "predicate": c.predicate,
            "value": c.value[:120], "speaker": c.speaker}


@dataclass
class Report:
    by_set: dict[str, dict[str, KindScore]]
    rules: dict[str, list[int]]
    documents: int

    def total(self) -> dict[str, KindScore]:
        out = {k: KindScore() for k in EVALUATED}
        for scores in self.by_set.values():
            for k, s in scores.items():
                out[k].add(s)
        return out

    def as_dict(self, details: bool = False) -> dict:
        return {
            "documents": self.documents,
            "sets": {name: {k: s.as_dict(details) for k, s in scores.items()} for name, scores in self.by_set.items()},
            "overall": {name: {row: overall(scores, kinds) for row, kinds in OVERALL.items()}
                        for name, scores in list(self.by_set.items()) + [("total", self.total())]},
            "total": {k: s.as_dict(details) for k, s in self.total().items()},
            "rules": {r: {"correct": c, "proposed": n, "precision": _round(c / n), "confidence": calibrated(c, n)}
                      for r, (c, n) in sorted(self.rules.items())},
        }


def calibrated(correct: int, proposed: int) -> float:
    """A rule's confidence from its record: (correct + 1) / (proposed + 2),
    Laplace's rule of succession, so three right out of three is 0.8, not 1."""
    return round((correct + 1) / (proposed + 2), 2)


def evaluate(paths=None, *, entities=None, use_entities: bool = True) -> Report:
    """Run the extractor over every labelled document and score it."""
    if entities is None and use_entities:
        entities = default_entities()
    files = labelled_files(paths or [ROOT / "tests" / "labelled"])
    by_set: dict[str, dict[str, KindScore]] = {}
    rules: dict[str, list[int]] = {}
    for f in files:
        doc = load_document(f)
        cands = ex.extract(doc.text, doc.published, entities=entities)
        scores, r = score_document(doc, cands, entities)
        target = by_set.setdefault(doc.set, {k: KindScore() for k in EVALUATED})
        for k, s in scores.items():
            target[k].add(s)
        for rule, (c, n) in r.items():
            acc = rules.setdefault(rule, [0, 0])
            acc[0] += c
            acc[1] += n
    return Report(by_set, rules, len(files))


def write_calibration(report: Report, path: Path | None = None) -> Path:
    """Store each rule's record (correct, proposed, confidence) where the
    extractor reads its confidences from."""
    path = path or Path(vocab.__file__).with_name(vocab.CALIBRATION_FILE)
    rules = {
        r: {"correct": c, "proposed": n, "confidence": calibrated(c, n)} for r, (c, n) in sorted(report.rules.items())
    }
    header = (
        "# Written by `ledger evaluate --calibrate` from the labelled examples in tests/labelled/: for each rule of\n"
        "# ledger/extract.py, how often its candidates matched a label. confidence = (correct + 1) / (proposed + 2).\n"
        "# Do not edit by hand; tests/test_extract.py checks it is current.\n"
    )
    body = codec.safe_dump({"documents": report.documents, "rules": rules}, sort_keys=False)
    path.write_text(header + body, encoding="utf-8")
    vocab.calibration.cache_clear()
    return path


FIRST_RUNS = ROOT / "tests" / "labelled" / "first-runs.json"


def first_runs(path: Path | None = None) -> dict:
    """The figures each labelled set gave on its first run, before any code was
    changed for it (per set: ``date``, ``extraction`` per kind and, for sets with
    labelled relations, ``relations``): the honest estimate for unseen text."""
    import json

    path = path or FIRST_RUNS
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def default_entities():
    """The repository's entity table, if there is one (names and aliases)."""
    try:
        from ledger.core.entities import Entities, default_path
    except ImportError:
        return None
    path = default_path()
    return Entities.load(path) if path else None
