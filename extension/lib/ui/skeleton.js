// The popup's fixed parts, built once: the lookup box, the session panels' slot, filters and
// search, the result actions, the list and the bottom toolbar. Their events call the app.
import { button, el } from "./dom.js";
import { copyAllText, copyMaliciousText } from "./copy-text.js";

export function buildSkeleton(app) {
  const d = app.doc;
  const input = el(d, "textarea", { id: "lookup-input", rows: "2", spellcheck: "false",
    placeholder: "One or more indicators, defanged or not" });
  const form = el(d, "form", { id: "lookup-form", class: "lookup-form" },
    el(d, "label", { for: "lookup-input", class: "sr-only" }, "Indicators to look up"), input,
    el(d, "button", { type: "submit", id: "lookup-go" }, "Look up"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    app.handlers.send({ cmd: "lookup", text });
    input.value = "";
    app.lookupBox.open = false;
  });
  app.lookupBox = el(d, "details", { id: "lookup-box", class: "lookup" },
    el(d, "summary", {}, "Look up indicators (type or paste)"), form);
  app.session = el(d, "div", { id: "session" });
  app.search = el(d, "input", { type: "search", id: "search", placeholder: "Search (/)",
    "aria-label": "Search indicators", autocomplete: "off", spellcheck: "false" });
  app.search.addEventListener("input", () => app.setQuery(app.search.value));
  app.sort = el(d, "select", { id: "sort", "aria-label": "Order" },
    el(d, "option", { value: "verdict" }, "By verdict"), el(d, "option", { value: "type" }, "By type"));
  app.sort.addEventListener("change", () => app.setSort(app.sort.value === "type" ? "type" : "verdict"));
  app.chips = el(d, "div", { id: "chips" });
  app.filters = el(d, "div", { class: "filters", id: "filters" }, app.chips,
    el(d, "div", { class: "search-row" }, app.search, app.sort));
  app.copyBad = button(d, "Copy malicious", () => app.handlers.copy(copyMaliciousText(app.rowsAll()),
    "malicious indicators"), { id: "copy-malicious" });
  app.copyAll = button(d, "Copy all", () => app.handlers.copy(copyAllText(app.state, app.rowsAll()),
    "all indicators"), { id: "copy-all", title: "Tab-separated, with a header row" });
  app.refreshBtn = button(d, "Refresh", () => app.handlers.send({ cmd: "refresh" }), { id: "refresh",
    title: "Look up again, bypassing the cache" });
  app.exportSlot = el(d, "div", { class: "export-slot" });
  app.actions = el(d, "div", { class: "toolbar", role: "group", "aria-label": "Results", id: "actions" },
    app.copyBad, app.copyAll, app.exportSlot, app.refreshBtn);
  app.list = el(d, "ul", { id: "ioc-list", class: "ioc-list", "aria-label": "Indicators" });
  app.list.addEventListener("click", (ev) => {
    const row = ev.target.closest?.(".ioc-row");
    if (row) app.toggleOpen(row.getAttribute("data-key"));
  });
  app.empty = el(d, "p", { class: "empty", id: "no-iocs", hidden: true }, "No indicators found in this text.");
  const bottom = el(d, "div", { class: "toolbar bottom", role: "group", "aria-label": "More" },
    button(d, "Extract from whole page", () => app.handlers.send({ cmd: "page" }), { id: "whole-page" }),
    button(d, "History", () => app.handlers.history(), { id: "open-history" }),
    button(d, "Options", () => app.handlers.options(), { id: "open-options" }));
  app.root.replaceChildren(app.lookupBox, app.session, app.filters, app.actions, app.list, app.empty, bottom);
}
