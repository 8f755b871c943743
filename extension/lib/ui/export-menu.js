// The export menu: the host renders (request `export` from history, by run id); the popup
// downloads. The client module (lib/export-client.js, owned by the exports work) is imported
// lazily, so the popup works, without the menu, until it exists.
import { button, el } from "./dom.js";

const LABELS = { csv: "CSV", json: "JSON", stix: "STIX 2.1", misp: "MISP event", markdown: "Markdown table",
  text: "Defanged text" };
const PLAIN_BY_DEFAULT = new Set(["stix", "misp", "json"]);

let client = null;
/** Load lib/export-client.js once; null when it is missing or has no exportRun. */
export function loadExportClient(importer = (p) => import(p)) {
  if (!client) {
    client = importer("../export-client.js")
      .then((m) => (typeof m?.exportRun === "function" ? m.exportRun : null), () => null);
  }
  return client;
}

export function resetExportClient() {
  client = null;
}

export function exportMenu(doc, ctx) {
  const { state, caps, handlers } = ctx;
  const formats = caps.exports ?? [];
  const menu = el(doc, "details", { class: "export-menu", id: "export-menu" },
    el(doc, "summary", { "data-focus": "export-summary" }, "Export\u2026"));
  if (!formats.length) {
    menu.append(el(doc, "p", { class: "muted" }, "The helper offers no export formats."));
    return menu;
  }
  const runId = state.runId;
  const only = el(doc, "input", { type: "checkbox", id: "export-bad-only" });
  const fang = el(doc, "input", { type: "checkbox", id: "export-defang" });
  fang.checked = true;
  menu.append(
    el(doc, "p", { class: "muted" }, runId == null ? "Available once the lookups are done."
      : "Exports this run from the helper's history."),
    el(doc, "label", { for: "export-bad-only", class: "block" }, only, " Malicious and suspicious only"),
    el(doc, "label", { for: "export-defang", class: "block" }, fang, " Defang text formats"));
  const list = el(doc, "div", { class: "export-formats", role: "group", "aria-label": "Export formats" });
  for (const f of formats) {
    list.append(button(doc, LABELS[f] ?? f.toUpperCase(), () => handlers.exportRun({
      format: f, runId, verdicts: only.checked ? ["malicious", "suspicious"] : null,
      defang: PLAIN_BY_DEFAULT.has(f) ? false : fang.checked,
    }), { class: "small", "data-format": f, disabled: runId == null }));
  }
  menu.append(list);
  return menu;
}

/** Save an export reply ({content, filename, mime}) as a download. */
export function download(doc, { content, filename, mime }) {
  const name = String(filename ?? "sentinelx-export.txt").replace(/[/\\\0]/g, "_").slice(0, 120);
  const blob = new Blob([content ?? ""], { type: typeof mime === "string" ? mime : "text/plain" });
  const url = URL.createObjectURL(blob);
  const a = el(doc, "a", { href: url, download: name, class: "offscreen" });
  doc.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
