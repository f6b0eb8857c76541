"""Predicate profiles: how the comparison treats each predicate, read from a
reviewable file rather than code.

The profiles the ledger ships are in ``ledger/predicates.yml`` (its header
explains every field). A ledger may add predicates, or change a shipped
one, in its own ``predicates.yml`` beside ``entities.yml`` (or the file
$LEDGER_PREDICATES names); entries there replace the shipped entry of the
same name, and its ``titles`` lists are added to the shipped ones.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ledger.core.codec import DuplicateKey, YAMLError, load_unique_keys
from ledger.core.errors import LedgerError
from ledger.core.ids import new_sha256
from ledger.core.normalize import fold_text

FILE_NAME = "predicates.yml"
SHIPPED = Path(__file__).with_name(FILE_NAME)
KINDS = ("date", "quantity", "title", "entity", "text")
VALUES = ("one", "many")
STABILITY = ("stable", "office", "state", "event")
MAX_BYTES = 1024 * 1024


class InvalidPredicates(LedgerError):
    """A predicates file cannot be read, or a profile in it is malformed."""


@dataclass(frozen=True)
class Profile:
    kind: str  # date | quantity | title | entity | text
    cardinality: str  # one | many
    stability: str  # stable | office | state | event
    unit: str | None = None
    tolerance: float = 0.0
    approximate_tolerance: float = 0.0
    units: tuple[tuple[str, float], ...] = ()
    window_days: int = 180
    rule: str | None = None

    @property
    def temporal(self) -> str:
        """``event`` or ``state`` (anything that lasts)."""
        return "event" if self.stability == "event" else "state"

    def factor(self, unit: str | None) -> float | None:
        """The factor from ``unit`` to the profile's unit (None: not equivalent)."""
        for u, f in self.units:
            if u == unit:
                return f
        return None


@dataclass
class Profiles:
    by_name: dict[str, Profile]
    patterns: list[tuple[re.Pattern, Profile]]
    default: Profile
    synonyms: dict[str, str]
    ladders: dict[str, int]
    demonyms: dict[str, str]
    digest: str
    # one word spelled two ways inside any post ("advisor" / "adviser", "councilor" / "councillor")
    spellings: dict[str, str] = field(default_factory=dict)

    def profile(self, predicate: str) -> Profile:
        p = self.by_name.get(predicate)
        if p is not None:
            return p
        for pattern, prof in self.patterns:
            if pattern.search(predicate):
                return prof
        return self.default


def _read(path: Path) -> tuple[dict, bytes]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidPredicates(f"{path}: cannot read the predicates file: {e.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InvalidPredicates(f"{path}: the predicates file is larger than {MAX_BYTES} bytes")
    try:
        # the entities file's loader: safe, and a duplicate key is refused rather than the last one kept
        doc = load_unique_keys(data.decode("utf-8")) or {}
    except DuplicateKey as e:
        raise InvalidPredicates(f"{path}: {e}") from None
    except (YAMLError, UnicodeDecodeError) as e:
        raise InvalidPredicates(f"{path}: not valid YAML: {e}") from None
    if not isinstance(doc, dict):
        raise InvalidPredicates(f"{path}: expected a mapping with `predicates:`")
    unknown = set(doc) - {"defaults", "predicates", "patterns", "default", "titles"}
    if unknown:
        raise InvalidPredicates(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    return doc, data


_FIELDS = {"kind", "values", "stability", "unit", "units", "tolerance", "approximate_tolerance", "window_days", "rule"}


def _profile(item, defaults: dict, where: str) -> Profile:
    if not isinstance(item, dict):
        raise InvalidPredicates(f"{where}: a profile is a mapping (kind, values, stability, ...)")
    unknown = set(item) - _FIELDS
    if unknown:
        raise InvalidPredicates(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_FIELDS))}")
    kind, values, stability = item.get("kind"), item.get("values", "many"), item.get("stability", "state")
    if kind not in KINDS:
        raise InvalidPredicates(f"{where}: `kind` must be one of {', '.join(KINDS)}, not {kind!r}")
    if values not in VALUES:
        raise InvalidPredicates(f"{where}: `values` must be one or many, not {values!r}")
    if stability not in STABILITY:
        raise InvalidPredicates(f"{where}: `stability` must be one of {', '.join(STABILITY)}, not {stability!r}")
    units = item.get("units") or {}
    if not isinstance(units, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in units.values()):
        raise InvalidPredicates(f"{where}: `units` maps each unit to its (positive) factor, e.g. {{km: 1, mi: 1.609344}}")
    unit = item.get("unit")
    if unit is None and units:
        unit = next((u for u, f in units.items() if f == 1), None)
    nums = {}
    for k in ("tolerance", "approximate_tolerance", "window_days"):
        v = item.get(k, defaults.get(k, 0))
        if not isinstance(v, (int, float)) or v < 0:
            raise InvalidPredicates(f"{where}: `{k}` must be a number >= 0, not {v!r}")
        nums[k] = v
    tol = nums["tolerance"] if kind == "quantity" else 0.0
    return Profile(
        kind=kind,
        cardinality=values,
        stability=stability,
        unit=unit,
        tolerance=float(tol),
        approximate_tolerance=float(max(nums["approximate_tolerance"], tol)) if kind == "quantity" else 0.0,
        units=tuple(sorted((str(u), float(f)) for u, f in units.items())),
        window_days=int(nums["window_days"]),
        rule=str(item["rule"]) if item.get("rule") else None,
    )


