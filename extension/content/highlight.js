// SentinelX on-page highlights: injected with scripting.executeScript({files}) into the tab where
// the user invoked SentinelX (activeTab), in the extension's ISOLATED world. The page's scripts
// share the DOM but not this script's globals, listeners or data: verdicts, reasons and provider
// lines live only here and in the closed shadow root of the card. The background (lib/highlight.js)
// sends {sx: "hl", op: "init" | "update" | "clear"} messages; see docs/readme/highlight.md.
// A classic script (no imports): executeScript({files}) cannot load modules.
(() => {
  "use strict";
  const G = globalThis;
  if (G.__sentinelxHighlight) return; // injected again into the same document: reuse it

  // ------------------------------------------------------------------ limits (flood guards)
  const LIMITS = Object.freeze({
    maxChars: 8 * 1024 * 1024, // text mapped; the rest of a flooded page is not
    maxNodes: 400000,
    maxPerIoc: 200, // occurrences painted per IOC
    maxRanges: 10000, // in all
    maxItems: 5000,
  });
  const SKIP = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TEXTAREA", "SELECT", "OPTION",
    "HEAD", "TITLE", "IFRAME", "OBJECT", "svg:style"]);
  const KEY_LEN = 4; // candidate lookup by the first 4 (folded) characters of a pattern

  /** ASCII-only lower-casing: same length as the input, so offsets stay valid. */
  function fold(s) {
    return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }

  /** A 32-bit hash of the KEY_LEN characters at i (collisions are re-checked by startsWith). */
  function keyAt(s, i) {
    return (((s.charCodeAt(i) * 31 + s.charCodeAt(i + 1)) * 31 + s.charCodeAt(i + 2)) * 31
      + s.charCodeAt(i + 3)) | 0;
  }

  // Word characters an IOC cannot start after or end before (so 1.2.3.4 is not found in 11.2.3.45
  // and evil.com not in evil.com.au), checked on the unfolded text.
  function isWord(c) {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
  }
  function isAlnum(c) {
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  }
  function boundaryBefore(text, i) {
    if (i === 0) return true;
    const p = text.charCodeAt(i - 1);
    if (isWord(p)) return false;
    return !(p === 46 /* . */ && i >= 2 && isWord(text.charCodeAt(i - 2)));
  }
  function boundaryAfter(text, e) {
    if (e >= text.length) return true;
    const n = text.charCodeAt(e);
    if (isWord(n)) return false;
    return !((n === 46 || n === 58 /* : */) && isAlnum(text.charCodeAt(e + 1)));
  }

  /**
   * The text nodes under `root` in document order, their offsets, and their concatenation.
   * root.textContent IS that concatenation, read in one call; the walk only reads each node's
   * length (no string copies). Nodes inside script/style/... stay in the lists so offsets line
   * up; matches touching them are dropped in toPoints.
   */
  function collectText(root, limits = LIMITS) {
    const doc = root.ownerDocument || root;
    let text = root.textContent ?? "";
    let truncated = false;
    if (text.length > limits.maxChars) {
      text = text.slice(0, limits.maxChars);
      truncated = true;
    }
    const nodes = [];
    const starts = [];
    let total = 0;
    const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (total >= text.length || nodes.length >= limits.maxNodes) {
        truncated = true;
        break;
      }
      nodes.push(n);
      starts.push(total);
      total += n.length;
    }
    if (total < text.length) text = text.slice(0, total); // node cap reached
    return { nodes, starts, text, truncated };
  }

  function skipped(node) {
    const parent = node.parentNode;
    return Boolean(parent && SKIP.has(parent.nodeName));
  }

  /**
   * Find every occurrence of the patterns in `text` (ASCII case-insensitive, on word boundaries).
   * patterns: [{s: string, item: index}]. Returns [{start, end, item}] sorted by start.
   * One pass: at each position that can start an IOC (a word boundary), a lookup by its first 4
   * characters gives the pattern lengths starting that way, and one exact lookup per length
   * confirms (so 1,000 URLs sharing "hxxps://" cost a few lookups, not 1,000 comparisons).
   */
  function findAll(text, patterns, limits = LIMITS, breaks = null) {
    const lower = fold(text);
    const byKey = new Map(); // 4-char hash -> {lens: [length], exact: Map(string -> [item])}
    for (const p of patterns) {
      const s = fold(p.s);
      if (s.length < KEY_LEN) continue;
      const k = keyAt(s, 0);
      let bucket = byKey.get(k);
      if (!bucket) byKey.set(k, (bucket = { lens: [], exact: new Map() }));
      let items = bucket.exact.get(s);
      if (!items) {
        bucket.exact.set(s, (items = []));
        if (!bucket.lens.includes(s.length)) bucket.lens.push(s.length);
      }
      if (!items.includes(p.item)) items.push(p.item);
    }
    const out = [];
    if (byKey.size === 0) return out;
    // Text nodes are concatenated without separators, so "evil.com" ending one table cell and
    // "bad" starting the next read "evil.combad". Where a node starts after a word character,
    // `breaks` (from the DOM, asked only at candidate matches) says whether a block boundary
    // lies there: then it counts as a word boundary, and no match may span it.
    const starts = breaks?.starts ?? [];
    const isBreak = (k) => k > 0 && breaks.isBreak(k);
    const nodeAt = (off) => { // index of the node starting exactly at `off`, or -1
      let lo = 0;
      let hi = starts.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid] === off) return mid;
        if (starts[mid] < off) lo = mid + 1;
        else hi = mid - 1;
      }
      return -lo - 1; // -(insertion point) - 1
    };
    const spansBreak = (from, to) => {
      if (!breaks) return false;
      let k = nodeAt(from + 1);
      if (k < 0) k = -k - 1;
      for (; k < starts.length && starts[k] < to; k += 1) if (isBreak(k)) return true;
      return false;
    };
    const perItem = new Map();
    let full = false;
    const tryAt = (i, atNode) => { // candidate start i; atNode: node index when only a break makes it one
      const bucket = byKey.get(keyAt(lower, i));
      if (bucket === undefined) return;
      if (atNode > 0 && !isBreak(atNode)) return;
      for (const len of bucket.lens) {
        const end = i + len;
        if (end > lower.length) continue;
        const okEnd = boundaryAfter(text, end);
        if (!okEnd && !breaks) continue;
        const items = bucket.exact.get(lower.slice(i, end));
        if (items === undefined) continue;
        if (!okEnd && !isBreak(nodeAt(end))) continue;
        if (spansBreak(i, end)) continue;
        for (const item of items) {
          const c = perItem.get(item) ?? 0;
          if (c >= limits.maxPerIoc) continue;
          perItem.set(item, c + 1);
          out.push({ start: i, end, item });
          if (out.length >= limits.maxRanges) full = true;
        }
      }
    };
    const n = lower.length - KEY_LEN;
    for (let i = 0; i <= n && !full; i += 1) {
      if (i === 0 || boundaryBefore(text, i)) tryAt(i, 0);
    }
    // Node starts right after a word character: candidates only if a block boundary is there.
    for (let k = 1; k < starts.length && !full; k += 1) {
      const i = starts[k];
      if (i <= n && i > 0 && !boundaryBefore(text, i) && (k + 1 >= starts.length || starts[k + 1] > i)) tryAt(i, k);
    }
    out.sort((a, b) => a.start - b.start || a.end - b.end);
    return out.slice(0, limits.maxRanges);
  }

  // Elements that end a line in the page's rendered text (when there is no layout to ask).
  const BLOCK_TAGS = new Set(["ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BR", "CAPTION", "DD",
    "DETAILS", "DIV", "DL", "DT", "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2",
    "H3", "H4", "H5", "H6", "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION",
    "SUMMARY", "TABLE", "TBODY", "TD", "TFOOT", "TH", "THEAD", "TR", "UL", "IMG", "INPUT",
    "BUTTON", "SELECT", "TEXTAREA", "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);

  /** Is there a line/cell boundary between consecutive text nodes a and b? (Layout if any.) */
  function breakBetween(win, a, b) {
    const blocky = (el) => {
      if (el.nodeType !== 1) return false;
      if (BLOCK_TAGS.has(el.nodeName)) return true;
      const cs = typeof win?.getComputedStyle === "function" ? win.getComputedStyle(el) : null;
      const d = cs?.display ?? "";
      return d !== "" && !d.startsWith("inline") && d !== "contents";
    };
    const above = new Set();
    for (let x = a.parentNode; x; x = x.parentNode) above.add(x);
    let common = b.parentNode;
    for (; common && !above.has(common); common = common.parentNode) if (blocky(common)) return true;
    for (let y = a.parentNode; y && y !== common; y = y.parentNode) if (blocky(y)) return true;
    // Elements between them in document order (<br>, <img>, an empty <div>...).
    for (let n = a; n && n !== b;) {
      if (n !== a && blocky(n)) return true;
      if (n.firstChild && n !== a) n = n.firstChild;
      else {
        while (n && !n.nextSibling) n = n.parentNode;
        n = n?.nextSibling ?? null;
      }
    }
    return false;
  }

  /** Turn text offsets into (node, offset) boundary points; `hits` sorted by start. */
  function toPoints(collected, hits) {
    const { nodes, starts } = collected;
    const out = [];
    let j = 0;
    for (const h of hits) {
      while (j + 1 < nodes.length && starts[j + 1] <= h.start) j += 1;
      let k = j;
      while (k + 1 < nodes.length && starts[k + 1] < h.end) k += 1;
      let hidden = false;
      for (let x = j; x <= k && !hidden; x += 1) hidden = skipped(nodes[x]);
      if (hidden) continue; // inside a script, a style, a textarea...
      out.push({ item: h.item, start: h.start, end: h.end, nodes: nodes.slice(j, k + 1),
        startNode: nodes[j], startOffset: h.start - starts[j],
        endNode: nodes[k], endOffset: h.end - starts[k] });
    }
    return out;
  }

  /** Map items ({raws: [string]}) onto the text nodes under root: [{item, startNode, ...}]. */
  function mapItems(root, items, limits = LIMITS) {
    const now = () => G.performance?.now?.() ?? 0;
    const t0 = now();
    const collected = collectText(root, limits);
    const t1 = now();
    const patterns = [];
    items.forEach((it, idx) => {
      for (const s of it.raws ?? []) if (typeof s === "string" && s.length <= 4096) patterns.push({ s, item: idx });
    });
    const { nodes, starts } = collected;
    const win = (root.ownerDocument || root).defaultView;
    const memo = new Map();
    const breaks = { starts, isBreak: (k) => {
      if (!memo.has(k)) memo.set(k, breakBetween(win, nodes[k - 1], nodes[k]));
      return memo.get(k);
    } };
    const hits = findAll(collected.text, patterns, limits, breaks);
    const t2 = now();
    const points = toPoints(collected, hits);
    return { points, truncated: collected.truncated, chars: collected.text.length,
      nodes: collected.nodes.length, timing: { collect: t1 - t0, find: t2 - t1, points: now() - t2 } };
  }

  // ------------------------------------------------------------------ painting

  const VERDICT_TEXT = {
    malicious: "Malicious", suspicious: "Suspicious", clean: "Clean", no_data: "No data",
    pending: "Looking up\u2026", other: "Not looked up",
  };
  const GROUPS = Object.keys(VERDICT_TEXT);

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
  function readEntry(e) {
    const { range, nodes } = e;
    let out = "";
    for (const n of nodes) {
      if (!n.isConnected) return null;
      const from = n === range.startContainer ? range.startOffset : 0;
      const to = n === range.endContainer ? range.endOffset : n.data.length;
      if (to > n.data.length) return null;
      out += n.data.slice(from, to);
    }
    return out;
  }

  function liveRange(doc, r) {
    try {
      if (typeof r.getClientRects === "function") return r;
      const live = doc.createRange();
      live.setStart(r.startContainer, r.startOffset);
      live.setEnd(r.endContainer, r.endOffset);
      return live;
    } catch {
      return null; // the page removed or shortened the text
    }
  }

  function hits(range, x, y) {
    for (const r of range.getClientRects?.() ?? []) {
      if (x >= r.left - 1 && x <= r.right + 1 && y >= r.top - 1 && y <= r.bottom + 1) return true;
    }
    return false;
  }

  function caretAt(doc, x, y) {
    if (typeof doc.caretPositionFromPoint === "function") {
      const p = doc.caretPositionFromPoint(x, y);
      return p ? { node: p.offsetNode, offset: p.offset } : null;
    }
    if (typeof doc.caretRangeFromPoint === "function") {
      const r = doc.caretRangeFromPoint(x, y);
      return r ? { node: r.startContainer, offset: r.startOffset } : null;
    }
    return null;
  }

  /** Wrap each text-node piece of a match (entry.nodes: the nodes it spans, in order). */
  function wrapRange(doc, entry, cls) {
    const { range, nodes } = entry;
    const wraps = [];
    const pieces = [];
    for (const n of nodes) {
      const from = n === range.startContainer ? range.startOffset : 0;
      const to = n === range.endContainer ? range.endOffset : n.data.length;
      if (to > from) pieces.push({ n, from, to });
    }
    for (const { n: node, from, to } of pieces) {
      let t = node;
      if (from > 0) t = split(doc, t, from);
      if (to - from < t.data.length) split(doc, t, to - from);
      const mark = doc.createElement("mark");
      mark.className = cls;
      t.parentNode.insertBefore(mark, t);
      mark.append(t);
      wraps.push(mark);
    }
    return wraps;
  }

  /** Text.splitText: the node keeps [0, k), the returned new node holds the rest. */
  function split(doc, node, k) {
    if (typeof node.splitText === "function") return node.splitText(k);
    const rest = doc.createTextNode(node.data.slice(k));
    node.data = node.data.slice(0, k);
    node.parentNode.insertBefore(rest, node.nextSibling);
    return rest;
  }

  function unwrap(wraps) {
    for (const m of wraps) {
      const parent = m.parentNode;
      if (!parent) continue;
      while (m.firstChild) parent.insertBefore(m.firstChild, m);
      m.remove();
      parent.normalize?.();
    }
  }

  // ------------------------------------------------------------------ the card

  const CARD_CSS = `
:host { all: initial; }
.card { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1f;
  background: #fff; border: 1px solid #9aa0a6; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.25);
  padding: 8px 10px; width: 320px; max-width: calc(100vw - 16px); box-sizing: border-box; }
.value { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; margin: 0 0 4px; }
.verdict { display: inline-block; font-weight: 600; border-radius: 4px; padding: 0 6px; margin: 0 6px 0 0; }
.v-malicious { background: #b3261e; color: #fff; } .v-suspicious { background: #f6c343; color: #231a00; }
.v-clean { background: #1e7e34; color: #fff; } .v-no_data, .v-other { background: #e3e5e8; color: #1b1b1f; }
.v-pending { background: #d3e3fd; color: #0b2a5b; }
.reason, .label { margin: 4px 0; overflow-wrap: anywhere; }
ul { list-style: none; margin: 4px 0; padding: 0; }
li { margin: 2px 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #9aa0a6; border-radius: 4px; background: #f5f6f8; color: #1b1b1f; cursor: pointer; }
button:focus-visible { outline: 2px solid #1a73e8; outline-offset: 1px; }
.status { color: #5f6368; font-size: 12px; min-height: 1em; margin: 2px 0 0; }
@media (prefers-color-scheme: dark) {
  .card { background: #25262b; color: #e6e6ea; border-color: #5f6368; }
  button { background: #303238; color: #e6e6ea; border-color: #5f6368; }
}`;

  function h(doc, tag, cls, text) {
    const n = doc.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function makeCard(doc, tagName, act) {
    const host = doc.createElement(tagName);
    const root = host.attachShadow({ mode: "closed" });
    const style = h(doc, "style");
    style.textContent = CARD_CSS;
    const card = h(doc, "div", "card");
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", "SentinelX indicator");
    root.append(style, card);
    const state = { host, root, card, key: null, anchor: null, pinned: false, statusEl: null };
    state.status = (text) => { if (state.statusEl) state.statusEl.textContent = text; };
    state.act = act;
    host.addEventListener("mouseenter", () => { state.pinned = true; });
    host.addEventListener("mouseleave", () => { state.pinned = false; });
    host.addEventListener("focusin", () => { state.pinned = true; });
    return state;
  }

  function fillCard(state, item) {
    const doc = state.host.ownerDocument;
    const card = state.card;
    card.replaceChildren();
    card.append(h(doc, "p", "value", String(item.defanged ?? "")));
    const line = h(doc, "p", "reason");
    const group = GROUPS.includes(item.group) ? item.group : "other";
    line.append(h(doc, "span", `verdict v-${group}`, String(item.verdictLabel ?? VERDICT_TEXT[group])));
    if (item.reason) line.append(doc.createTextNode(String(item.reason)));
    card.append(line);
    if (item.label) card.append(h(doc, "p", "label", String(item.label)));
    const providers = Array.isArray(item.providers) ? item.providers.slice(0, 20) : [];
    if (providers.length) {
      const ul = h(doc, "ul", "providers");
      for (const p of providers) {
        const text = [p?.label ?? p?.name, p?.verdict, p?.summary].filter((x) => typeof x === "string" && x).join(" \u00b7 ");
        ul.append(h(doc, "li", null, text));
      }
      card.append(ul);
    }
    const actions = h(doc, "div", "actions");
    const btn = (label, action, extra) => {
      const b = h(doc, "button", null, label);
      b.type = "button";
      b.dataset.action = action;
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        state.act(action, extra);
      });
      return b;
    };
    actions.append(btn("Copy", "copy"), btn("Copy defanged", "copy-defanged"), btn("Details", "details"));
    for (const p of (Array.isArray(item.pivots) ? item.pivots : []).slice(0, 8)) {
      if (p && typeof p.id === "string" && typeof p.name === "string") actions.append(btn(p.name, "pivot", p.id));
    }
    actions.append(btn("Close", "close"));
    card.append(actions);
    state.statusEl = h(doc, "p", "status");
    state.statusEl.setAttribute("role", "status");
    card.append(state.statusEl);
  }

  function placeCard(doc, state, anchor) {
    const host = state.host;
    if (!host.isConnected) {
      // The top layer (popover) keeps page overlays from covering the card where supported.
      host.setAttribute("popover", "manual");
      (doc.documentElement ?? doc.body).append(host);
      try {
        host.showPopover?.();
      } catch {
        /* popover not supported */
      }
    }
    const rect = anchor?.getBoundingClientRect?.();
    const vw = doc.defaultView?.innerWidth ?? 1024;
    const vh = doc.defaultView?.innerHeight ?? 768;
    const left = rect ? Math.max(8, Math.min(rect.left, vw - 336)) : 8;
    const below = rect ? rect.bottom + 6 : 8;
    const top = rect && below + 200 > vh && rect.top > 210 ? rect.top - 206 : below;
    // Inline !important: only the page's own !important rules can move it (they can hide it,
    // never read it).
    const set = (prop, value) => host.style.setProperty(prop, value, "important");
    set("position", "fixed");
    set("inset", "auto");
    set("left", `${Math.round(left)}px`);
    set("top", `${Math.round(top)}px`);
    set("margin", "0");
    set("padding", "0");
    set("border", "0");
    set("background", "transparent");
    set("overflow", "visible");
    set("z-index", "2147483647");
    set("display", "block");
  }

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

  G.__sentinelxHighlight = { handle, fold, collectText, findAll, toPoints, mapItems, Highlighter, LIMITS };
  if (api?.runtime?.onMessage) {
    api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
      if (msg?.sx !== "hl" || (sender && sender.id && sender.id !== api.runtime.id)) return false;
      sendResponse(handle(msg));
      return false;
    });
  }
})();
