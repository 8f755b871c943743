// The popup as an object: it holds the session state pushed by the background (a full state on
// connect, then keyed patches) and keeps the DOM in step. A patch only records what changed;
// the next frame moves those IOCs in the ordered list (list-model.js), redraws the small panels
// and refills the rows in view whose IOC changed. The list is virtual (virtual-list.js): only
// the rows in view exist in the DOM, whatever the number of IOCs.
import { emptyCapabilities } from "../capabilities.js";
import { typeLabel } from "../keys.js";
import { el } from "./dom.js";
import { ListModel } from "./list-model.js";
import { fillRow } from "./rows.js";
import { renderChips, renderSession } from "./session-view.js";
import { buildSkeleton } from "./skeleton.js";
import { statusLine } from "./status.js";
import { BadgeCache, viewRows } from "./view.js";
import { VirtualList } from "./virtual-list.js";

export class PopupApp {
  /**
   * @param handlers {copy(text, label), send(msg), options(), history(), exportRun(opts), pivots(ioc) -> [{name,url}]}
   * @param options.measure the list's viewport reader (tests; default: the window)
   */
  constructor(doc, root, handlers, { now = () => Date.now(), measure } = {}) {
    Object.assign(this, { doc, root, handlers, now });
    this.state = null;
    this.host = { version: null, outdated: false, caps: emptyCapabilities() };
    this.view = { sort: "verdict", filter: null, query: "", open: new Set(), activeKey: null, deselected: new Set() };
    this.cache = new BadgeCache();
    this.model = new ListModel(this.cache);
    this.dirty = new Set(); // keys whose results changed since the last frame
    this.stale = true; // the model must be rebuilt (new state, sort, chip, search)
    this.exportSig = null;
    this.chipsSig = null;
    buildSkeleton(this);
    this.vlist = new VirtualList(doc, this.list, { relayout: () => this.renderList(), measure });
  }

  get caps() {
    return this.host.caps ?? emptyCapabilities();
  }

  /** The rows listed, in order (the model's records: read them, do not change them). */
  get rows() {
    return this.model.rows;
  }

  ctx(extra = {}) {
    const app = this;
    return {
      ...extra,
      state: this.state, caps: this.caps, view: this.view, now: this.now(),
      handlers: {
        copy: (t, l) => this.handlers.copy(t, l),
        options: () => this.handlers.options(),
        retry: () => this.handlers.send({ cmd: "retry" }),
        cancel: () => this.handlers.send({ cmd: "cancel" }),
        confirm: (keys) => this.handlers.send({ cmd: "confirm", keys }),
        quotaReset: (provider) => this.handlers.send({ cmd: "quota_reset", provider }),
        toggle(key, on) {
          if (on) app.view.deselected.delete(key);
          else app.view.deselected.add(key);
          app.renderSession();
        },
        filter: (k) => this.setFilter(k),
        exportRun: (opts) => this.handlers.exportRun(opts),
        pivots: (ioc) => this.handlers.pivots?.(ioc) ?? [],
      },
    };
  }

  // ------------------------------------------------------------------ messages

  onMessage(msg) {
    if (msg?.type === "state") {
      const newSid = msg.state?.sid ?? null;
      if (newSid !== this.state?.sid) {
        this.view.deselected.clear();
        this.view.open.clear();
        this.view.activeKey = null;
      }
      this.state = msg.state ?? null;
      if (msg.host) this.host = { ...this.host, ...msg.host, caps: msg.host.caps ?? this.caps };
      this.cache.clear();
      this.vlist.clear();
      this.dirty.clear();
      this.stale = true;
      this.render();
      return true;
    }
    if (msg?.type === "patch") return this.applyPatch(msg);
    return false;
  }

  /**
   * Merge a keyed patch; false when it does not fit (the caller asks for the full state).
   * render: false only merges it (the popup renders once per animation frame).
   */
  applyPatch(patch, { render = true } = {}) {
    const s = this.state;
    if (!s || patch.sid !== s.sid) return false;
    Object.assign(s, patch.fields ?? {});
    if (Array.isArray(patch.iocs)) for (const i of patch.iocs) s.iocs.push(i);
    for (const k of Object.keys(patch.results ?? {})) {
      s.results[k] = patch.results[k];
      this.dirty.add(k);
    }
    if (render) this.render();
    return true;
  }

  /** Bring the ordered list up to date with what was merged (bounded: see list-model.js). */
  syncModel() {
    const s = this.state;
    if (!s) return;
    // The preview hides the list: its rows (12,000 on a big page) are brought up to date
    // when it shows again, not while the user reads what will be sent.
    if (s.phase === "preview") return;
    const opts = { sort: this.view.sort, filter: this.view.filter, query: this.view.query, iocTypes: this.caps.iocTypes };
    const dirty = this.dirty.size;
    if (this.stale) {
      this.cache.forget(this.dirty);
      this.model.rebuild(s, opts);
    } else {
      this.model.update(s, this.dirty);
    }
    // What the last frame had to do, for the bench's notes on slow frames (popup.js).
    if (dirty || this.stale) this.lastSync = { dirty, rebuilds: this.model.rebuilds, rows: this.model.rows.length };
    this.stale = false;
    this.dirty.clear();
  }

