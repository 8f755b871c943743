// SentinelX on-page highlights, part 1 of 4: finding the IOCs in the page's text nodes.
// Pure text work over the DOM's text nodes (no painting). Loaded before content/highlight.js
// into the extension's isolated world; see that file and docs/highlights.md.
(() => {
  "use strict";
  const NS = (globalThis.__sentinelxParts ??= {});
  if (NS.map) return; // injected again into the same document
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
        const okEnd = boundaryAfter(lower, end);
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
    // boundaryBefore inlined: one charCodeAt per position (folding keeps character classes).
    let p1 = -1;
    let p2 = -1;
    for (let i = 0; i <= n && !full; i += 1) {
      if (!(isWord(p1) || (p1 === 46 && isWord(p2)))) tryAt(i, 0);
      p2 = p1;
      p1 = lower.charCodeAt(i);
    }
    // Node starts right after a word character: candidates only if a block boundary is there.
    for (let k = 1; k < starts.length && !full; k += 1) {
      const i = starts[k];
      if (i <= n && i > 0 && !boundaryBefore(lower, i) && (k + 1 >= starts.length || starts[k + 1] > i)) tryAt(i, k);
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
    const now = () => globalThis.performance?.now?.() ?? 0;
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


  NS.map = Object.freeze({ LIMITS, fold, collectText, findAll, toPoints, mapItems });
})();
