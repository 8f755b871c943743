// The panels above the list (source, alert, progress, preview), the count chips and the
// export menu. They are small; they are rebuilt only when what they show changed, and focus
// stays on the control with the same data-focus.
import { badge } from "../badges.js";
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
  patchChildren(app.session, parts.filter(Boolean));
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

/**
 * Put the freshly built panels in place, touching only what changed: an equal panel keeps its
 * node (and its focus, its ticked boxes); the progress panel, whose bar and line move on every
 * result, is updated in place (its only handler, Cancel, carries no data).
 */
function patchChildren(container, parts) {
  const old = [...container.children];
  const same = old.length === parts.length && parts.every((p, i) => old[i].tagName === p.tagName
    && old[i].className === p.className && (p.className === "progress" ? sameShape(old[i], p) : old[i].isEqualNode(p)));
  if (!same) {
    container.replaceChildren(...parts);
    return;
  }
  parts.forEach((p, i) => {
    if (p.className === "progress") morph(old[i], p);
  });
}

function sameShape(a, b) {
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName || a.childNodes.length !== b.childNodes.length) return false;
  for (let i = 0; i < a.childNodes.length; i += 1) if (!sameShape(a.childNodes[i], b.childNodes[i])) return false;
  return true;
}

/** Copy text and attributes from b into a (the same shape: sameShape). */
function morph(a, b) {
  if (a.nodeType === 3) {
    if (a.data !== b.data) a.data = b.data;
    return;
  }
  for (const { name, value } of b.attributes) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
  for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
  for (let i = 0; i < a.childNodes.length; i += 1) morph(a.childNodes[i], b.childNodes[i]);
}

/** The count chips: rebuilt when the chips shown or the pressed one change, else their numbers updated. */
export function renderChips(app, counts) {
  const keys = Object.keys(counts);
  const sig = `${app.view.filter}|${keys.join(",")}`;
  const text = keys.map((k) => `${k}=${counts[k]}`).join(",");
  if (sig === app.chipsSig) {
    if (text === app.chipsText) return;
    app.chipsText = text;
    for (const b of app.chips.querySelectorAll("button[data-count]")) {
      const k = b.getAttribute("data-count");
      const label = `${counts[k]} ${badge(k).label}`;
      if (b.firstChild?.nodeType === 3 && b.firstChild.data !== label) b.firstChild.data = label;
    }
    return;
  }
  app.chipsSig = sig;
  app.chipsText = text;
  const focusKey = app.doc.activeElement?.getAttribute?.("data-focus") ?? null;
  app.chips.replaceChildren(countChips(app.doc, app.ctx(), counts));
  if (focusKey?.startsWith("chip:")) refocus(app.chips, focusKey);
}
