// SentinelX on-page highlights, part 4 of 4: injected with scripting.executeScript({files}) after
// content/highlight-map.js, -dom.js and -card.js, into the tab where the user invoked SentinelX
// (activeTab), in the extension's ISOLATED world. The page's scripts share the DOM but not this
// script's globals, listeners or data: verdicts, reasons and provider lines live only here and
// in the closed shadow root of the card. The background (lib/highlight.js) sends
// {sx: "hl", op: "init" | "update" | "clear" | "stats"} messages; see docs/highlights.md.
// Classic scripts (no imports): executeScript({files}) cannot load modules.
(() => {
  "use strict";
  const G = globalThis;
  if (G.__sentinelxHighlight) return; // injected again into the same document: reuse it
  const { LIMITS, fold, mapItems } = G.__sentinelxParts.map;
  const { readEntry, liveRange, hits, caretAt, wrapRange, unwrap } = G.__sentinelxParts.dom;
  const { GROUPS, makeCard, fillCard, placeCard } = G.__sentinelxParts.card;

  // ------------------------------------------------------------------ painting

  class Highlighter {
    constructor(doc, env = {}) {
      this.doc = doc;
      this.win = doc.defaultView;
      this.env = env; // {send(msg), forceWrap, clipboard}
      this.items = new Map(); // key -> item
      this.entries = []; // {key, group, sr (StaticRange|Range), wraps?}
      this.byNode = new Map(); // text node -> entries touching it
      this.names = null; // group -> random highlight name
      this.mode = null; // "highlight" | "wrap"
      this.card = null;
      this.stats = null;
      this.onMove = (e) => this.pointer(e);
      this.onKey = (e) => this.key(e);
      this.onSel = () => this.selection();
      this.moveQueued = null;
    }

    supportsHighlights() {
      const w = this.win;
      if (this.env.forceWrap || !(w && w.CSS && w.CSS.highlights && typeof w.Highlight === "function")) return false;
      // Firefox 140-145 has the API but paints no text-decoration in ::highlight() (bug 1845446):
      // the underline is the non-colour cue, so those versions wrap instead.
      const ff = /\bFirefox\/(\d+)/.exec(w.navigator?.userAgent ?? "");
      return !(ff && Number(ff[1]) < 146);
    }

    init(msg) {
      this.clear(false);
      this.names = sanitizeNames(msg.names);
      if (!this.names) return { ok: false, error: "bad names" };
      this.mode = this.supportsHighlights() ? "highlight" : "wrap";
      const items = (Array.isArray(msg.items) ? msg.items : []).slice(0, LIMITS.maxItems);
      for (const it of items) if (it && typeof it.key === "string") this.items.set(it.key, it);
      const list = [...this.items.values()];
      const t0 = this.win?.performance?.now?.() ?? 0;
      const mapped = mapItems(this.doc.body ?? this.doc.documentElement, list);
      const t1 = this.win?.performance?.now?.() ?? 0;
      for (const p of mapped.points) this.addEntry(list[p.item].key, p);
      if (this.mode === "highlight") this.adopt(msg.paint);
      this.paint();
      this.listen(true);
      const t2 = this.win?.performance?.now?.() ?? 0;
      this.stats = { ranges: this.entries.length, chars: mapped.chars, nodes: mapped.nodes,
        truncated: mapped.truncated, mode: this.mode, ms: t2 - t0,
        timing: { ...mapped.timing, paint: t2 - t1 } };
      return { ok: true, ...this.stats };
    }

    /**
     * The highlights' colour and tint, in a sheet adopted by the document (see GROUP_STYLES in
     * lib/highlight.js: Chromium paints neither from the extension's USER sheet). The page can
     * read it, which tells it no more than getComputedStyle(el, "::highlight(name)") already does.
     */
    adopt(css) {
      if (typeof css !== "string" || !css || typeof this.win.CSSStyleSheet !== "function") return;
      try {
        const sheet = new this.win.CSSStyleSheet();
        sheet.replaceSync(css);
        this.doc.adoptedStyleSheets = [...this.doc.adoptedStyleSheets, sheet];
        this.sheet = sheet;
      } catch {
        this.sheet = null; // underline only
      }
    }

    addEntry(key, p) {
      const doc = this.doc;
      const bounds = { startContainer: p.startNode, startOffset: p.startOffset,
        endContainer: p.endNode, endOffset: p.endOffset };
      // StaticRange: the browser does not have to track it through the page's mutations.
      let range = bounds;
      if (this.mode === "highlight") {
        range = typeof this.win.StaticRange === "function" ? new this.win.StaticRange(bounds)
          : liveRange(this.doc, bounds);
      }
      const entry = { key, range, start: p.start, len: p.end - p.start, nodes: p.nodes, wraps: null };
      for (const n of p.nodes) { // the text nodes it covers (for hover lookups)
        let list = this.byNode.get(n);
        if (!list) this.byNode.set(n, (list = []));
        list.push(entry);
      }
      this.entries.push(entry);
    }

    groupOf(key) {
      const g = this.items.get(key)?.group;
      return GROUPS.includes(g) ? g : "other";
    }

    paint() {
      if (this.mode === "highlight") {
        const reg = this.win.CSS.highlights;
        const sets = new Map(GROUPS.map((g) => [g, []]));
        for (const e of this.entries) sets.get(this.groupOf(e.key)).push(e.range);
        for (const g of GROUPS) {
          const name = this.names[g];
          const ranges = sets.get(g);
          if (!ranges.length) {
            reg.delete(name);
            continue;
          }
          const h = new this.win.Highlight(...ranges);
          h.priority = g === "other" || g === "pending" ? 0 : 1;
          reg.set(name, h);
        }
        return;
      }
      // Fallback: wrap each text-node piece of a match in a <mark> with the group's class. From
      // the last match back, so splitting a text node never moves an earlier match's offsets;
      // a match overlapping one already wrapped (a domain inside a URL) is not painted.
      const fresh = this.entries.filter((e) => !e.wraps).sort((a, b) => b.start - a.start);
      let floor = Infinity;
      for (const e of fresh) {
        if (e.start + e.len > floor) {
          e.dropped = true;
          continue;
        }
        floor = e.start;
        e.wraps = wrapRange(this.doc, e, this.names[this.groupOf(e.key)]);
        this.rekey(e);
      }
      this.entries = this.entries.filter((e) => !e.dropped);
      for (const e of this.entries) e.wraps.forEach((w) => { w.className = this.names[this.groupOf(e.key)]; });
    }

    /** After wrapping, an entry's text nodes are the marks' own. */
    rekey(e) {
      for (const n of e.nodes) {
        const list = (this.byNode.get(n) ?? []).filter((x) => x !== e);
        if (list.length) this.byNode.set(n, list);
        else this.byNode.delete(n);
      }
      e.nodes = e.wraps.map((w) => w.firstChild);
      const last = e.nodes[e.nodes.length - 1];
      e.range = { startContainer: e.nodes[0], startOffset: 0, endContainer: last, endOffset: last.data.length };
      for (const n of e.nodes) {
        const list = this.byNode.get(n) ?? [];
        list.push(e);
        this.byNode.set(n, list);
      }
    }

    update(msg) {
      for (const it of Array.isArray(msg.items) ? msg.items : []) {
        if (it && typeof it.key === "string" && this.items.has(it.key)) this.items.set(it.key, it);
      }
      this.paint();
      if (this.card && this.items.has(this.card.key)) this.showCard(this.card.key, this.card.anchor);
      return { ok: true };
    }

    clear(notify = true) {
      this.hideCard();
      if (this.names && this.win?.CSS?.highlights) {
        for (const g of GROUPS) this.win.CSS.highlights.delete(this.names[g]);
      }
      for (const e of this.entries) if (e.wraps) unwrap(e.wraps);
      if (this.sheet) {
        try {
          this.doc.adoptedStyleSheets = [...this.doc.adoptedStyleSheets].filter((x) => x !== this.sheet);
        } catch {
          /* the page replaced them */
        }
        this.sheet = null;
      }
      this.entries = [];
      this.byNode = new Map();
      this.items = new Map();
      this.listen(false);
      if (notify && this.names) this.env.send?.({ sx: "hl", op: "cleared" });
      this.names = null;
      return { ok: true };
    }

    listen(on) {
      const w = this.win;
      if (!w) return;
      const m = on ? "addEventListener" : "removeEventListener";
      // Capture on window: the first place an event reaches; the page can still stop it earlier.
      w[m]("mousemove", this.onMove, { capture: true, passive: true });
      w[m]("keydown", this.onKey, { capture: true });
      this.doc[m]("selectionchange", this.onSel);
    }

    /** The entry under a DOM point, verified against what the text reads now. */
    entryAt(node, offset, x, y) {
      const list = this.byNode.get(node);
      if (!list) return null;
      let best = null;
      for (const e of list) {
        if (node === e.range.startContainer && offset < e.range.startOffset) continue;
        if (node === e.range.endContainer && offset > e.range.endOffset) continue;
        if (!this.stillReads(e)) continue;
        const live = liveRange(this.doc, e.range);
        if (x !== undefined && !(live && hits(live, x, y))) continue;
        if (!best || e.len < best.e.len) best = { e, live };
      }
      return best;
    }

    /** A page may change the text after it was mapped: never show a card for other text. */
    stillReads(entry) {
      const item = this.items.get(entry.key);
      const now = readEntry(entry);
      return Boolean(item && now !== null && (item.raws ?? []).some((r) => fold(r) === fold(now)));
    }

    pointer(e) {
      if (this.moveQueued !== null) {
        this.moveQueued = { x: e.clientX, y: e.clientY, target: e.target };
        return;
      }
      this.moveQueued = { x: e.clientX, y: e.clientY, target: e.target };
      // Called as methods: in Firefox this.win is an Xray of the page's window, not our global.
      const later = (f) => (this.win.requestAnimationFrame ? this.win.requestAnimationFrame(f) : this.win.setTimeout(f, 16));
      later(() => {
        const q = this.moveQueued;
        this.moveQueued = null;
        if (q) this.pointAt(q.x, q.y, q.target);
      });
    }

    pointAt(x, y, target) {
      if (this.card && target === this.card.host) return; // over our own card
      const pos = caretAt(this.doc, x, y);
      const found = pos ? this.entryAt(pos.node, pos.offset, x, y) : null;
      if (found) this.showCard(found.e.key, found.live);
      else if (this.card && !this.card.pinned) this.hideCard();
    }

    selection() {
      const sel = this.win.getSelection?.();
      if (!sel || !sel.rangeCount || !sel.anchorNode) return;
      const found = this.entryAt(sel.anchorNode, sel.anchorOffset);
      if (found) this.showCard(found.e.key, found.live, { focus: false });
    }

    key(e) {
      if (e.key !== "Escape") return;
      if (this.card) this.hideCard();
      else this.clear(true);
    }

    showCard(key, anchor) {
      const item = this.items.get(key);
      if (!item) return;
      if (!this.card) this.card = makeCard(this.doc, this.names.card, (act, extra) => this.act(act, extra));
      this.card.key = key;
      this.card.anchor = anchor;
      fillCard(this.card, item);
      placeCard(this.doc, this.card, anchor);
    }

    hideCard() {
      if (!this.card) return;
      this.card.host.remove(); // removed, not hidden: nothing of ours stays in the page's DOM
      this.card = null;
    }

    async act(action, extra) {
      const item = this.card ? this.items.get(this.card.key) : null;
      if (!item) return;
      if (action === "copy" || action === "copy-defanged") {
        const text = action === "copy" ? item.value : item.defanged;
        let ok = false;
        try {
          const clipboard = this.env.clipboard ?? this.win.navigator.clipboard; // env: node tests
          await clipboard.writeText(String(text));
          ok = true;
        } catch {
          ok = false; // no execCommand fallback: its copy event would reach the page's listeners
        }
        this.card?.status(ok ? "Copied" : "Could not copy");
      } else if (action === "details") {
        this.env.send?.({ sx: "hl", op: "details", key: item.key });
      } else if (action === "pivot") {
        this.env.send?.({ sx: "hl", op: "pivot", key: item.key, id: extra });
      } else if (action === "close") {
        this.hideCard();
      }
    }

    /** For the tests and the bench: what is painted (no verdicts reach the page from here). */
    snapshot() {
      return this.entries.map((e) => ({ key: e.key, group: this.groupOf(e.key), text: readEntry(e) }));
    }
  }

  function sanitizeNames(names) {
    if (!names || typeof names !== "object") return null;
    const out = {};
    for (const g of [...GROUPS, "card"]) {
      const n = names[g];
      if (typeof n !== "string" || !/^sx-[a-z0-9]{8,40}$/.test(n)) return null;
      out[g] = n;
    }
    return out;
  }

  /** The text an entry covers now, or null when the page removed or shortened its nodes. */
  // ------------------------------------------------------------------ wiring

  const api = G.browser?.runtime?.id ? G.browser : G.chrome;
  const send = (msg) => {
    try {
      const r = api?.runtime?.sendMessage?.(msg);
      if (r && typeof r.catch === "function") r.catch(() => {});
    } catch {
      /* the extension was reloaded */
    }
  };
  let instance = null;
  const doc = G.document;
  function handle(msg) {
    if (!msg || msg.sx !== "hl" || !doc) return { ok: false };
    if (!instance) instance = new Highlighter(doc, { send, forceWrap: msg.forceWrap === true });
    switch (msg.op) {
      case "init":
        instance.env.forceWrap = msg.forceWrap === true;
        return instance.init(msg);
      case "update":
        return instance.update(msg);
      case "clear":
        return instance.clear(false);
      case "stats":
        return { ok: true, stats: instance.stats, painted: instance.snapshot(),
          card: instance.card?.key ?? null, cardText: instance.card?.card.textContent ?? null };
      default:
        return { ok: false };
    }
  }

  G.__sentinelxHighlight = { handle, Highlighter, ...G.__sentinelxParts.map };
  if (api?.runtime?.onMessage) {
    api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
      if (msg?.sx !== "hl" || (sender && sender.id && sender.id !== api.runtime.id)) return false;
      sendResponse(handle(msg));
      return false;
    });
  }
})();
