"""The privacy preview: per IOC, what an enrich would send to whom, what the cache answers
and what is withheld (why), and how long the current quotas make the lookups take.

The decisions are the engine's own (`plan.ruled_out`, `plan.checked`, the cache, then the
key), taken in the same order, so preview and enrich always agree. The answer is compact
(PROTOCOL.md "preview"): a page's IOCs share a handful of plans, so each distinct plan is
listed once and every IOC names its plan by index (a 12,000-IOC page: 4.9 MB of rows became
a few hundred KB). Per IOC, the privacy rules are read once, not once per provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sentinelx import config
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.job import Lane, dedupe
from sentinelx.enrichment.models import iso_utc
from sentinelx.enrichment.plan import LOOK_UP, checked, needs_key_missing, ruled_out
from sentinelx.enrichment.service import database, lanes, rules, ttls
from sentinelx.pipeline.models import IOC, IOCType
from sentinelx.protocol.messages import dumps, size_of

# One provider's row in a plan: (provider, action, reason or what it receives).
Row = tuple[str, str, str | None]


def _row(row: Row) -> dict[str, str]:
    name, action, extra = row
    if action == "withheld":
        return {"provider": name, "action": action, "reason": extra or "withheld"}
    if action == "send":
        return {"provider": name, "action": action, "sends": extra or "the value"}
    return {"provider": name, "action": action}


def preview(iocs: Sequence[IOC], *, include_private: bool = False,
            refresh: bool = False) -> dict[str, Any]:
    """`{"plans": [[row, ...]], "iocs": [{type, value, plan}], "estimate": {...}}`: each IOC
    once, in order, with the index of its plan."""
    settings = config.load()
    r = rules(settings, include_private)
    unique = dedupe(iocs)
    refs = [(ioc.type.value, ioc.value) for ioc in unique]
    ruled = [ruled_out(ioc, r) for ioc in unique]
    by_type: dict[IOCType, list[int]] = {}
    for k, ioc in enumerate(unique):
        by_type.setdefault(ioc.type, []).append(k)
    with database() as conn:
        cache = Cache(conn, ttls(settings))
        ls = lanes(conn, settings)
        # Provider by provider (one provider's setup read once): its row for each IOC it takes.
        columns: dict[IOCType, list[list[Row | None]]] = {t: [] for t in by_type}
        to_send: dict[str, int] = {}
        for lane in ls:
            column: list[Row | None] = [None] * len(unique)
            to_send[lane.name] = _decide_lane(lane, unique, refs, ruled, by_type, column, cache,
                                              refresh)
            for t in by_type:
                if lane.provider.supports(t):
                    columns[t].append(column)
        estimate = _estimate(ls, to_send)
    index: dict[tuple[Row | None, ...], int] = {}
    out_iocs = []
    for k, (type_name, value) in enumerate(refs):
        plan = tuple(column[k] for column in columns[unique[k].type])
        out_iocs.append({"type": type_name, "value": value, "plan": index.setdefault(plan, len(index))})
    return {"plans": [[_row(row) for row in plan if row] for plan in index],
            "iocs": out_iocs, "estimate": estimate}


def _decide_lane(lane: Lane, unique: list[IOC], refs: list[tuple[str, str]],
                 ruled: list[str | None], by_type: dict[IOCType, list[int]],
                 column: list[Row | None], cache: Cache, refresh: bool) -> int:
    """Fill `column` with this provider's row for every IOC of a type it takes, in the
    engine's order: disabled, the privacy rules, the value check, the cache, the key.
    Returns how many lookups it would make."""
    name, provider = lane.name, lane.provider
    withheld = {why: (name, "withheld", why) for why in
                ("disabled", "private", "never_send", "unsupported", "bad_request", "no_api_key")}
    looked_up: list[int] = []
    for t, members in by_type.items():
        if not provider.supports(t):
            continue
        if not lane.enabled:
            for k in members:
                column[k] = withheld["disabled"]
            continue
        for k in members:
            if why := ruled[k]:
                column[k] = withheld[why]
            else:
                d = checked(provider, unique[k])
                if d is LOOK_UP:
                    looked_up.append(k)
                else:
                    column[k] = withheld[d.reason or "bad_request"]
    hits = cache.get_many(name, [refs[k] for k in looked_up]) if looked_up and not refresh \
        else {}
    no_key = needs_key_missing(provider)
    sends = {t: (name, "send", provider.SPEC.sends.get(t.value, "the value")) for t in by_type}
    n = 0
    for k in looked_up:
        if refs[k] in hits:
            column[k] = (name, "cached", None)
        elif no_key:
            column[k] = withheld["no_api_key"]
        else:
            column[k] = sends[unique[k].type]
            n += 1
    return n


def _estimate(ls: list[Lane], to_send: dict[str, int]) -> dict[str, Any]:
    """Lookups and quota wait per provider; lanes run in parallel, so the job takes as
    long as its slowest provider."""
    seconds: dict[str, int] = {}
    per_provider: dict[str, dict[str, Any]] = {}
    for lane in ls:
        n = to_send[lane.name]
        status = lane.quota.status()
        paused = status.next_slot_at if not status.granted else None
        seconds[lane.name] = round(lane.quota.estimate(n))
        per_provider[lane.name] = {
            "lookups": n, "seconds": seconds[lane.name],
            "remaining_today": status.remaining_today,
            "paused_until": iso_utc(paused) if status.state.value != "minute_limit" else None,
        }
    return {"lookups": sum(to_send.values()), "seconds": max(seconds.values(), default=0),
            "providers": per_provider}


def wire_parts(out: dict[str, Any], budget: int) -> list[tuple[list[Any], list[dict[str, Any]]]]:
    """`preview()`'s answer cut into self-contained parts of at most ~`budget` bytes of JSON:
    each part carries the plans its own IOCs use, renumbered from 0 (however many distinct
    plans an unevenly filled cache makes, no part outgrows the browser's frame limit)."""
    plans = out["plans"]
    if len(dumps(plans)) + len(dumps(out["iocs"])) <= budget:  # the usual case: one frame
        return [(plans, out["iocs"])]
    sizes = [len(dumps(p)) + 1 for p in plans]
    groups: list[tuple[list[Any], list[dict[str, Any]]]] = []
    local: dict[int, int] = {}  # this part's number of each plan it carries
    size = 0
    for item in out["iocs"]:
        n = item["plan"]
        own = size_of(item) + 1  # its number here is at most its number in `plans`
        cost = own if n in local else own + sizes[n]
        if not groups or (groups[-1][1] and size + cost > budget):
            groups.append(([], []))
            local, size, cost = {}, 0, own + sizes[n]
        part_plans, part_iocs = groups[-1]
        if n not in local:
            local[n] = len(part_plans)
            part_plans.append(plans[n])
        # The first part numbers plans as `plans` does (by first use): its items go as they are.
        part_iocs.append(item if local[n] == n else {**item, "plan": local[n]})
        size += cost
    return groups or [([], [])]
