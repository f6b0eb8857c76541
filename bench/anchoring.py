"""Anchoring benchmarks: tolerant matching against plain ``str.find``, and
fuzzy re-anchoring after edits against diff-match-patch's ``match_main``."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from bench.corpus import Generator


@dataclass
class Case:
    text: str
    quote: str  # typed
    exact: str  # the source's own characters
    start: int
    end: int


def sample(n_quotes: int, per_source: int = 10, seed: int = 11) -> list[Case]:
    """``n_quotes`` typed quotes over ``n_quotes / per_source`` generated articles."""
    n_sources = max(1, n_quotes // per_source)
    gen = Generator(n_sources * per_source, n_sources, seed=seed)
    cases = []
    for a in gen.articles():
        for c in a.claims:
            cases.append(Case(a.text, c.quote, a.text[c.start : c.end], c.start, c.end))
    return cases[:n_quotes]


def exact_find(cases: list[Case]) -> int:
    """The baseline: find the exact text and check it occurs once."""
    found = 0
    for c in cases:
        i = c.text.find(c.exact)
        if i != -1 and c.text.find(c.exact, i + 1) == -1:
            found += 1
    return found


def tolerant(cases: list[Case]) -> int:
    """The ledger's anchoring of the typed quotes; returns how many landed on the true span."""
    from ledger.core.anchor import locate

    right = 0
    for c in cases:
        sp = locate(c.text, c.quote)
        right += sp.start == c.start and sp.end == c.end
    return right


def bench_tolerant(n_quotes: int, repeat: int = 3) -> dict:
    from ledger.core.anchor import fold_source

    cases = sample(n_quotes)
    plain_found = sum(1 for c in cases if c.text.find(c.quote) != -1)
    base, cand, right = [], [], 0
    for _ in range(repeat):
        t = time.process_time()
        exact_find(cases)
        base.append(time.process_time() - t)
        fold_source.cache_clear()  # each source is folded inside the timed run
        t = time.process_time()
        right = tolerant(cases)
        cand.append(time.process_time() - t)
    b, c = sorted(base)[len(base) // 2], sorted(cand)[len(cand) // 2]
    return {
        "quotes": len(cases),
        "baseline_seconds": b,
        "seconds": c,
        "ratio": c / b,
        "correct": right / len(cases),
        "typed_found_by_plain_find": plain_found / len(cases),
        "baseline_per_s": len(cases) / b,
        "per_s": len(cases) / c,
    }


# ---------------------------------------------------------------- fuzzy re-anchoring

LETTERS = "abcdefghijklmnopqrstuvwxyz ,.'"


def edit(text: str, rate: float, rng: random.Random) -> tuple[str, list[int]]:
    """Edit ``rate`` of the characters (substitute, delete or insert, at random
    places); return the new text and the map old offset -> new offset."""
    out: list[str] = []
    where = [0] * (len(text) + 1)
    for i, ch in enumerate(text):
        where[i] = len(out)
        if rng.random() < rate:
            op = rng.random()
            if op < 0.5:
                out.append(rng.choice(LETTERS))
            elif op < 0.75:
                pass  # deleted
            else:
                out.append(rng.choice(LETTERS))
                out.append(ch)
        else:
            out.append(ch)
    where[len(text)] = len(out)
    return "".join(out), where


def fuzzy_cases(n: int, rate: float, seed: int = 5):
    rng = random.Random(seed)
    cases = sample(max(n, 10))[:n]
    out = []
    edited_cache: dict[int, tuple[str, list[int]]] = {}
    for c in cases:
        key = id(c.text)
        if key not in edited_cache:
            edited_cache[key] = edit(c.text, rate, rng)
        new, where = edited_cache[key]
        out.append((new, c.exact, c.start, where[c.start], where[c.end]))
    return out


def close_enough(got_start, got_end, want_start, want_end, length) -> bool:
    slack = max(3, length // 20)
    ok = abs(got_start - want_start) <= slack
    if got_end is not None:
        ok = ok and abs(got_end - want_end) <= slack
    return ok


def bench_fuzzy(n: int, rate: float = 0.05, window: int = 1000) -> dict:
    """The ledger's re-anchoring (rapidfuzz, within ``window`` characters of the
    old place) against diff-match-patch match_main, on the same cases."""
    from diff_match_patch import diff_match_patch

    from ledger.core.anchor import relocate

    cases = fuzzy_cases(n, rate)
    dmp = diff_match_patch()
    dmp.Match_MaxBits = 0  # let it take quotes longer than 32 characters
    dmp.Match_Distance = window
    t = time.process_time()
    right = 0
    for new, quote, old_start, s, e in cases:
        got = relocate(new, quote, near=old_start, window=window)
        if got and close_enough(got[0], got[1], s, e, e - s):
            right += 1
    ours = time.process_time() - t
    t = time.process_time()
    dmp_right = 0
    for new, quote, old_start, s, e in cases:
        loc = dmp.match_main(new, quote, old_start)
        if loc != -1 and close_enough(loc, None, s, e, e - s):
            dmp_right += 1
    theirs = time.process_time() - t
    return {
        "quotes": len(cases),
        "edit_rate": rate,
        "seconds": ours,
        "baseline_seconds": theirs,
        "ratio": ours / theirs,
        "correct": right / len(cases),
        "baseline_correct": dmp_right / len(cases),
        "per_s": len(cases) / ours,
        "baseline_per_s": len(cases) / theirs,
    }