def _norm_post(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s-]", " ", fold_text(text).casefold()).replace("-", " ").split())


def load(user_path: str | Path | None = None) -> Profiles:
    """The shipped profiles, with a ledger's own file (if any) on top."""
    docs = [(SHIPPED, *_read(SHIPPED))]
    if user_path is not None and Path(user_path).resolve() != SHIPPED.resolve():
        docs.append((Path(user_path), *_read(Path(user_path))))
    by_name: dict[str, Profile] = {}
    patterns: list[tuple[re.Pattern, Profile]] = []
    default = None
    synonyms: dict[str, str] = {}
    ladders: dict[str, int] = {}
    demonyms: dict[str, str] = {}
    spellings: dict[str, str] = {}
    digest = new_sha256()
    for path, doc, data in docs:
        digest.update(data)
        defaults = {"tolerance": 0.01, "approximate_tolerance": 0.05, "window_days": 180}
        defaults.update(doc.get("defaults") or {})
        for name, item in (doc.get("predicates") or {}).items():
            if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", str(name)):
                raise InvalidPredicates(f"{path}: predicate {name!r}: names are lower_snake_case, as in claim files")
            by_name[str(name)] = _profile(item, defaults, f"{path}: predicate {name}")
        user_patterns = []
        for i, p in enumerate(doc.get("patterns") or [], 1):
            where = f"{path}: pattern {i}"
            if not isinstance(p, dict) or "match" not in p or "profile" not in p:
                raise InvalidPredicates(f"{where}: a pattern is {{match: REGEX, profile: {{...}}}}")
            try:
                rx = re.compile(str(p["match"]))
            except re.error as e:
                raise InvalidPredicates(f"{where}: `match` is not a regular expression: {e}") from None
            user_patterns.append((rx, _profile(p["profile"], defaults, where)))
        patterns = user_patterns + patterns  # a ledger's own patterns are tried first
        if doc.get("default") is not None:
            default = _profile(doc["default"], defaults, f"{path}: default")
        titles = doc.get("titles") or {}
        for group in titles.get("synonyms") or []:
            names = [_norm_post(str(s)) for s in group]
            for n in names:
                synonyms[n] = names[0]
        for group in titles.get("ladders") or []:
            idx = len(set(ladders.values())) + 1
            for s in group:
                ladders[_norm_post(str(s))] = idx
        for k, v in (titles.get("demonyms") or {}).items():
            demonyms[str(k).casefold()] = str(v)
        for k, v in (titles.get("spellings") or {}).items():
            spellings[_norm_post(str(k))] = _norm_post(str(v))
    if default is None:
        raise InvalidPredicates(f"{SHIPPED}: needs a `default:` profile")
    return Profiles(by_name, patterns, default, synonyms, ladders, demonyms, "sha256:" + digest.hexdigest(), spellings)


def default_path(cwd: str | Path | None = None) -> Path | None:
    """A ledger's own predicates file: $LEDGER_PREDICATES, else ./predicates.yml, else None."""
    env = os.environ.get("LEDGER_PREDICATES")
    if env:
        return Path(env)
    p = Path(cwd or Path.cwd()) / FILE_NAME
    return p if p.is_file() else None


