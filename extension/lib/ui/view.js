// Which IOCs the popup lists, in which order: sorted by verdict (malicious first) or grouped by
// type, narrowed by a count chip and the search box. Pure functions over the session state.
import { BADGE_ORDER, badgeKeyFor } from "../badges.js";
import { iocKey, typeOrder } from "../keys.js";

const RANK = new Map(BADGE_ORDER.map((k, i) => [k, i]));

/** Badge keys cached per IOC key; invalidate the changed keys (or all on a phase change). */
export class BadgeCache {
  constructor() {
    this.map = new Map();
    this.phase = null;
  }

  get(state, ioc) {
    if (state.phase !== this.phase) {
      this.map.clear();
      this.phase = state.phase;
    }
    const key = iocKey(ioc);
    let b = this.map.get(key);
    if (b === undefined) {
      b = badgeKeyFor(state, ioc);
      this.map.set(key, b);
    }
    return b;
  }

  forget(keys) {
    for (const k of keys) this.map.delete(k);
  }

  clear() {
    this.map.clear();
  }
}

function score(state, key) {
  const s = state.results[key]?.combined?.score;
  return Number.isFinite(s) ? s : 0;
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
 * @returns {{rows: {key, ioc, badge, group?}[], counts: Object<string, number>, total: number}}
 */
export function viewRows(state, opts, cache = new BadgeCache()) {
  const counts = {};
  const picked = [];
  state.iocs.forEach((ioc, index) => {
    const b = cache.get(state, ioc);
    counts[b] = (counts[b] ?? 0) + 1;
    if (opts.filter && b !== opts.filter) return;
    if (!matches(state, ioc, opts.query?.trim())) return;
    picked.push({ key: iocKey(ioc), ioc, badge: b, index });
  });
  const byVerdict = (a, b) => (RANK.get(a.badge) ?? 99) - (RANK.get(b.badge) ?? 99)
    || score(state, b.key) - score(state, a.key) || a.index - b.index;
  if (opts.sort === "type") {
    const order = typeOrder(opts.iocTypes, state.iocs);
    const rank = new Map(order.map((t, i) => [t, i]));
    picked.sort((a, b) => (rank.get(a.ioc.type) ?? 99) - (rank.get(b.ioc.type) ?? 99) || byVerdict(a, b));
    for (const r of picked) r.group = r.ioc.type;
  } else {
    picked.sort(byVerdict);
  }
  return { rows: picked, counts, total: state.iocs.length };
}
