// Which IOCs the popup lists, in which order: sorted by verdict (malicious first) or grouped by
// type, narrowed by a count chip and the search box. BadgeCache keeps, per IOC, its badge, a
// numeric sort key, the counts per badge and per outcome, and which sources are paused or
// rejected a key; a streamed result updates only its own IOC's entries (no pass over 5,000).
import { BADGE_ORDER, badgeKeyFor } from "../badges.js";
import { iocKey, typeOrder } from "../keys.js";
import { isSettled, sendSet } from "../state.js";

const RANK = new Map(BADGE_ORDER.map((k, i) => [k, i]));
// Badges that an IOC with settled results still owes to the session's phase (badges.js).
const PHASE_BADGES = new Set(["queued", "not_sent", "cancelled"]);

/** One IOC's outcome for the status line: answered by a source, failed everywhere, or open. */
function outcomeOf(entry) {
  if (!isSettled(entry)) return "open";
  let failed = false;
  for (const name in entry.providers ?? {}) {
    const status = entry.providers[name].status;
    if (status === "ok") return "answered";
    if (status === "error") failed = true;
  }
  return failed ? "failed" : "answered";
}

export class BadgeCache {
  constructor() {
    this.clear();
  }

  clear() {
    // key -> {key, ioc, index, badge, sort, outcome, paused: [[name, until]] | null, auth, phaseDep}
    this.map = new Map();
    this.counts = {};
    this.outcomes = { answered: 0, failed: 0, open: 0, none: 0 }; // none: not sent
    this.paused = new Map(); // key -> its paused sources, for the IOCs that have one
    this.auth = new Map(); // key -> the source that rejected its key
    this.phase = null;
    this.sid = null;
  }

  /**
   * Follow the session: another session clears everything (returns null); a new phase returns
   * the keys whose badge depends on the phase (drop and recompute those), else [].
   */
  sync(state) {
    if (state.sid !== this.sid) {
      this.clear();
      this.sid = state.sid;
      this.phase = state.phase;
      return null;
    }
    if (state.phase === this.phase) return [];
    this.phase = state.phase;
    const keys = [];
    for (const [k, i] of this.map) if (i.phaseDep) keys.push(k);
    return keys;
  }

  /** The cached facts of one IOC (computed on first use after a change); index: its place in state.iocs. */
  info(state, ioc, index = -1) {
    const key = iocKey(ioc);
    const old = this.map.get(key);
    if (old !== undefined) {
      if (old.ioc === ioc) return old;
      this.drop(key); // the same IOC as another object (a duplicate): counted once
    }
    const entry = state.results[key];
    const badge = badgeKeyFor(state, ioc, key);
    const score = entry?.combined?.score;
    let hasResult = false;
    for (const _ in entry?.providers ?? {}) {
      hasResult = true;
      break;
    }
    const i = { key, ioc, index: index >= 0 ? index : old?.index ?? -1, badge,
      sort: (RANK.get(badge) ?? 99) - (Number.isFinite(score) ? Math.min(score, 1) * 0.5 : 0),
      outcome: sendSet(state).has(key) ? outcomeOf(entry) : "none", paused: null, auth: null, stale: false,
      phaseDep: hasResult ? !isSettled(entry) || PHASE_BADGES.has(badge) : !state.withheld?.[key] };
    if (hasResult) {
      for (const name in entry.providers) {
        const o = entry.providers[name];
        if (o.status !== "error") continue;
        if (o.error?.code === "rate_limited" && typeof o.error.retry_at === "string") (i.paused ??= []).push([name, o.error.retry_at]);
        if (o.error?.code === "auth") i.auth = name;
      }
    }
    this.map.set(key, i);
    this.counts[badge] = (this.counts[badge] ?? 0) + 1;
    this.outcomes[i.outcome] += 1;
    if (i.paused) this.paused.set(key, i.paused);
    if (i.auth) this.auth.set(key, i.auth);
    return i;
  }

  get(state, ioc) {
    return this.info(state, ioc).badge;
  }

  /** Take one IOC out of the counts (its results changed); returns its old record, if any. */
  drop(key) {
    const i = this.map.get(key);
    if (!i) return undefined;
    this.counts[i.badge] -= 1;
    this.outcomes[i.outcome] -= 1;
    this.paused.delete(key);
    this.auth.delete(key);
    i.stale = true;
    this.map.delete(key);
    return i;
  }

  forget(keys) {
    for (const k of keys) this.drop(k);
  }

  /** Fill the cache for every IOC (after a clear), so counts and flags are complete (call sync first). */
  fill(state) {
    if (this.map.size >= state.iocs.length) return;
    state.iocs.forEach((ioc, n) => this.info(state, ioc, n));
  }

  /** What sessionAlert and the status line need, without a pass over every result. */
  scan(state) {
    this.fill(state);
    const paused = [];
    for (const p of this.paused.values()) paused.push(...p);
    const auth = this.auth.values().next().value ?? null;
    return { paused, auth };
  }

  /** The counts per badge that are not zero. */
  liveCounts() {
    const counts = {};
    for (const [k, n] of Object.entries(this.counts)) if (n > 0) counts[k] = n;
    return counts;
  }
}

/** Case-insensitive match over the value, the raw text, the type and the verdict reason. */
export function matches(state, ioc, query) {
  if (!query) return true;
  const q = query.toLowerCase();
  const reason = state.results[iocKey(ioc)]?.combined?.reason ?? "";
  return ioc.value.toLowerCase().includes(q) || String(ioc.raw ?? "").toLowerCase().includes(q)
    || ioc.type === q || reason.toLowerCase().includes(q);
}

/** Order by verdict (then first seen); by type first when `rank` (type -> place) is given. */
export function comparator(rank = null) {
  const byVerdict = (a, b) => a.sort - b.sort || a.index - b.index;
  if (!rank) return byVerdict;
  return (a, b) => (rank.get(a.ioc.type) ?? 99) - (rank.get(b.ioc.type) ?? 99) || byVerdict(a, b);
}

/** type -> its place, in the host's order (first-seen order for types it did not list). */
export function typeRank(iocTypes, iocs) {
  return new Map(typeOrder(iocTypes, iocs).map((t, i) => [t, i]));
}

/**
 * The rows to list, computed from scratch (the popup's list keeps them incrementally:
 * list-model.js; this is for one-off uses such as the copy buttons).
 * @param opts {sort: "verdict"|"type", filter: badgeKey|null, query: string, iocTypes: string[]}
 * @returns {{rows: {key, ioc, badge, index, group?}[], counts: Object<string, number>, total: number}}
 *   Rows are the cache's own records (read them, do not change them).
 */
export function viewRows(state, opts, cache = new BadgeCache()) {
  const dropped = cache.sync(state);
  if (dropped) cache.forget(dropped);
  cache.fill(state);
  const picked = [];
  const query = opts.query?.trim();
  const iocs = state.iocs;
  for (let index = 0; index < iocs.length; index += 1) {
    const info = cache.info(state, iocs[index], index);
    if (opts.filter && info.badge !== opts.filter) continue;
    if (query && !matches(state, info.ioc, query)) continue;
    picked.push(info);
  }
  if (opts.sort === "type") {
    picked.sort(comparator(typeRank(opts.iocTypes, iocs)));
    return { rows: picked.map((r) => ({ ...r, group: r.ioc.type })), counts: cache.liveCounts(), total: iocs.length };
  }
  picked.sort(comparator());
  return { rows: picked, counts: cache.liveCounts(), total: iocs.length };
}
