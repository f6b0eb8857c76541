"""A synthetic news corpus for the benchmarks: sources/ + claims/ as a newsroom keeps them.

Articles of about 4,000 characters built from news-like sentences (names,
titles, places, dates, numbers, quotations with curly quotes and em dashes;
some hard-wrapped at 80 columns), and claims whose quotes are typed the way
people type them: straight quotes for curly ones, ``-`` for a dash, an extra
space here and there, a space where the text has a line break. The generator
knows where each quote truly sits, so the anchoring benchmark can check every
span it gets.

Deterministic: the same seed and sizes give byte-identical files.

    python -m bench.corpus --claims 10000 --sources 1000 --files 100 --out /tmp/7/corpus
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

FIRST = (
    "Sokha Chan Dara Vanna Sophea Rith Kosal Malis Bopha Vuthy Ana Bruno Chloe Dmitri Elena Farid Grace "
    "Hiro Ingrid Jamal Kwame Lena Mateo Nadia Omar Priya Quentin Rosa Sven Tariq Uma Viktor Wen Ximena "
    "Yusuf Zara Amara Bilal Carmen Diego Esther Fatima Gustavo Hana Ivan Julia Kenji Leila Marco Nia"
).split()
LAST = (
    "Sokhonn Phea Vong Heng Sok Chea Lim Keo Meas Pich Okafor Novak Silva Tanaka Kowalski Haddad Nguyen "
    "Osei Petrov Larsen Mendes Rahman Schmidt Dubois Costa Moreau Ibrahim Fischer Rossi Ortega Yilmaz "
    "Andersen Kaur Bianchi Adeyemi Volkov Suzuki Nakamura Reyes Lindqvist Abebe Castillo Dimitrov Farouk"
).split()
PLACES = (
    "Phnom Penh,Siem Reap,Battambang,Kampot,Hangzhou,Zhejiang,Kigali,Accra,Lagos,Porto,Lyon,Gdansk,"
    "Tromsø,Valparaíso,Medellín,Cusco,Hanoi,Da Nang,Penang,Surabaya,Cebu,Osaka,Sapporo,Busan,Tbilisi,"
    "Yerevan,Almaty,Tashkent,Izmir,Thessaloniki,Kraków,Brno,Ljubljana,Split,Tartu,Turku,Bergen,Aarhus,"
    "Ghent,Utrecht,Bremen,Graz,Basel,Genoa,Seville,Bilbao,Córdoba,Rosario,Recife,Belém"
).split(",")
ORGS = (
    "Ministry of Finance,Ministry of Health,National Assembly,Electoral Commission,Central Bank,"
    "Port Authority,Water Board,Transport Agency,Statistics Office,Audit Court,Chamber of Commerce,"
    "Teachers' Union,Farmers' Association,Red Cross Society,Football Federation,Science Academy,"
    "Rail Company,Energy Regulator,Housing Fund,Forestry Department"
).split(",")
TITLES = (
    "minister,deputy minister,spokesperson,director,chairman,secretary general,governor,mayor,"
    "president,chief executive,head of research,treasurer,senior adviser,permanent secretary"
).split(",")
THINGS = "stadium,bridge,airport,hospital,port,dam,railway station,library,university,market".split(",")
MONTHS = "January February March April May June July August September October November December".split()
VERBS = "said,told reporters,wrote,added,announced,insisted,warned,explained".split(",")
FILLER_WORDS = (
    "the government plan would cost more than expected and officials were still reviewing figures from "
    "last year while critics argued that the process lacked transparency and residents waited for "
    "answers about schools roads clinics budgets contracts and the timetable for repairs in several "
    "districts after heavy rain in the region during the monsoon season and the council agreed to meet "
    "again next month to discuss a revised proposal with local groups"
).split()
PREDICATES = ("title", "seating_capacity", "said", "visit", "population", "founded", "age", "budget")
GROUP_SUBJECTS_PER_CLAIM = 0.25  # ~4 claims per (subject, predicate) group, several sources each


@dataclass
class Claim:
    subject: str
    predicate: str
    value: str
    quote: str  # as typed
    start: int  # where it truly is (code points, end excluded)
    end: int
    speaker: str | None = None

    def record(self, slug: str, i: int) -> dict:
        rec = {
            "source": slug,
            "subject": self.subject,
            "predicate": self.predicate,
            "value": self.value,
            "quote": self.quote,
            "confidence": round(0.5 + (i % 50) / 100, 2),
            "recorded_by": "bench",
            "recorded_at": "2026-11-29T01:00:00+00:00",
        }
        if self.speaker:
            rec["speaker"] = self.speaker
        return rec


@dataclass
class Article:
    slug: str
    text: str
    meta: dict
    claims: list[Claim]


def typed(exact: str, rng: random.Random) -> str:
    """The quote as a person types it: straight quotes, ``-`` for dashes,
    sometimes an extra space, a space for a line break."""
    t = (
        exact.replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u2014", "-")
        .replace("\n", " ")
    )
    if rng.random() < 0.3 and " " in t:
        k = rng.randrange(t.count(" "))
        i = -1
        for _ in range(k + 1):
            i = t.find(" ", i + 1)
        t = t[:i] + "  " + t[i + 1 :]
    return t


class Generator:
    """Makes articles one at a time (so 1M claims never sit in memory)."""

    def __init__(self, n_claims: int, n_sources: int, seed: int = 7, article_chars: int = 4000):
        self.n_claims = n_claims
        self.n_sources = n_sources
        self.per_source = max(1, n_claims // n_sources)
        self.article_chars = article_chars
        self.seed = seed
        n_subjects = max(20, int(n_claims * GROUP_SUBJECTS_PER_CLAIM / len(PREDICATES)) + 1)
        self.n_subjects = n_subjects

    def person(self, rng: random.Random) -> str:
        k = rng.randrange(self.n_subjects)
        return f"{FIRST[k % len(FIRST)]} {LAST[(k // len(FIRST)) % len(LAST)]}" + (
            f" {k // (len(FIRST) * len(LAST))}" if k >= len(FIRST) * len(LAST) else ""
        )

    def thing(self, rng: random.Random) -> str:
        k = rng.randrange(self.n_subjects)
        return f"{PLACES[k % len(PLACES)]} {THINGS[(k // len(PLACES)) % len(THINGS)]}" + (
            f" No. {k // (len(PLACES) * len(THINGS))}" if k >= len(PLACES) * len(THINGS) else ""
        )

    def place(self, rng: random.Random) -> str:
        k = rng.randrange(self.n_subjects)
        return PLACES[k % len(PLACES)] + (f" district {k // len(PLACES)}" if k >= len(PLACES) else "")

    def date(self, rng: random.Random) -> str:
        return f"{MONTHS[rng.randrange(12)]} {rng.randint(1, 28)}, {rng.randint(1995, 2026)}"

    def filler(self, rng: random.Random) -> str:
        n = rng.randint(12, 28)
        i = rng.randrange(len(FILLER_WORDS) - n)
        words = FILLER_WORDS[i : i + n]
        s = " ".join(words)
        return s[0].upper() + s[1:] + f", according to figures released on {self.date(rng)}."

    def fact(self, rng: random.Random, kind: str):
        """One sentence holding one claim: (sentence, quote, subject, predicate, value, speaker)."""
        if kind == "title":
            p, t, o = self.person(rng), rng.choice(TITLES), rng.choice(ORGS)
            v = f"{t} of the {o}"
            q = f"{p}, the {v}"
            return f"{q}, spoke to journalists on {self.date(rng)}.", q, p, kind, v, None
        if kind == "seating_capacity":
            s, n = self.thing(rng), f"{rng.randint(5, 95)},{rng.randint(0, 999):03d}"
            q = f"the {s} has a seating capacity of {n}"
            return f"Officials said {q}, making it one of the largest in the region.", q, s, kind, n, None
        if kind == "said":
            p, v = self.person(rng), self.filler(rng)[:-1]
            verb = rng.choice(VERBS)
            q = f"\u201c{v},\u201d {p} {verb}"
            return f"{q} \u2014 before leaving the meeting early.", q, p, kind, v, p
        if kind == "visit":
            p, pl = self.person(rng), self.place(rng)
            q = f"{p}\u2019s visit to {pl} will last {rng.randint(2, 9)} days"
            return f"{q}, the ministry confirmed on {self.date(rng)}.", q, p, kind, pl, None
        if kind == "population":
            pl = self.place(rng)
            n = f"{rng.randint(1, 900)},{rng.randint(0, 999):03d}"
            q = f"{pl} has a population of {n} \u2014 up {rng.randint(1, 19)}.{rng.randint(0, 9)}%"
            return f"{q} on the previous census.", q, pl, kind, n, None
        if kind == "founded":
            o, y = rng.choice(ORGS) + f" of {self.place(rng)}", str(rng.randint(1900, 2020))
            q = f"the {o} was founded in {y}"
            return f"Records show {q} by a group of {rng.randint(3, 40)} residents.", q, o, kind, y, None
        if kind == "age":
            p, a = self.person(rng), str(rng.randint(25, 90))
            q = f"{p}, {a}, who has lived in {self.place(rng)} for {rng.randint(2, 40)} years"
            return f"{q}, disagreed with the decision.", q, p, kind, a, None
        # budget
        o = rng.choice(ORGS)
        v = f"${rng.randint(1, 999)}.{rng.randint(1, 9)} million"
        q = f"the {o} will spend {v} on {rng.choice(THINGS)}s"
        return f"Under the plan, {q} over the next {rng.randint(2, 10)} years.", q, o, "budget", v, None

    def article(self, i: int) -> Article:
        rng = random.Random(self.seed * 1_000_003 + i)
        slug = f"s{i:06d}-{PLACES[i % len(PLACES)].lower().encode('ascii', 'ignore').decode() or 'x'}-report"
        slug = slug.replace(" ", "-")
        facts = [self.fact(rng, rng.choice(PREDICATES)) for _ in range(self.per_source)]
        paragraphs = []
        chars = 0
        fi = 0
        while fi < len(facts) or chars < self.article_chars:
            para = []
            for _ in range(rng.randint(2, 4)):
                if fi < len(facts) and rng.random() < 0.6:
                    para.append(("fact", facts[fi]))
                    fi += 1
                else:
                    para.append(("filler", self.filler(rng)))
            paragraphs.append(para)
            chars += sum(len(s[1][0] if s[0] == "fact" else s[1]) + 1 for s in para)
        wrap = rng.random() < 0.2
        text_parts: list[str] = []
        pos = 0
        spans = []  # (fact, start, end) in the final text
        for para in paragraphs:
            line = []
            for kind, item in para:
                sentence = item[0] if kind == "fact" else item
                if line:
                    line.append(" ")
                off = sum(len(x) for x in line)
                if kind == "fact":
                    qs = sentence.index(item[1])
                    spans.append((item, pos + off + qs, pos + off + qs + len(item[1])))
                line.append(sentence)
            ptext = "".join(line)
            if wrap:
                ptext = _wrap(ptext)  # same length: spaces become newlines
            text_parts.append(ptext + "\n\n")
            pos += len(ptext) + 2
        text = "".join(text_parts)
        claims = []
        for (sentence, q, subj, pred, val, speaker), s, e in spans:
            exact = text[s:e]
            if text.count(exact) != 1:
                continue  # never happens in practice; keep quotes unique
            claims.append(Claim(subj, pred, val, typed(exact, rng), s, e, speaker))
        meta = {
            "title": f"Report {i} from {PLACES[i % len(PLACES)]}",
            "url": f"https://news.example.org/{slug}",
            "publisher": ["The Example Post", "Daily Sample", "Metro Wire", "Coastal Herald"][i % 4],
            "published": f"{2000 + i % 26}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "language": "en",
        }
        return Article(slug, text, meta, claims)

    def articles(self):
        for i in range(self.n_sources):
            yield self.article(i)


def _wrap(p: str, width: int = 80) -> str:
    out = list(p)
    last = 0
    for i, ch in enumerate(p):
        if ch == " " and i - last >= width:
            out[i] = "\n"
            last = i
    return "".join(out)


def sidecar(meta: dict, sha: str) -> str:
    # JSON strings are valid YAML double-quoted scalars
    lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items()]
    lines.append(f"sha256: {sha}")
    return "\n".join(lines) + "\n"


def write_corpus(out: Path, n_claims: int, n_sources: int, n_files: int = 1000, seed: int = 7) -> dict:
    """Write ``out/sources`` and ``out/claims`` (``n_files`` JSON Lines files); return counts."""
    import hashlib

    out = Path(out)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "claims").mkdir(parents=True, exist_ok=True)
    gen = Generator(n_claims, n_sources, seed)
    n_files = max(1, min(n_files, n_sources))
    per_file = -(-n_sources // n_files)
    claims = 0
    fh = None
    for a in gen.articles():
        i = int(a.slug[1:7])
        if i % per_file == 0:
            if fh:
                fh.close()
            fh = open(out / "claims" / f"batch-{i // per_file:04d}.jsonl", "w", encoding="utf-8")
        data = a.text.encode("utf-8")
        (out / "sources" / f"{a.slug}.txt").write_bytes(data)
        (out / "sources" / f"{a.slug}.yml").write_text(
            sidecar(a.meta, hashlib.sha256(data).hexdigest()), encoding="utf-8"
        )
        for k, c in enumerate(a.claims):
            fh.write(json.dumps(c.record(a.slug, claims + k), ensure_ascii=False) + "\n")
        claims += len(a.claims)
    if fh:
        fh.close()
    return {"sources": n_sources, "claims": claims, "files": n_files}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=10_000)
    ap.add_argument("--sources", type=int, default=1_000)
    ap.add_argument("--files", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    t = time.perf_counter()
    counts = write_corpus(Path(a.out), a.claims, a.sources, a.files, a.seed)
    print(json.dumps({**counts, "seconds": round(time.perf_counter() - t, 1)}))


if __name__ == "__main__":
    main()
