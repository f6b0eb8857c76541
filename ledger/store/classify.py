"""Classifying a topic's claims: time clusters and value groups by the predicate's profile, then
corroborated, conflicting, change over time or single-source by the independent sources behind each value."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from ledger.core.ids import fact_id
from ledger.core.predicates import Profile
from ledger.store.compare_values import profile, profiles, rule_text

# ------------------------------------------------------------------ classification


def _d(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _window(m: dict, prof: Profile) -> tuple[dt.date, dt.date]:
    lo, hi = dt.date.min, dt.date.max
    s, e = _d(m["time_start"]), _d(m["time_end"])
    if s is None and e is None:
        return lo, hi
    s, e = s or lo, e or hi
    if prof.stability == "stable" and m["time_basis"] in ("as_of", "published"):
        return lo, hi  # the same at every date, unless a claim dates it (valid_from / valid_to)
    if prof.stability == "event" and m["time_basis"] == "published":
        return lo, hi  # a report's date is not its event's: the event's time is unknown
    if prof.temporal == "state" and m["time_basis"] in ("as_of", "published") and m["time_precision"] in ("day", "month"):
        w = dt.timedelta(days=prof.window_days)
        s = s - w if s > lo + w else lo
        e = e + w if e < hi - w else hi
    return s, e


def _clusters(members: list[dict], prof: Profile) -> list[list[dict]]:
    """Members split into groups whose (windowed) times overlap."""
    items = sorted(((m.get("_w") or _window(m, prof), m) for m in members), key=lambda t: (t[0][0], t[0][1], t[1]["claim_id"]))
    out: list[list[dict]] = []
    cur_end = None
    for (s, e), m in items:
        if out and s <= cur_end:
            out[-1].append(m)
            cur_end = max(cur_end, e)
        else:
            out.append([m])
            cur_end = e
    return out


def _value_groups(members: list[dict], prof: Profile) -> list[list[dict]]:
    """Members split by value: equal normalised values; numbers within the
    tolerance; a coarser date joined to the single finer date inside it."""
    if prof.kind == "quantity":
        nums = sorted((m for m in members if m["value_num"] is not None), key=lambda m: (m["unit"] or "", m["value_num"]))
        # each group with whether a member of it is rounded (it is then compared with the wider tolerance)
        groups: list[list[dict]] = []
        rounded: list[bool] = []
        for m in nums:
            r = _approximate(m)
            if groups:
                first = groups[-1][0]
                same_unit = not first["unit"] or not m["unit"] or first["unit"] == m["unit"]
                tol = prof.approximate_tolerance if rounded[-1] or r else prof.tolerance
                if same_unit and abs(m["value_num"] - first["value_num"]) <= tol * max(abs(m["value_num"]), abs(first["value_num"])):
                    groups[-1].append(m)
                    rounded[-1] = rounded[-1] or r
                    continue
            groups.append([m])
            rounded.append(r)
        # a value without a unit joins the (first) group of the same number with one; two groups
        # that both have a unit never merge, so a group with one looks only at those without
        merged: list[list[dict]] = []
        merged_rounded: list[bool] = []
        unitless: list[int] = []  # the merged groups without a unit, in order
        for g, r in zip(groups, rounded):
            g0 = g[0]
            target = None
            for i in range(len(merged)) if not g0["unit"] else unitless:
                h0 = merged[i][0]
                tol = prof.approximate_tolerance if merged_rounded[i] or r else prof.tolerance
                if abs(h0["value_num"] - g0["value_num"]) <= tol * max(abs(h0["value_num"]), abs(g0["value_num"])):
                    target = i
                    break
            if target is not None:
                merged[target].extend(g)
                merged_rounded[target] = merged_rounded[target] or r
            else:
                if not g0["unit"]:
                    unitless.append(len(merged))
                merged.append(g)
                merged_rounded.append(r)
        rest = [m for m in members if m["value_num"] is None]
        by_text: dict[str, list[dict]] = defaultdict(list)
        for m in rest:
            by_text[m["value_norm"]].append(m)
        return merged + list(by_text.values())
    by_norm: dict[str, list[dict]] = defaultdict(list)
    for m in members:
        by_norm[m["value_norm"]].append(m)
    groups = list(by_norm.values())
    if prof.kind == "entity" and len(groups) > 1:
        groups = _containment_groups(groups)
    if prof.kind == "date" and len(groups) > 1:
        rank = {"day": 0, "month": 1, "year": 2, None: 3}

        def width(g):  # days a date covers: a range ("the week of June 9", "June 2-4") is wider than a day in it
            d0, d1 = g[0]["date_start"], g[0]["date_end"]
            return (dt.date.fromisoformat(d1[:10]) - dt.date.fromisoformat(d0[:10])).days if d0 and d1 else 0

        groups.sort(key=lambda g: (rank[g[0]["date_precision"]], width(g)))
        kept: list[list[dict]] = []
        for g in groups:
            g0 = g[0]
            inside = [
                h for h in kept
                if g0["date_start"] and h[0]["date_start"]
                and (rank[g0["date_precision"]] > rank[h[0]["date_precision"]] or width(g) > width(h))
                and g0["date_start"] <= h[0]["date_start"] and h[0]["date_end"] <= g0["date_end"]
            ]
            if len(inside) == 1:
                inside[0].extend(g)
            else:
                kept.append(g)
        groups = kept
    return groups


def _approximate(m: dict) -> bool:
    """A rounded figure ("about", "some"): a group holding one is compared with the profile's wider tolerance."""
    return "approximate" in (m.get("flags") or "")


