// The IOC list as a virtual list: the <ul> is as tall as every row would be, and only the rows
// in view (plus OVERSCAN above and below) exist, absolutely placed. Closed rows have one fixed
// height (ROW_H, set on the list as --row-h so the CSS and this agree); an open row's height is
// measured by a ResizeObserver (no layout read after a write). The document scrolls, as before;
// the viewport is read once at the start of a frame, before any write.

export const ROW_H = 50;
export const GROUP_H = 32;
export const OVERSCAN = 8;

/** Row tops from the row count, the type groups and the measured open rows. */
export class Geometry {
  /**
   * @param n rows listed
   * @param groups [{start}] in order (a head of GROUP_H before each start)
   * @param extras [[rowIndex, px]] sorted by row: height beyond ROW_H of the open rows
   */
  constructor(n, groups = [], extras = []) {
    Object.assign(this, { n, groups, extras });
    this.total = n * ROW_H + groups.length * GROUP_H + extras.reduce((s, [, px]) => s + px, 0);
  }

  headsUpTo(r) {
    let h = 0;
    for (const g of this.groups) if (g.start <= r) h += 1;
    return h;
  }

  extraBefore(r) {
    let px = 0;
    for (const [i, e] of this.extras) if (i < r) px += e;
    return px;
  }

  top(r) {
    return r * ROW_H + this.headsUpTo(r) * GROUP_H + this.extraBefore(r);
  }

  headTop(g) {
    const s = this.groups[g].start;
    return s * ROW_H + g * GROUP_H + this.extraBefore(s);
  }

  /** The last row whose top is at or above y (0 when there is none). */
  rowAt(y) {
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.top(mid) <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }
}

/** Where the list is in the window: {top: px of the list scrolled past, height: px in view}. */
function measureWindow(ul) {
  const win = ul.ownerDocument?.defaultView;
  const height = Number(win?.innerHeight) > 0 ? win.innerHeight : 600;
  const rect = typeof ul.getBoundingClientRect === "function" ? ul.getBoundingClientRect() : null;
  return { top: Math.max(0, -(Number(rect?.top) || 0)), height };
}

export class VirtualList {
  /**
   * @param ul the list element
   * @param relayout called when measured heights changed (the caller renders the list again)
   * @param measure optional viewport reader (tests)
   */
  constructor(doc, ul, { relayout = () => {}, measure = measureWindow } = {}) {
    Object.assign(this, { doc, ul, relayout, measureFn: measure });
    this.nodes = new Map(); // "r:key" | "g:type" -> {li, sig, entry, top, pos}
    this.extra = new Map(); // row key -> measured px beyond ROW_H (open rows)
    this.keyOf = new WeakMap(); // li -> row key
    this.vp = { top: 0, height: 600 };
    this.geo = new Geometry(0);
    ul.style?.setProperty?.("--row-h", `${ROW_H}px`);
    ul.style?.setProperty?.("--group-h", `${GROUP_H}px`);
    const RO = doc.defaultView?.ResizeObserver;
    this.ro = typeof RO === "function" ? new RO((entries) => this.onResize(entries)) : null;
  }

  /** Read where the list is in view (call before the frame writes anything). */
  measure() {
    this.vp = this.measureFn(this.ul);
    return this.vp;
  }

  /** Rows that fit in the window, for Page Up and Page Down. */
  pageRows() {
    return Math.max(1, Math.floor(this.vp.height / ROW_H) - 1);
  }

  clear() {
    for (const n of this.nodes.values()) this.ro?.unobserve(n.li);
    this.nodes.clear();
    this.ul.replaceChildren();
    this.ul.style?.removeProperty?.("height");
  }