  // ------------------------------------------------------------------ view changes

  setQuery(q) {
    this.view.query = q;
    this.stale = true;
    this.renderList();
  }

  setFilter(k) {
    this.view.filter = k;
    this.stale = true;
    this.renderList();
  }

  setSort(sort) {
    this.view.sort = sort;
    this.stale = true;
    this.renderList();
  }

  toggleOpen(key) {
    if (!key) return;
    if (this.view.open.has(key)) this.view.open.delete(key);
    else this.view.open.add(key);
    this.view.activeKey = key;
    this.renderList();
  }

  copyKey(key) {
    const i = this.model.indexOfKey(key);
    if (i >= 0) this.handlers.copy(this.rows[i].ioc.value, this.rows[i].ioc.value);
  }

  /** Move the keyboard focus between rows (roving tabindex); the row is drawn if out of view. */
  moveFocus(delta, { from = null, absolute = false } = {}) {
    if (!this.rows.length) return;
    let i;
    if (absolute) i = delta < 0 ? this.rows.length - 1 : 0;
    else {
      const at = this.model.indexOfKey(from);
      i = Math.max(0, Math.min(this.rows.length - 1, (at < 0 ? 0 : at) + delta));
    }
    const key = this.rows[i].key;
    this.view.activeKey = key;
    this.renderList({ pin: key });
    const btn = this.vlist.nodes.get(`r:${key}`)?.li.querySelector(".ioc-row");
    btn?.focus({ preventScroll: true });
    btn?.scrollIntoView?.({ block: "nearest" });
  }

  /** Rows in one screen of the list (Page Up / Page Down). */
  pageRows() {
    return this.vlist.pageRows();
  }

  rowsAll() {
    if (!this.state) return [];
    this.syncModel();
    return viewRows(this.state, { sort: this.view.sort, filter: null, query: "", iocTypes: this.caps.iocTypes },
      this.cache).rows;
  }

  // ------------------------------------------------------------------ rendering

  /** One frame: read the list's place in the window first, then write. */
  render() {
    this.vlist.measure();
    this.syncModel();
    this.renderSession();
    this.renderList({ measured: true });
  }

  renderSession() {
    this.syncModel();
    renderSession(this);
  }

  /** The rows in view; `pin` keeps a row drawn out of view (the one getting the focus). */
  renderList({ pin = null, measured = false } = {}) {
    const d = this.doc;
    const s = this.state;
    if (!measured) this.vlist.measure();
    this.syncModel();
    if (s) renderChips(this, this.cache.liveCounts());
    if (!s || !s.iocs.length || s.phase === "preview") {
      this.vlist.clear();
      return;
    }
    const focused = d.activeElement?.classList?.contains("ioc-row") && this.list.contains(d.activeElement)
      ? d.activeElement.getAttribute("data-key") : null;
    const ctx = this.ctx();
    const hold = pin ?? focused;
    let active = this.view.activeKey;
    const draw = () => this.vlist.render(this.model, {
      open: this.view.open, pin: hold,
      rowNode: (rec, i) => this.rowNode(ctx, rec, i, rec.key === active),
      headNode: (g) => this.groupNode(g),
    });
    const r = draw();
    // The roving tab stop stays on its row while results stream in; it moves to the first row
    // in view when its row is filtered out, or scrolled out of view while it has no focus.
    const at = this.model.indexOfKey(active);
    if (at < 0 || (active !== hold && (at < r.first || at > r.last))) {
      const next = this.rows[r.firstVisible]?.key ?? this.rows[0]?.key ?? null;
      if (next !== active) {
        active = this.view.activeKey = next;
        draw();
      }
    }
    if (focused && d.activeElement?.getAttribute?.("data-key") !== focused) {
      this.vlist.nodes.get(`r:${focused}`)?.li.querySelector(".ioc-row")?.focus({ preventScroll: true });
    }
  }

  groupNode(group) {
    const node = this.vlist.node(`g:${group.type}`);
    const sig = `${group.count}`;
    if (node.sig !== sig) {
      node.li.className = "group-head";
      node.li.setAttribute("data-group", group.type);
      node.li.replaceChildren(el(this.doc, "h2", {}, `${typeLabel(group.type)} (${group.count})`));
      node.sig = sig;
    }
    return node.li;
  }

  rowNode(ctx, row, index, active) {
    const node = this.vlist.node(`r:${row.key}`);
    const open = this.view.open.has(row.key);
    const entry = this.state.results[row.key] ?? null;
    const sig = `${row.badge}|${open}|${active}|${this.state.withheld[row.key] ?? ""}|${row.index}`;
    if (node.sig !== sig || node.entry !== entry) {
      fillRow(this.doc, node.li, ctx, row, { open, active });
      node.sig = sig;
      node.entry = entry;
    }
    return node.li;
  }

  /** Refill the open rows (their details), e.g. once the providers' renderers are loaded. */
  refreshOpen() {
    for (const key of this.view.open) {
      const node = this.vlist.nodes.get(`r:${key}`);
      if (node) node.sig = null;
    }
    this.renderList();
  }

  /** The live-region line. */
  statusText() {
    if (!this.state) return statusLine(null);
    this.cache.fill(this.state);
    return statusLine(this.state, this.now(), this.cache.outcomes);
  }
}