def _containment_groups(groups: list[list[dict]]) -> list[list[dict]]:
    """Places that lie inside one another agree: a commune joins its
    district's group when the district's is the only group it lies in."""
    def chain(g):
        return next((m.get("scope") for m in g if m.get("scope")), None)

    groups = sorted(groups, key=lambda g: (len((chain(g) or "").split(">")), _display_value(g)))
    kept: list[list[dict]] = []
    for g in groups:
        c = chain(g)
        if c:
            around = [h for h in kept if chain(h) and (c + ">").startswith(chain(h) + ">")]
            if len(around) == 1:
                around[0].extend(g)
                continue
        kept.append(g)
    return kept


def _display_value(g: list[dict]) -> str:
    return g[0]["value_norm"]


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _earliest_key(m: dict, src: dict) -> tuple[str, str, str]:
    s = src[m["source_id"]]
    return s["published"] or "", s["slug"], m["claim_id"]


def _fact_key(topic: str, discriminator: str) -> str:
    return fact_id(topic, discriminator)


def _count_independent(group: list[dict], src: dict) -> int:
    """Mark which claims of a value group count (first per independence
    group, earliest source first); returns the number that count."""
    seen: dict[str, dict] = {}
    for m in sorted(group, key=lambda m: (src[m["source_id"]]["published"] or "", src[m["source_id"]]["slug"], m["claim_id"])):
        s = src[m["source_id"]]
        key = s["independence_key"] or "source:" + s["slug"]
        first = seen.get(key)
        if first is None:
            seen[key] = m
            m["counted"], m["independence_note"] = 1, None
            continue
        m["counted"] = 0
        f = src[first["source_id"]]
        if first["source_id"] == m["source_id"]:
            m["independence_note"] = f"same source as claim {first['claim_id']}"
        elif s.get("originator") and s["originator"] == f.get("originator"):
            m["independence_note"] = f"same originator as {f['slug']} ({s['originator_note']}): counted once"
        elif s["duplicate_of"] == first["source_id"] or f["duplicate_of"] == m["source_id"] or (
            s["duplicate_of"] and s["publisher_key"] != f["publisher_key"]
        ):
            dup = src.get(s["duplicate_of"]) if s["duplicate_of"] else f
            m["independence_note"] = (
                f"near-duplicate text of {dup['slug'] if dup else f['slug']} (syndicated copy; "
                f"{(s['containment'] or f['containment'] or 0):.0%} of shingles shared): counted once"
            )
        elif s["publisher_key"] and s["publisher_key"] == f["publisher_key"]:
            m["independence_note"] = f"same publisher as {f['slug']} ({s['publisher'] or s['publisher_key']}): counted once"
        else:
            m["independence_note"] = f"in one independence group with {f['slug']} ({key}): counted once"
    return len(seen)


def _title_units(members: list[dict], prof: Profile) -> list[tuple[str, list[dict], list[list[dict]]]]:
    """A person's titles, per organisation: the posts of one rank ladder
    (predicates.yml `titles`) form one unit, split by time, whose different
    posts conflict; any other post is its own unit. A title naming no
    organisation joins the one organisation where the person holds that post."""
    profs = profiles()
    parsed = []
    for m in members:
        org, _, post = (m.get("scope") or "|").partition("|")
        parsed.append((org or None, post or m["value_norm"], m))
    orgs_of_post: dict[str, set] = defaultdict(set)
    for org, post, _ in parsed:
        if org:
            orgs_of_post[post].add(org)
    buckets: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for org, post, m in parsed:
        if org is None and len(orgs_of_post.get(post, ())) == 1:
            org = next(iter(orgs_of_post[post]))
        ladder = profs.ladders.get(post)
        key = (org or "", f"ladder:{ladder}" if ladder is not None and org else f"post:{post}")
        m["_post"] = post
        buckets[key].append(m)
    units = []
    for (org, what), ms in sorted(buckets.items()):
        clusters: list[list[dict]] = []
        for cluster in _clusters(ms, prof):
            # the same post reported again later, with no other post between: still held
            if clusters and {m["_post"] for m in clusters[-1]} == {m["_post"] for m in cluster}:
                clusters[-1].extend(cluster)
            else:
                clusters.append(cluster)
        for cluster in clusters:
            by_post: dict[str, list[dict]] = defaultdict(list)
            for m in cluster:
                by_post[m["_post"]].append(m)
            s0, e0 = min(m["_w"][0] for m in cluster), max(m["_w"][1] for m in cluster)
            units.append((f"{org}|{what}@{s0}..{e0}", cluster, list(by_post.values())))
    return units


