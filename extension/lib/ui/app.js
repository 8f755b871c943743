// The popup as an object: it holds the session state pushed by the background (a full state on
// connect, then keyed patches), and keeps the DOM in step. A patch re-renders the small panels
// and only the list rows whose IOC changed; long lists are paged (PAGE rows at a time).
import { emptyCapabilities } from "../capabilities.js";
import { button, el } from "./dom.js";
import { copyAllText, copyMaliciousText } from "./copy-text.js";
import { exportMenu } from "./export-menu.js";
import { alertBox, countChips, previewBox, progressBox, sourceLine } from "./panels.js";
import { fillRow } from "./rows.js";
import { statusLine } from "./status.js";
import { BadgeCache, viewRows } from "./view.js";
import { typeLabel } from "../keys.js";

export const PAGE = 200;

export class PopupApp {
  /**
   * @param handlers {copy(text, label), send(msg), options(), history(), exportRun(opts), pivots(ioc) -> [{name,url}]}
   */
  constructor(doc, root, handlers, { now = () => Date.now() } = {}) {
    Object.assign(this, { doc, root, handlers, now });
    this.state = null;
    this.host = { version: null, outdated: false, caps: emptyCapabilities() };
    this.view = { sort: "verdict", filter: null, query: "", limit: PAGE, open: new Set(), activeKey: null,
      deselected: new Set() };
    this.cache = new BadgeCache();
    this.nodes = new Map(); // row id -> {li, sig, entry}
    this.rows = [];
    this.exportSig = null;
    this.build();
  }

