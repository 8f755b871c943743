// The popup's list, kept in order incrementally: the IOCs that pass the chip filter and the
// search, sorted by verdict or grouped by type. A streamed result moves only its own IOC (two
// binary searches); a batch too large for that, a new phase that changes many badges, or a new
// view is one full sort (TimSort on an almost sorted array), so every frame's work is bounded.
import { comparator, matches, typeRank } from "./view.js";

/** Above this many changed IOCs in one frame (or 1/8 of the list) the list is sorted again whole. */
export const BATCH = 64;

export class ListModel {
  /** @param cache the popup's BadgeCache (the rows are its records) */
  constructor(cache) {
    this.cache = cache;
    this.rows = [];
    this.opts = { sort: "verdict", filter: null, query: "", iocTypes: [] };
    this.sid = undefined;
    this.known = 0; // how many of state.iocs are placed
    this.rank = null; // type -> place, when grouped by type
    this.cmp = comparator();
    this.groupCounts = new Map(); // type -> rows listed of that type
    this.rebuilds = 0; // full sorts so far (the bench reports them)
    this.memo = null;
  }

  passes(state, rec) {
    const { filter, query } = this.opts;
    return (!filter || rec.badge === filter) && (!query || matches(state, rec.ioc, query));
  }

  /** Everything again: another session, sort, chip or search. */
  rebuild(state, opts = this.opts) {
    this.opts = { ...opts, query: opts.query?.trim() ?? "" };
    this.sid = state.sid;
    const dropped = this.cache.sync(state);
    if (dropped) this.cache.forget(dropped);
    this.rank = this.opts.sort === "type" ? typeRank(this.opts.iocTypes, state.iocs) : null;
    this.cmp = comparator(this.rank);
    const rows = [];
    state.iocs.forEach((ioc, n) => {
      const rec = this.cache.info(state, ioc, n);
      if (this.passes(state, rec)) rows.push(rec);
    });
    rows.sort(this.cmp);
    this.rows = rows;
    this.rebuilds += 1;
    this.known = state.iocs.length;
    this.groupCounts.clear();
    if (this.rank) for (const r of rows) this.count(r, 1);
    this.changed();
  }

  /**
   * One frame's changes: `keys`, the IOCs whose results changed, and the IOCs appended to
   * state.iocs since the last call. Returns true when the rows or their order changed.
   */
  update(state, keys = []) {
    const phaseKeys = this.cache.sync(state);
    if (phaseKeys === null || state.sid !== this.sid) {
      this.rebuild(state);
      return true;
    }
    const dirty = new Set(keys);
    for (const k of phaseKeys) dirty.add(k);
    const added = state.iocs.length - this.known;
    if (!dirty.size && added <= 0) return false;
    const newType = this.rank && state.iocs.slice(this.known).some((i) => !this.rank.has(i.type));
    if (newType || dirty.size + added > Math.max(BATCH, this.rows.length / 8)) {
      this.cache.forget(dirty);
      this.rebuild(state);
      return true;
    }
    for (const k of dirty) {
      const old = this.cache.drop(k);
      if (!old) continue; // not placed yet: it is among the appended ones
      this.unlist(old);
      this.enlist(state, this.cache.info(state, old.ioc, old.index));
    }
    for (let n = this.known; n < state.iocs.length; n += 1) this.enlist(state, this.cache.info(state, state.iocs[n], n));
    this.known = state.iocs.length;
    this.changed();
    return true;
  }

  changed() {
    this.memo = null; // the groups are counted again on next use
  }

  count(rec, delta) {
    const t = rec.ioc.type;
    this.groupCounts.set(t, (this.groupCounts.get(t) ?? 0) + delta);
  }

  /** First place whose row does not sort before `rec`. */
  lowerBound(rec) {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(this.rows[mid], rec) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where a record is listed, or -1. */
  indexOf(rec) {
    if (!rec) return -1;
    const i = this.lowerBound(rec);
    return this.rows[i] === rec ? i : -1;
  }

  /** Where the IOC with this key is listed, or -1. */
  indexOfKey(key) {
    return this.indexOf(this.cache.map.get(key));
  }

  enlist(state, rec) {
    if (!this.passes(state, rec)) return;
    this.rows.splice(this.lowerBound(rec), 0, rec);
    if (this.rank) this.count(rec, 1);
  }

  unlist(rec) {
    const i = this.indexOf(rec);
    if (i < 0) return;
    this.rows.splice(i, 1);
    if (this.rank) this.count(rec, -1);
  }

  /** Type groups in list order: [{type, start, count}] (empty unless grouped by type). */
  groups() {
    if (!this.rank) return [];
    if (this.memo) return this.memo;
    const out = [];
    let start = 0;
    for (const type of [...this.rank.keys()].sort((a, b) => this.rank.get(a) - this.rank.get(b))) {
      const count = this.groupCounts.get(type) ?? 0;
      if (!count) continue;
      out.push({ type, start, count });
      start += count;
    }
    this.memo = out;
    return out;
  }
}
