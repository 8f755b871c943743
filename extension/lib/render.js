// Builds the popup's DOM from the session state. Page-derived strings (IOC values, raw matches,
// titles, provider details, error messages) only ever reach the DOM as text nodes or attribute
// values set with setAttribute; no HTML parsing sink is used anywhere in the extension.
import { BADGE_ORDER, badge, badgeKeyFor, countBadges } from "./badges.js";
import { describeError, sessionAlert } from "./errors.js";
import { defang, detectionRatio, formatBytes, quotaText, safeVtLink, timeAgo } from "./format.js";
import { TYPE_LABELS, TYPE_ORDER, iocKey } from "./keys.js";

/** createElement with attributes and children (strings become text nodes). */
export function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`event attributes are not allowed: ${name}`);
    if (name === "class") node.className = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? doc.createTextNode(child) : child);
  }
  return node;
}

function button(doc, label, onClick, attrs = {}) {
  const b = el(doc, "button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

const PHASE_TEXT = {
  reading: "Reading the selection\u2026",
  extracting: "Extracting indicators\u2026",
  preview: "Review what will be sent",
  enriching: "Looking up indicators\u2026",
  done: "Done",
  cancelled: "Cancelled",
  error: "Stopped",
};

/** One line for the screen-reader live region and the progress label. */
export function statusLine(state, now = Date.now()) {
  if (!state) return "Nothing enriched yet.";
  const parts = [PHASE_TEXT[state.phase] ?? state.phase];
  const p = state.progress;
  const total = state.send.length;
  if (state.phase === "enriching" || (p && total)) {
    const done = state.send.filter((k) => state.results[k]).length;
    parts.push(`${done} of ${total} looked up`);
  }
  if (state.phase === "enriching" && p) {
    const q = quotaText(p, now);
    if (q) parts.push(q);
    if (Number.isInteger(p.remaining_today)) parts.push(`${p.remaining_today} lookups left today`);
  }
  if (state.cancelling) parts.push("cancelling\u2026");
  return parts.join(" \u00b7 ");
}

/** The text lines of "copy all" (refanged or defanged), with each verdict. */
export function copyAllText(state, { defanged = false } = {}) {
  const lines = [];
  for (const ioc of orderedIocs(state)) {
    const b = badge(badgeKeyFor(state, ioc));
    const r = state.results[iocKey(ioc)];
    const ratio = detectionRatio(r?.enrichment);
    const value = defanged ? defang(ioc.type, ioc.value) : ioc.value;
    lines.push([value, ioc.type, b.label + (ratio ? ` ${ratio}` : "")].join("\t"));
  }
  return lines.join("\n");
}

function orderedIocs(state) {
  const out = [];
  for (const t of TYPE_ORDER) for (const i of state.iocs) if (i.type === t) out.push(i);
  return out;
}

function sourceLine(doc, state) {
  const s = state.source ?? {};
  const what = s.kind === "page" ? "Whole page" : s.kind === "selection" ? "Selection" : "Text";
  const size = Number.isFinite(state.textBytes) ? ` (${formatBytes(state.textBytes)})` : "";
  const title = s.title || s.url || "";
  return el(doc, "p", { class: "source" }, `${what}${size}`, title ? ` \u2014 ${title}` : "");
}

function alertBox(doc, state, handlers, now) {
  const alert = sessionAlert(state);
  if (!alert) return null;
  const d = describeError(alert, now);
  const box = el(doc, "section", { class: `alert alert-${d.kind}`, role: "alert",
    "data-error-kind": d.kind });
  box.append(el(doc, "h2", {}, d.title), el(doc, "p", {}, d.text));
  if (d.commands?.length) {
    const list = el(doc, "ol", { class: "commands" });
    for (const cmd of d.commands) {
      list.append(el(doc, "li", {}, el(doc, "code", {}, cmd), " ",
        button(doc, "Copy", () => handlers.copy(cmd, "command"), {
          class: "small", "aria-label": `Copy the command ${cmd}`, "data-focus": `cmd:${cmd}` })));
    }
    box.append(list);
  }
  if (d.hint) box.append(el(doc, "p", { class: "hint" }, d.hint));
  if (d.detail) box.append(el(doc, "p", { class: "detail" }, d.detail));
  const actions = el(doc, "div", { class: "actions" });
  if (d.action === "options") {
    actions.append(button(doc, "Open options", () => handlers.options(), { "data-focus": "alert-options" }));
  }
  if (d.action === "retry") {
    actions.append(button(doc, "Try again", () => handlers.retry(), { "data-focus": "alert-retry" }));
  }
  if (actions.childNodes.length) box.append(actions);
  return box;
}

function progressBox(doc, state, handlers, now) {
  const total = state.send.length;
  const done = state.send.filter((k) => state.results[k]).length;
  const box = el(doc, "section", { class: "progress", "aria-label": "Progress" });
  const running = state.phase === "enriching" || state.phase === "extracting" || state.phase === "reading";
  if (total > 0 || running) {
    const bar = el(doc, "progress", { max: String(Math.max(total, 1)), "aria-label": "Lookups done" });
    if (total > 0) bar.setAttribute("value", String(done));
    box.append(bar);
  }
  box.append(el(doc, "p", { class: "status-line", id: "status-line" }, statusLine(state, now)));
  if (running) {
    box.append(button(doc, state.cancelling ? "Cancelling\u2026" : "Cancel", () => handlers.cancel(), {
      id: "cancel", "data-focus": "cancel", disabled: state.cancelling }));
  }
  return box;
}

function countsBox(doc, state) {
  const counts = countBadges(state);
  const list = el(doc, "ul", { class: "counts", "aria-label": "Counts per verdict" });
  for (const k of BADGE_ORDER) {
    if (!counts[k]) continue;
    const b = badge(k);
    list.append(el(doc, "li", { class: `count badge badge-${b.tone}`, "data-count": k },
      `${counts[k]} ${b.label}`));
  }
  return list;
}

function toolbar(doc, state, handlers) {
  const bar = el(doc, "div", { class: "toolbar", role: "group", "aria-label": "Actions" });
  if (state.iocs.length) {
    bar.append(
      button(doc, "Copy all", () => handlers.copy(copyAllText(state), "all indicators"), {
        id: "copy-all", "data-focus": "copy-all" }),
      button(doc, "Copy all defanged", () => handlers.copy(copyAllText(state, { defanged: true }),
        "all indicators, defanged"), { id: "copy-all-defanged", "data-focus": "copy-all-defanged" }),
    );
  }
  if (state.send.length && ["done", "cancelled", "error"].includes(state.phase)) {
    bar.append(button(doc, "Refresh", () => handlers.refresh(), { id: "refresh", "data-focus": "refresh",
      title: "Look up again, bypassing the cache" }));
  }
  return bar;
}

function previewBox(doc, state, view, handlers) {
  const deselected = view.deselected ?? new Set();
  const plan = state.plan;
  const chosen = plan.filter((k) => !deselected.has(k));
  const box = el(doc, "section", { class: "preview", id: "preview", "aria-labelledby": "preview-title" });
  box.append(
    el(doc, "h2", { id: "preview-title" }, "Send to VirusTotal?"),
    el(doc, "p", {}, `These values would be sent to VirusTotal (www.virustotal.com) for a lookup. `
      + "Untick any you do not want to share."),
  );
  const byKey = new Map(state.iocs.map((i) => [iocKey(i), i]));
  const list = el(doc, "ul", { class: "preview-list" });
  for (const key of plan) {
    const ioc = byKey.get(key);
    if (!ioc) continue;
    const id = `pv-${plan.indexOf(key)}`;
    const box2 = el(doc, "input", { type: "checkbox", id, "data-key": key, "data-focus": `pv:${key}` });
    box2.checked = !deselected.has(key);
    box2.addEventListener("change", () => handlers.toggle(key, box2.checked));
    list.append(el(doc, "li", { "data-ioc-type": ioc.type, "data-ioc-value": ioc.value }, box2,
      el(doc, "label", { for: id }, el(doc, "span", { class: "type" }, ioc.type), " ",
        el(doc, "code", {}, ioc.value))));
  }
  box.append(list);
  const withheld = Object.entries(state.withheld).filter(([, r]) => r !== "deselected");
  if (withheld.length) {
    box.append(el(doc, "h3", {}, "Not sent"));
    const wl = el(doc, "ul", { class: "withheld-list" });
    for (const [key, reason] of withheld) {
      const ioc = byKey.get(key);
      if (!ioc) continue;
      const why = reason === "private" ? "private/internal, never sent unless allowed in the options"
        : "VirusTotal cannot look this type up";
      wl.append(el(doc, "li", { "data-ioc-type": ioc.type, "data-ioc-value": ioc.value },
        el(doc, "code", {}, ioc.value), ` \u2014 ${why}`));
    }
    box.append(wl);
  }
  const actions = el(doc, "div", { class: "actions" });
  actions.append(
    button(doc, `Send ${chosen.length} to VirusTotal`, () => handlers.confirm(chosen), {
      id: "confirm-send", class: "primary", "data-focus": "confirm-send", disabled: chosen.length === 0 }),
    button(doc, "Don\u2019t send", () => handlers.cancel(), { id: "cancel-send", "data-focus": "cancel-send" }),
  );
  box.append(actions);
  return box;
}

function details(doc, result, now) {
  const e = result?.enrichment;
  const bits = [];
  if (e) {
    const ratio = detectionRatio(e);
    if (ratio) bits.push(el(doc, "span", { class: "ratio", "data-ratio": ratio,
      title: "engines flagging it / engines with a result" }, ratio));
    const age = timeAgo(e.last_analysis_date, now);
    const unseen = e.verdict === "no_data" && !age;
    bits.push(el(doc, "span", { class: "age" },
      age ? `analysed ${age}` : unseen ? "not known to VirusTotal" : "never analysed"));
    const d = e.details ?? {};
    if (d.threat_label) bits.push(el(doc, "span", { class: "threat" }, d.threat_label));
    if (d.meaningful_name) bits.push(el(doc, "span", {}, d.meaningful_name));
    if (d.type_description) bits.push(el(doc, "span", {}, d.type_description));
    if (d.as_owner) bits.push(el(doc, "span", {}, d.as_owner));
    if (d.country) bits.push(el(doc, "span", {}, d.country));
    if (Number.isInteger(e.reputation) && e.reputation !== 0) {
      bits.push(el(doc, "span", {}, `reputation ${e.reputation}`));
    }
    if (Array.isArray(e.tags) && e.tags.length) bits.push(el(doc, "span", { class: "tags" },
      e.tags.slice(0, 5).join(", ")));
  }
  if (result?.cached) bits.push(el(doc, "span", { class: "cached" }, "cached"));
  if (result?.status === "error" && result.error) {
    bits.push(el(doc, "span", { class: "error-text" }, result.error.message || result.error.code));
  }
  if (!bits.length) return null;
  const p = el(doc, "p", { class: "meta" });
  bits.forEach((b, i) => {
    if (i) p.append(doc.createTextNode(" \u00b7 "));
    p.append(b);
  });
  return p;
}

function iocItem(doc, state, ioc, handlers, now) {
  const key = iocKey(ioc);
  const b = badge(badgeKeyFor(state, ioc));
  const result = state.results[key];
  const li = el(doc, "li", { class: `ioc ioc-${b.key}`, "data-ioc-type": ioc.type,
    "data-ioc-value": ioc.value, "data-badge": b.key });
  const head = el(doc, "div", { class: "ioc-head" },
    el(doc, "span", { class: `badge badge-${b.tone}`, "data-badge": b.key }, b.label),
    el(doc, "code", { class: "value", title: ioc.raw && ioc.raw !== ioc.value ? `as written: ${ioc.raw}` : null },
      ioc.value));
  li.append(head);
  const meta = details(doc, result, now);
  if (meta) li.append(meta);
  const actions = el(doc, "div", { class: "ioc-actions" });
  const link = safeVtLink(result?.enrichment?.link);
  if (link) {
    actions.append(el(doc, "a", { href: link, target: "_blank", rel: "noopener noreferrer",
      class: "vt-link", "aria-label": `Open ${ioc.value} on VirusTotal`, "data-focus": `vt:${key}` },
    "VirusTotal"));
  }
  actions.append(
    button(doc, "Copy", () => handlers.copy(ioc.value, ioc.value), { class: "small",
      "aria-label": `Copy ${ioc.value}`, "data-focus": `copy:${key}` }),
    button(doc, "Copy defanged", () => handlers.copy(defang(ioc.type, ioc.value), "defanged value"), {
      class: "small", "aria-label": `Copy ${ioc.value} defanged`, "data-focus": `defang:${key}` }),
  );
  li.append(actions);
  return li;
}

function groups(doc, state, handlers, now) {
  const wrap = el(doc, "div", { class: "groups" });
  for (const t of TYPE_ORDER) {
    const items = state.iocs.filter((i) => i.type === t);
    if (!items.length) continue;
    const id = `group-${t}`;
    const section = el(doc, "section", { class: "group", "aria-labelledby": id, "data-group": t });
    section.append(el(doc, "h2", { id }, `${TYPE_LABELS[t] ?? t} (${items.length})`));
    const ul = el(doc, "ul", { class: "ioc-list" });
    for (const ioc of items) ul.append(iocItem(doc, state, ioc, handlers, now));
    section.append(ul);
    wrap.append(section);
  }
  return wrap;
}

/**
 * Render the whole popup into `root` (its old content is replaced). Keyboard focus is kept on the
 * element with the same data-focus key across re-renders.
 * @param view {state, now, deselected: Set, hostVersion}
 * @param handlers {copy(text,label), confirm(keys), cancel(), retry(), refresh(), page(), options(), toggle(key,on)}
 */
export function renderPopup(doc, root, view, handlers) {
  const focusKey = doc.activeElement?.getAttribute?.("data-focus") ?? null;
  const { state } = view;
  const now = view.now ?? Date.now();
  const frag = [];
  const tools = el(doc, "div", { class: "toolbar top", role: "group", "aria-label": "Sources" },
    button(doc, "Extract from whole page", () => handlers.page(), { id: "whole-page", "data-focus": "whole-page" }),
    button(doc, "Options", () => handlers.options(), { id: "open-options", "data-focus": "open-options" }));
  if (!state) {
    frag.push(el(doc, "p", { class: "empty" },
      "Highlight text on a page, right-click and choose \u201cEnrich with SentinelX\u201d."), tools);
  } else {
    frag.push(sourceLine(doc, state));
    const a = alertBox(doc, state, handlers, now);
    if (a) frag.push(a);
    frag.push(progressBox(doc, state, handlers, now));
    if (state.phase === "preview") frag.push(previewBox(doc, state, view, handlers));
    if (state.iocs.length) frag.push(countsBox(doc, state), toolbar(doc, state, handlers));
    if (state.phase !== "preview") {
      if (state.iocs.length) frag.push(groups(doc, state, handlers, now));
      else if (["done", "cancelled"].includes(state.phase)) {
        frag.push(el(doc, "p", { class: "empty", id: "no-iocs" }, "No indicators found in this text."));
      }
    }
    frag.push(tools);
  }
  root.replaceChildren(...frag);
  if (focusKey) {
    for (const node of root.querySelectorAll("[data-focus]")) {
      if (node.getAttribute("data-focus") === focusKey) {
        node.focus();
        break;
      }
    }
  }
}
