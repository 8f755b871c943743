// Which IOCs the popup lists, in which order: sorted by verdict (malicious first) or grouped by
// type, narrowed by a count chip and the search box. BadgeCache keeps, per IOC, its badge, a
// numeric sort key, the counts per badge and per outcome, and which sources are paused or
// rejected a key; a streamed result updates only its own IOC's entries (no pass over 5,000).
import { BADGE_ORDER, badgeKeyFor } from "../badges.js";
import { iocKey, typeOrder } from "../keys.js";
import { isSettled, sendSet } from "../state.js";

const RANK = new Map(BADGE_ORDER.map((k, i) => [k, i]));

/** One IOC's outcome for the status line: answered by a source, failed everywhere, or open. */
function outcomeOf(entry) {
  if (!isSettled(entry)) return "open";
  const outcomes = Object.values(entry.providers ?? {});
  if (outcomes.some((o) => o.status === "ok")) return "answered";
  return outcomes.some((o) => o.status === "error") ? "failed" : "answered";
}

export class BadgeCache {
  constructor() {
    this.clear();
  }

  clear() {
    this.map = new Map(); // key -> {key, ioc, badge, sort, outcome, paused: [[name, until]], auth}
    this.byIoc = new WeakMap(); // the same, by IOC object (no key string built per IOC per frame)
    this.counts = {};
    this.outcomes = { answered: 0, failed: 0, open: 0, none: 0 }; // none: not sent
    this.phase = null;
    this.sid = null;
  }

  /** The cached facts of one IOC (computed on first use after a change). */
  info(state, ioc) {
    if (state.phase !== this.phase || state.sid !== this.sid) {
      this.clear();
      this.phase = state.phase;
      this.sid = state.sid;
    }
    let i = this.byIoc.get(ioc);
    if (i !== undefined && !i.stale) return i;
    const key = iocKey(ioc);
    const entry = state.results[key];
    const badge = badgeKeyFor(state, ioc);
    const score = entry?.combined?.score;
    i = { key, ioc, badge, sort: (RANK.get(badge) ?? 99) - (Number.isFinite(score) ? Math.min(score, 1) * 0.5 : 0),
      outcome: sendSet(state).has(key) ? outcomeOf(entry) : "none", paused: [], auth: null, stale: false };
    for (const [name, o] of Object.entries(entry?.providers ?? {})) {
      if (o.status !== "error") continue;
      if (o.error?.code === "rate_limited" && typeof o.error.retry_at === "string") i.paused.push([name, o.error.retry_at]);
      if (o.error?.code === "auth") i.auth = name;
    }
    this.map.set(key, i);
    this.byIoc.set(ioc, i);
    this.counts[badge] = (this.counts[badge] ?? 0) + 1;
    this.outcomes[i.outcome] += 1;
    return i;
  }

  get(state, ioc) {
    return this.info(state, ioc).badge;
  }

  forget(keys) {
    for (const k of keys) {
      const i = this.map.get(k);
      if (!i) continue;
      this.counts[i.badge] -= 1;
      this.outcomes[i.outcome] -= 1;
      i.stale = true;
      this.map.delete(k);
    }
  }

  /** Fill the cache for every IOC (after a clear), so counts and flags are complete. */
  fill(state) {
    for (const ioc of state.iocs) this.info(state, ioc);
  }

  /** What sessionAlert and the status line need, without a pass over every result. */
  scan(state) {
    this.fill(state);
    const paused = [];
    let auth = null;
    for (const i of this.map.values()) {
      if (i.paused.length) paused.push(...i.paused);
      if (i.auth && !auth) auth = i.auth;
    }
    return { paused, auth };
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

/**
 * The rows to list.
 * @param opts {sort: "verdict"|"type", filter: badgeKey|null, query: string, iocTypes: string[]}
 * @returns {{rows: {key, ioc, badge, index, group?}[], counts: Object<string, number>, total: number}}
 *   Rows are the cache's own records (read them, do not change them).
 */
export function viewRows(state, opts, cache = new BadgeCache()) {
  const picked = [];
  const query = opts.query?.trim();
  const iocs = state.iocs;
  for (let index = 0; index < iocs.length; index += 1) {
    const info = cache.info(state, iocs[index]);
    if (opts.filter && info.badge !== opts.filter) continue;
    if (query && !matches(state, info.ioc, query)) continue;
    info.index = index;
    picked.push(info);
  }
  const byVerdict = (a, b) => a.sort - b.sort || a.index - b.index;
  if (opts.sort === "type") {
    const order = typeOrder(opts.iocTypes, state.iocs);
    const rank = new Map(order.map((t, i) => [t, i]));
    picked.sort((a, b) => (rank.get(a.ioc.type) ?? 99) - (rank.get(b.ioc.type) ?? 99) || byVerdict(a, b));
    return { rows: picked.map((r) => ({ ...r, group: r.ioc.type })), counts: liveCounts(cache), total: iocs.length };
  } else {
    picked.sort(byVerdict);
  }
  return { rows: picked, counts: liveCounts(cache), total: iocs.length };
}

function liveCounts(cache) {
  const counts = {};
  for (const [k, n] of Object.entries(cache.counts)) if (n > 0) counts[k] = n;
  return counts;
}
