// SentinelX on-page highlights, part 3 of 4: the hover card, in a CLOSED shadow root with its own
// styles; every string is set with textContent. See content/highlight.js.
(() => {
  "use strict";
  const NS = (globalThis.__sentinelxParts ??= {});
  if (NS.card) return; // injected again into the same document
  const VERDICT_TEXT = {
    malicious: "Malicious", suspicious: "Suspicious", clean: "Clean", no_data: "No data",
    pending: "Looking up\u2026", other: "Not looked up",
  };
  const GROUPS = Object.keys(VERDICT_TEXT);

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


  NS.card = Object.freeze({ GROUPS, VERDICT_TEXT, makeCard, fillCard, placeCard });
})();
