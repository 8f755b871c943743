// The panels above the list (source, alert, progress, preview), the count chips and the
// export menu. They are small; they are rebuilt only when what they show changed, and focus
// stays on the control with the same data-focus.
import { el } from "./dom.js";
import { exportMenu } from "./export-menu.js";
import { alertBox, countChips, previewBox, progressBox, sourceLine } from "./panels.js";

function refocus(container, focusKey) {
  if (!focusKey) return;
  for (const node of container.querySelectorAll("[data-focus]")) {
    if (node.getAttribute("data-focus") === focusKey) {
      node.focus();
      break;
    }
  }
}

export function renderSession(app) {
  const d = app.doc;
  const focusKey = d.activeElement?.getAttribute?.("data-focus") ?? null;
  const s = app.state;
  const parts = [];
  if (app.host.outdated && (!s || s.error?.kind !== "host_outdated")) {
    parts.push(alertBox(d, { ...app.ctx(), state: { error: { kind: "host_outdated", extensionProtocol: null }, results: {} } }));
  }
  if (!s) {
    parts.push(el(d, "p", { class: "empty" },
      "Highlight text on a page, right-click and choose \u201cEnrich with SentinelX\u201d, or type indicators above."));
    if (!app.lookupOpened) app.lookupBox.open = true; // once: the user may close it
    app.lookupOpened = true;
  } else {
    // Counts and flags kept per IOC: no pass over every result on each streamed one.
    const ctx = app.ctx({ scan: app.cache.scan(s), outcomes: app.cache.outcomes });
    parts.push(sourceLine(d, s));
    const a = alertBox(d, ctx);
    if (a) parts.push(a);
    parts.push(progressBox(d, ctx));
    if (s.phase === "preview") parts.push(previewBox(d, ctx));
  }
  app.session.replaceChildren(...parts.filter(Boolean));
  refocus(app.session, focusKey);
  const hasIocs = Boolean(s && s.iocs.length);
  app.filters.hidden = !hasIocs || s.phase === "preview";
  app.actions.hidden = !hasIocs;
  app.refreshBtn.hidden = !(s && s.send.length && ["done", "cancelled", "error"].includes(s.phase));
  app.empty.hidden = !(s && !s.iocs.length && ["done", "cancelled"].includes(s.phase));
  const sig = `${s?.sid}|${s?.runId}|${app.caps.exports.join(",")}`;
  if (sig !== app.exportSig) {
    app.exportSig = sig;
    app.exportSlot.replaceChildren(s ? exportMenu(d, app.ctx()) : "");
  }
}

/** The count chips, rebuilt only when a count or the pressed chip changed. */
export function renderChips(app, counts) {
  const sig = `${app.view.filter}|${Object.entries(counts).map(([k, n]) => `${k}=${n}`).join(",")}`;
  if (sig === app.chipsSig) return;
  app.chipsSig = sig;
  const focusKey = app.doc.activeElement?.getAttribute?.("data-focus") ?? null;
  app.chips.replaceChildren(countChips(app.doc, app.ctx(), counts));
  if (focusKey?.startsWith("chip:")) refocus(app.chips, focusKey);
}