@lru_cache(maxsize=8)
def _cached(path: str | None, mtime: float | None) -> Profiles:
    return load(path)


def current() -> Profiles:
    """The profiles in force here (re-read when the ledger's file changes)."""
    p = default_path()
    if p is None:
        return _cached(None, None)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = None
    return _cached(str(p), mtime)


# ------------------------------------------------------------------ titles as (post, organisation)

_LEADING = re.compile(r"^(?:the|a|an|its|his|her|their)\s+", re.I)


def split_title(title: str, profiles: Profiles, resolve) -> tuple[str, str | None]:
    """A title's post (its synonym group's name) and the organisation it names
    (an entity key from ``resolve(name)``, or None): "Cambodian People's Party
    (CPP) President" -> ("president", "cambodian-peoples-party"); "Chinese
    Foreign Minister" -> ("foreign minister", "china")."""
    t = re.sub(r"\s*\([^)]*\)", "", fold_text(title)).strip()
    t = _LEADING.sub("", t)
    # "Adviser on Commerce" is the "Commerce Adviser": a post's field after "on" moves before it
    # ("Advisor to the Prime Minister on Commerce" -> "Commerce Advisor to the Prime Minister")
    on = re.search(r"\s+on\s+(?:the\s+)?([\w'’&-]+(?:\s+(?:and\s+)?[\w'’&-]+){0,3})$", t, re.I)
    if on and not re.search(r"\s(?:of|at|to|for)\s", on.group(1)):
        t = f"{on.group(1)} {t[: on.start()]}"
    org = None
    post = t
    splits = [m for m in re.finditer(r"\s+(?:of|at|to|for)\s+(?:the\s+)?", t, re.I)]
    if splits:
        # "Minister of Foreign Affairs of the People's Republic of China": the first split whose
        # organisation (or its head, "Senate" of "Senate of the Kingdom of Cambodia") is known
        post, org_text = t[: splits[0].start()], t[splits[0].end() :]
        for m in splits:
            rest = t[m.end() :]
            head = re.split(r"\s+(?:of|at|in)\s+", rest, maxsplit=1, flags=re.I)[0]
            got = resolve(rest) or resolve(head) or _demonym(head, profiles, resolve)
            if got:
                post, org_text, org = t[: m.start()], rest, got
                break
        if org is None:
            # no organisation is known: the longest reading whose post is a known post ("Minister of Foreign
            # Affairs" is the foreign minister, not a "minister" of an organisation called "Foreign Affairs")
            if _norm_post(t) in profiles.synonyms:
                post, org_text = t, None
            else:
                for m in reversed(splits):
                    if _norm_post(t[: m.start()]) in profiles.synonyms and m is not splits[0]:
                        post, org_text = t[: m.start()], t[m.end() :]
                        break
            org = "~" + _norm_post(org_text) if org_text else None
    else:
        # "Senate President", "Cambodia's Deputy Prime Minister", "Chinese Foreign Minister"
        words = t.split()
        for i in range(len(words) - 1, 0, -1):
            head, tail = " ".join(words[:i]), " ".join(words[i:])
            head_plain = re.sub(r"(?:'s|’s)$", "", head)
            got = resolve(head_plain) or _demonym(head_plain, profiles, resolve)
            if got:
                org, post = got, tail
                break
    on = re.search(r"\s+on\s+(?:the\s+)?([\w'’&-]+(?:\s+(?:and\s+)?[\w'’&-]+){0,3})$", post, re.I)
    if on:
        post = f"{on.group(1)} {post[: on.start()]}"
    key = _norm_post(post)
    if profiles.spellings:
        key = " ".join(profiles.spellings.get(w, w) for w in key.split())
    key = profiles.synonyms.get(key, key)
    return key, org


def _demonym(text: str, profiles: Profiles, resolve) -> str | None:
    country = profiles.demonyms.get(text.strip().casefold())
    if country is None:
        return None
    return resolve(country) or "~" + _norm_post(country)


def same_ladder(a: str, b: str, profiles: Profiles) -> bool:
    la, lb = profiles.ladders.get(a), profiles.ladders.get(b)
    return la is not None and la == lb