  /**
   * Draw the rows in view.
   * @param model the ListModel
   * @param open Set of open row keys
   * @param rowNode (rec, rowIndex) -> {li, fresh}: the row's node, refilled if it changed
   * @param headNode (group) -> li
   * @param pin a row key kept in the DOM even out of view (the focused row)
   * @returns {first, last, firstVisible, lastVisible} row indexes
   */
  render(model, { open, rowNode, headNode, pin = null }) {
    const rows = model.rows;
    const groups = model.groups();
    const extras = [];
    for (const [key, px] of this.extra) {
      if (!open.has(key)) continue;
      const i = model.indexOfKey(key);
      if (i >= 0) extras.push([i, px]);
    }
    extras.sort((a, b) => a[0] - b[0]);
    const geo = (this.geo = new Geometry(rows.length, groups, extras));
    const { top, height } = this.vp;
    const first = rows.length ? geo.rowAt(Math.max(0, top - OVERSCAN * ROW_H)) : 0;
    const last = rows.length ? geo.rowAt(top + height + OVERSCAN * ROW_H) : -1;
    const firstVisible = rows.length ? Math.max(first, geo.rowAt(top)) : 0;
    const lastVisible = rows.length ? geo.rowAt(top + height) : -1;
    const indexes = [];
    for (let i = first; i <= last; i += 1) indexes.push(i);
    const pinned = pin ? model.indexOfKey(pin) : -1;
    if (pinned >= 0 && (pinned < first || pinned > last)) {
      indexes.push(pinned);
      indexes.sort((a, b) => a - b);
    }
    const wanted = [];
    const setsize = rows.length + groups.length;
    let g = -1;
    for (const i of indexes) {
      while (g + 1 < groups.length && groups[g + 1].start <= i) {
        g += 1;
        // A group's head goes just before its first row, when that row is in the window.
        if (groups[g].start < first || groups[g].start > last) continue;
        const li = headNode(groups[g]);
        this.place(`g:${groups[g].type}`, li, geo.headTop(g), groups[g].start + g + 1, setsize);
        wanted.push(li);
      }
      const rec = rows[i];
      const li = rowNode(rec, i);
      this.keyOf.set(li, rec.key);
      if (open.has(rec.key)) this.ro?.observe(li);
      else {
        this.ro?.unobserve(li);
        this.extra.delete(rec.key);
      }
      this.place(`r:${rec.key}`, li, geo.top(i), i + geo.headsUpTo(i) + 1, setsize);
      wanted.push(li);
    }
    // Keyed reconcile: drop what left the window, move only what is out of place.
    const keep = new Set(wanted);
    for (const [id, n] of this.nodes) {
      if (keep.has(n.li)) continue;
      this.ro?.unobserve(n.li);
      n.li.remove();
      this.nodes.delete(id);
    }
    wanted.forEach((li, i) => {
      if (this.ul.childNodes[i] !== li) this.ul.insertBefore(li, this.ul.childNodes[i] ?? null);
    });
    const h = `${geo.total}px`;
    if (this.ul.style && this.ul.style.height !== h) this.ul.style.height = h;
    return { first, last, firstVisible, lastVisible };
  }

  /** The node record of an id ("r:key" or "g:type"), created empty on first use. */
  node(id) {
    let n = this.nodes.get(id);
    if (!n) {
      n = { li: this.doc.createElement("li"), sig: null, entry: undefined, top: null, pos: null };
      this.nodes.set(id, n);
    }
    return n;
  }

  place(id, li, top, pos, setsize) {
    const n = this.nodes.get(id);
    if (n.top !== top) {
      li.style.top = `${top}px`;
      n.top = top;
    }
    const p = `${pos}/${setsize}`;
    if (n.pos !== p) {
      li.setAttribute("aria-posinset", String(pos));
      li.setAttribute("aria-setsize", String(setsize));
      n.pos = p;
    }
  }

  /** An open row changed height: keep it, and place the rows below it again. */
  onResize(entries) {
    let changed = false;
    for (const e of entries) {
      const key = this.keyOf.get(e.target);
      if (!key || !e.target.isConnected) continue;
      const box = e.borderBoxSize?.[0]?.blockSize ?? e.target.getBoundingClientRect().height;
      const px = Math.max(0, Math.round(box) - ROW_H);
      if (this.extra.get(key) !== px) {
        this.extra.set(key, px);
        changed = true;
      }
    }
    if (changed) this.relayout();
  }
}