def classify_topic(topic: str, members: list[dict], src: dict) -> tuple[list[dict], list[dict]]:
    """Classify one topic's active claims; returns (fact rows, member
    updates). ``src`` maps source id -> its slug, publisher, published and
    independence group."""
    prof = profile(members[0]["predicate"])
    for m in members:
        m["_w"] = _window(m, prof)
    facts: list[dict] = []
    units: list[tuple[str, list[dict], list[list[dict]]]] = []  # (discriminator, members, value groups)
    scoped = prof.kind == "title" and any(m.get("scope") for m in members)
    if scoped:
        units = _title_units(members, prof)
    elif prof.cardinality == "one":
        for cluster in _clusters(members, prof):
            disc = f"{min(m['_w'][0] for m in cluster)}..{max(m['_w'][1] for m in cluster)}"
            units.append((disc, cluster, _value_groups(cluster, prof)))
    else:
        for g in _value_groups(members, prof):
            if prof.stability == "event" and prof.kind != "date":
                # the same place or person at times that do not overlap is another event
                for cluster in _clusters(g, prof):
                    s0, e0 = min(m["_w"][0] for m in cluster), max(m["_w"][1] for m in cluster)
                    disc = "value:" + _display_value(g) + ("" if (s0, e0) == (dt.date.min, dt.date.max) else f"@{s0}..{e0}")
                    units.append((disc, cluster, [cluster]))
            else:
                units.append(("value:" + _display_value(g), g, [g]))
    # change over time: values that differ between units whose times do not overlap
    spans = []
    for _, ms, groups in units:
        vals = {m["_post"] for m in ms} if scoped else {_display_value(g) for g in groups}
        spans.append((min(m["_w"][0] for m in ms), max(m["_w"][1] for m in ms), vals))
    # a title changes within its organisation and rank ladder only
    min_end = min(sp[1] for sp in spans)
    max_start = max(sp[0] for sp in spans)
    subject = members[0]["subject_entity"] or members[0]["subject_raw"]
    for i, (disc, ms, groups) in enumerate(units):
        key = _fact_key(topic, disc)
        s0, e0, vals = spans[i]
        changed = False
        if prof.temporal == "state" and (min_end < s0 or max_start > e0):
            # some unit lies wholly before or after this one: a change if its values differ
            changed = any(
                (e < s0 or s > e0) and other != vals for j, (s, e, other) in enumerate(spans)
            )
        values = []
        for gi, g in enumerate(sorted(groups, key=lambda g: (-len(g), _display_value(g)))):
            n_ind = _count_independent(g, src)
            for m in g:
                m["fact_key"], m["value_group"] = key, gi
            first_raw = min(g, key=lambda m: _earliest_key(m, src))["value_raw"]  # earliest source first
            values.append(
                {
                    "value": _display_value(g),
                    "raw": [first_raw] + sorted({m["value_raw"] for m in g} - {first_raw}),
                    "claims": len(g),
                    "sources": len({m["source_id"] for m in g}),
                    "independent_sources": n_ind,
                }
            )
        if len(groups) > 1:
            status, support = "conflicting", None
        else:
            support = "corroborated" if values[0]["independent_sources"] >= 2 else "single-source"
            status = "change-over-time" if changed else support
        times = [(m["time_start"], m["time_end"]) for m in ms]
        starts = [t[0] for t in times if t[0]]
        ends = [t[1] for t in times if t[1]]
        timeline = None
        if changed:
            # as the claims date them (the comparison window is wider for states)
            timeline = []
            for (_, ums, _), (ws, _, v) in sorted(zip(units, spans), key=lambda t: (t[1][0], sorted(t[1][2]))):
                ts = [m["time_start"] for m in ums if m["time_start"]]
                te = [m["time_end"] for m in ums if m["time_end"]]
                timeline.append({"from": min(ts) if ts else None, "to": max(te) if te else None, "values": sorted(v)})
        indep_keys = {src[m["source_id"]]["independence_key"] for m in ms}
        value = values[0]["raw"][0] if len(groups) == 1 else None
        source_count = len({m["source_id"] for m in ms})
        one_value = [{"value": values[0]["value"], "raw": [value], "claims": len(ms),
                      "sources": source_count, "independent_sources": len(indep_keys)}]
        facts.append(
            {
                "fact_key": key,
                "topic": topic,
                "subject_key": members[0]["subject_key"],
                "subject": subject,
                "predicate": members[0]["predicate"],
                "kind": prof.kind,
                "cardinality": prof.cardinality,
                "time_start": min(starts) if starts else None,
                "time_end": max(ends) if ends else None,
                "status": status,
                "support": support,
                "value": value,
                "value_norm": values[0]["value"] if len(groups) == 1 else None,
                "value_count": len(groups),
                "claim_count": len(ms),
                "source_count": source_count,
                "independent_count": len(indep_keys),
                # issue 19: not held when it says no more than the row's own columns (one value, worded
                # one way, counted as the fact is): the view fact_details writes it from them when read
                "values_json": None if values == one_value else _JSON.encode(values),
                "timeline_json": _JSON.encode(timeline) if timeline else None,
                "rule": rule_text(prof),
            }
        )
    return facts, members
