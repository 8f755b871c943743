// The adversary: everything a page script can do to notice, read, restyle or spoof SentinelX's
// highlights. It records what it learns in window.__pageLog for the e2e tests to inspect.
(() => {
  const log = { added: [], highlightNames: [], rangeTexts: [], overrides: 0, shadow: [], computed: [] };
  window.__pageLog = log;

  // Flood: many tiny text nodes (slows a naive mapper), hidden from the reader.
  document.addEventListener("DOMContentLoaded", () => {
    const flood = document.getElementById("flood");
    for (let i = 0; i < 20000; i += 1) {
      const s = document.createElement("span");
      s.textContent = i % 2 ? "1.2." : "3.4 ";
      flood.append(s);
    }
  });

  // Watch every DOM mutation: a card host appearing, <mark> wrappers.
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1 || n.closest?.("#flood") || n.id === "flood") continue;
        log.added.push({ tag: n.tagName.toLowerCase(), cls: n.className ?? "", text: n.textContent ?? "" });
        if (n.shadowRoot !== undefined) log.shadow.push(n.shadowRoot === null ? "closed-or-none" : "open");
        // A custom element showed up: try to put our own (open) shadow root on it.
        if (!n.tagName.includes("-")) continue;
        try {
          n.attachShadow({ mode: "open" });
          log.shadow.push("attached");
        } catch (e) {
          log.shadow.push(`refused:${e.name}`);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });

  // Poll the highlight registry; once names show up, try to hide them with our own !important CSS.
  const style = document.createElement("style");
  document.head.append(style);
  let overrides = "";
  setInterval(() => {
    if (!globalThis.CSS?.highlights) return;
    for (const name of CSS.highlights.keys()) {
      if (log.highlightNames.includes(name)) continue;
      log.highlightNames.push(name);
      for (const r of CSS.highlights.get(name)) {
        const live = document.createRange();
        live.setStart(r.startContainer, r.startOffset);
        live.setEnd(r.endContainer, r.endOffset);
        log.rangeTexts.push(live.toString());
      }
      overrides += `::highlight(${name}) { background-color: transparent !important; `
        + "color: inherit !important; text-decoration: none !important; }\n";
      log.overrides += 1;
    }
    // Hide any element it does not know, card hosts included.
    style.textContent = `${overrides}\nbody > :not(h1):not(p):not(div), html > :not(head):not(body) `
      + "{ display: none !important; visibility: hidden !important; opacity: 0 !important; }";
  }, 50);

  // Change the text after extraction: the swapped IP now reads as something else.
  window.__swap = () => {
    document.getElementById("swap").firstChild.data = "Later swapped: 198.51.100.99 ....";
  };
})();