  get caps() {
    return this.host.caps ?? emptyCapabilities();
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

  // ------------------------------------------------------------------ skeleton (built once)

  build() {
    const d = this.doc;
    const input = el(d, "textarea", { id: "lookup-input", rows: "2", spellcheck: "false",
      placeholder: "One or more indicators, defanged or not" });
    const form = el(d, "form", { id: "lookup-form", class: "lookup-form" },
      el(d, "label", { for: "lookup-input", class: "sr-only" }, "Indicators to look up"), input,
      el(d, "button", { type: "submit", id: "lookup-go" }, "Look up"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.handlers.send({ cmd: "lookup", text });
      input.value = "";
      this.lookupBox.open = false;
    });
    this.lookupBox = el(d, "details", { id: "lookup-box", class: "lookup" },
      el(d, "summary", {}, "Look up indicators (type or paste)"), form);
    this.session = el(d, "div", { id: "session" });
    this.search = el(d, "input", { type: "search", id: "search", placeholder: "Search (/)",
      "aria-label": "Search indicators", autocomplete: "off", spellcheck: "false" });
    this.search.addEventListener("input", () => this.setQuery(this.search.value));
    this.sort = el(d, "select", { id: "sort", "aria-label": "Order" },
      el(d, "option", { value: "verdict" }, "By verdict"), el(d, "option", { value: "type" }, "By type"));
    this.sort.addEventListener("change", () => {
      this.view.sort = this.sort.value === "type" ? "type" : "verdict";
      this.renderList();
    });
    this.chips = el(d, "div", { id: "chips" });
    this.filters = el(d, "div", { class: "filters", id: "filters" }, this.chips,
      el(d, "div", { class: "search-row" }, this.search, this.sort));
    this.copyBad = button(d, "Copy malicious", () => this.handlers.copy(copyMaliciousText(this.rowsAll()),
      "malicious indicators"), { id: "copy-malicious" });
    this.copyAll = button(d, "Copy all", () => this.handlers.copy(copyAllText(this.state, this.rowsAll()),
      "all indicators"), { id: "copy-all", title: "Tab-separated, with a header row" });
    this.refreshBtn = button(d, "Refresh", () => this.handlers.send({ cmd: "refresh" }), { id: "refresh",
      title: "Look up again, bypassing the cache" });
    this.exportSlot = el(d, "div", { class: "export-slot" });
    this.actions = el(d, "div", { class: "toolbar", role: "group", "aria-label": "Results", id: "actions" },
      this.copyBad, this.copyAll, this.exportSlot, this.refreshBtn);
    this.list = el(d, "ul", { id: "ioc-list", class: "ioc-list", "aria-label": "Indicators" });
    this.list.addEventListener("click", (ev) => {
      const row = ev.target.closest?.(".ioc-row");
      if (row) this.toggleOpen(row.getAttribute("data-key"));
    });
    this.more = button(d, "", () => {
      this.view.limit += PAGE;
      this.renderList();
    }, { id: "more", hidden: true });
    this.empty = el(d, "p", { class: "empty", id: "no-iocs", hidden: true }, "No indicators found in this text.");
    const bottom = el(d, "div", { class: "toolbar bottom", role: "group", "aria-label": "More" },
      button(d, "Extract from whole page", () => this.handlers.send({ cmd: "page" }), { id: "whole-page" }),
      button(d, "History", () => this.handlers.history(), { id: "open-history" }),
      button(d, "Options", () => this.handlers.options(), { id: "open-options" }));
    this.root.replaceChildren(this.lookupBox, this.session, this.filters, this.actions, this.list, this.more,
      this.empty, bottom);
  }

  // ------------------------------------------------------------------ messages

  onMessage(msg) {
    if (msg?.type === "state") {
      const newSid = msg.state?.sid ?? null;
      if (newSid !== this.state?.sid) {
        this.view.deselected.clear();
        this.view.open.clear();
        this.view.activeKey = null;
        this.view.limit = PAGE;
      }
      this.state = msg.state ?? null;
      if (msg.host) this.host = { ...this.host, ...msg.host, caps: msg.host.caps ?? this.caps };
      this.cache.clear();
      this.render();
      return true;
    }
    if (msg?.type === "patch") return this.applyPatch(msg);
    return false;
  }

  /**
   * Apply a keyed patch; false when it does not fit (the caller asks for the full state).
   * render: false only merges it (the popup renders once per animation frame).
   */
  applyPatch(patch, { render = true } = {}) {
    const s = this.state;
    if (!s || patch.sid !== s.sid) return false;
    Object.assign(s, patch.fields ?? {});
    if (Array.isArray(patch.iocs)) for (const i of patch.iocs) s.iocs.push(i);
    const keys = Object.keys(patch.results ?? {});
    for (const k of keys) s.results[k] = patch.results[k];
    this.cache.forget(keys);
    if (render) this.render();
    return true;
  }

  // ------------------------------------------------------------------ view changes

  setQuery(q) {
    this.view.query = q;
    this.view.limit = PAGE;
    this.renderList();
  }

  setFilter(k) {
    this.view.filter = k;
    this.view.limit = PAGE;
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
    const row = this.rows.find((r) => r.key === key);
    if (row) this.handlers.copy(row.ioc.value, row.ioc.value);
  }

  /** Move the keyboard focus between rows (roving tabindex). */
  moveFocus(delta, { from = null, absolute = false } = {}) {
    if (!this.rows.length) return;
    let i;
    if (absolute) i = delta < 0 ? this.rows.length - 1 : 0;
    else {
      const at = this.rows.findIndex((r) => r.key === from);
      i = Math.max(0, Math.min(this.rows.length - 1, (at < 0 ? 0 : at) + delta));
    }
    if (i >= this.view.limit) this.view.limit = Math.ceil((i + 1) / PAGE) * PAGE;
    this.view.activeKey = this.rows[i].key;
    this.renderList();
    const node = this.nodes.get(`r:${this.rows[i].key}`);
    const btn = node?.li.querySelector(".ioc-row");
    btn?.focus();
    btn?.scrollIntoView?.({ block: "nearest" });
  }

  rowsAll() {
    if (!this.state) return [];
    return viewRows(this.state, { sort: this.view.sort, filter: null, query: "", iocTypes: this.caps.iocTypes },
      this.cache).rows;
  }

  // ------------------------------------------------------------------ rendering

  render() {
    this.renderSession();
    this.renderList();
  }

  /** Small panels: re-rendered whole; focus is kept on the control with the same data-focus. */
  renderSession() {
    const d = this.doc;
    const focusKey = d.activeElement?.getAttribute?.("data-focus") ?? null;
    const s = this.state;
    const parts = [];
    if (this.host.outdated && (!s || s.error?.kind !== "host_outdated")) {
      parts.push(alertOnly(d, this.ctx(), { kind: "host_outdated", extensionProtocol: null }));
    }
    if (!s) {
      parts.push(el(d, "p", { class: "empty" },
        "Highlight text on a page, right-click and choose \u201cEnrich with SentinelX\u201d, or type indicators above."));
      if (!this.lookupOpened) this.lookupBox.open = true; // once: the user may close it
      this.lookupOpened = true;
    } else {
      // Counts and flags kept per IOC: no pass over every result on each streamed one.
      const ctx = this.ctx({ scan: this.cache.scan(s), outcomes: this.cache.outcomes });
      parts.push(sourceLine(d, s));
      const a = alertBox(d, ctx);
      if (a) parts.push(a);
      parts.push(progressBox(d, ctx));
      if (s.phase === "preview") parts.push(previewBox(d, ctx));
    }
    this.session.replaceChildren(...parts.filter(Boolean));
    if (focusKey) {
      for (const node of this.session.querySelectorAll("[data-focus]")) {
        if (node.getAttribute("data-focus") === focusKey) {
          node.focus();
          break;
        }
      }
    }
    const hasIocs = Boolean(s && s.iocs.length);
    this.filters.hidden = !hasIocs || s.phase === "preview";
    this.actions.hidden = !hasIocs;
    this.refreshBtn.hidden = !(s && s.send.length && ["done", "cancelled", "error"].includes(s.phase));
    this.empty.hidden = !(s && !s.iocs.length && ["done", "cancelled"].includes(s.phase));
    const sig = `${s?.sid}|${s?.runId}|${this.caps.exports.join(",")}`;
    if (sig !== this.exportSig) {
      this.exportSig = sig;
      this.exportSlot.replaceChildren(s ? exportMenu(d, this.ctx()) : "");
    }
  }

  renderList() {
    const d = this.doc;
    const s = this.state;
    if (!s || !s.iocs.length || s.phase === "preview") {
      this.list.replaceChildren();
      this.nodes.clear();
      this.rows = [];
      this.more.hidden = true;
      if (s) this.renderChips(viewRows(s, { ...this.view, iocTypes: this.caps.iocTypes }, this.cache).counts);
      return;
    }
    const { rows, counts } = viewRows(s, { sort: this.view.sort, filter: this.view.filter,
      query: this.view.query, iocTypes: this.caps.iocTypes }, this.cache);
    this.rows = rows;
    this.renderChips(counts);
    const visible = rows.slice(0, this.view.limit);
    // The roving tab stop stays on its row while results stream in; it moves only when that row
    // leaves the view.
    if (!visible.some((r) => r.key === this.view.activeKey)) this.view.activeKey = visible[0]?.key ?? null;
    const active = this.view.activeKey;
    const focusedKey = d.activeElement?.classList?.contains("ioc-row") ? d.activeElement.getAttribute("data-key") : null;
    const ctx = this.ctx();
    const wanted = [];
    let group = null;
    for (const r of visible) {
      if (r.group && r.group !== group) {
        group = r.group;
        wanted.push(this.groupNode(r.group, rows));
      }
      wanted.push(this.rowNode(ctx, r, r.key === active));
    }
    // Keyed reconcile: move only what is out of place, drop what is gone.
    const keep = new Set(wanted);
    for (const [id, n] of this.nodes) {
      if (!keep.has(n.li)) {
        n.li.remove();
        this.nodes.delete(id);
      }
    }
    wanted.forEach((li, i) => {
      if (this.list.childNodes[i] !== li) this.list.insertBefore(li, this.list.childNodes[i] ?? null);
    });
    const hidden = rows.length - visible.length;
    this.more.hidden = hidden <= 0;
    if (hidden > 0) this.more.textContent = `Show ${Math.min(PAGE, hidden)} more (${hidden} not shown)`;
    if (focusedKey && d.activeElement?.getAttribute?.("data-key") !== focusedKey) {
      this.nodes.get(`r:${focusedKey}`)?.li.querySelector(".ioc-row")?.focus();
    }
  }

  renderChips(counts) {
    const focusKey = this.doc.activeElement?.getAttribute?.("data-focus") ?? null;
    this.chips.replaceChildren(countChips(this.doc, this.ctx(), counts));
    if (focusKey?.startsWith("chip:")) {
      for (const b of this.chips.querySelectorAll("[data-focus]")) if (b.getAttribute("data-focus") === focusKey) b.focus();
    }
  }

  groupNode(type, rows) {
    const id = `g:${type}`;
    const n = rows.filter((r) => r.group === type).length;
    const sig = `${n}`;
    let node = this.nodes.get(id);
    if (!node) {
      node = { li: el(this.doc, "li", { class: "group-head", "data-group": type }), sig: null };
      this.nodes.set(id, node);
    }
    if (node.sig !== sig) {
      node.li.replaceChildren(el(this.doc, "h2", {}, `${typeLabel(type)} (${n})`));
      node.sig = sig;
    }
    return node.li;
  }

  rowNode(ctx, row, active) {
    const id = `r:${row.key}`;
    const open = this.view.open.has(row.key);
    const entry = this.state.results[row.key] ?? null;
    const sig = `${row.badge}|${open}|${active}|${this.state.withheld[row.key] ?? ""}|${row.index}`;
    let node = this.nodes.get(id);
    if (!node) {
      node = { li: el(this.doc, "li", {}), sig: null, entry: undefined };
      this.nodes.set(id, node);
    }
    if (node.sig !== sig || node.entry !== entry) {
      fillRow(this.doc, node.li, ctx, row, { open, active });
      node.sig = sig;
      node.entry = entry;
    }
    return node.li;
  }

  /** The live-region line. */
  statusText() {
    if (!this.state) return statusLine(null);
    this.cache.fill(this.state);
    return statusLine(this.state, this.now(), this.cache.outcomes);
  }
}

function alertOnly(doc, ctx, error) {
  const fake = { ...ctx, state: { error, results: {} } };
  return alertBox(doc, fake);
}
