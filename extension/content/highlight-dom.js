// SentinelX on-page highlights, part 2 of 4: DOM helpers for painted entries (reading them back,
// live ranges for hit-testing, the <mark> wrapping fallback). See content/highlight.js.
(() => {
  "use strict";
  const NS = (globalThis.__sentinelxParts ??= {});
  if (NS.dom) return; // injected again into the same document
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


  NS.dom = Object.freeze({ readEntry, liveRange, hits, caretAt, wrapRange, unwrap });
})();
