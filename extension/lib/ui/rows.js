// One IOC row: a button (badge, value, the combined reason) that opens its details: the
// per-provider lines, links, copy actions and the pivot menu. The list is keyed by IOC key, so a
// streamed result re-renders only its own row.
import { badge } from "../badges.js";
import { providerInfo, providerLabel } from "../capabilities.js";
import { defang, timeAgo } from "../format.js";
import { button, el, safeLink } from "./dom.js";
import { providerLines } from "./provider-lines.js";

const WITHHELD_TEXT = {
  private: "private or internal: never sent unless allowed in the options",
  never_send: "on your never-send list",
  no_provider: "no enabled source takes it",
  unsupported: "no enabled source looks this type up",
  no_api_key: "the sources for it need an API key",
  disabled: "its sources are turned off",
  deselected: "unticked in the preview",
};

const SKIP_TEXT = {
  private: "not sent: private",
  unsupported: "does not look this type up",
  disabled: "turned off",
  never_send: "not sent: on your never-send list",
  no_api_key: "not asked: no API key",
};

export function withheldText(reason) {
  return WITHHELD_TEXT[reason] ?? "not sent";
}

/** The short reason under the value: the host's combined reason, or why it was not sent. */
export function reasonText(state, key, badgeKey) {
  const entry = state.results[key];
  const c = entry?.combined;
  if (c?.reason && badgeKey !== "queued") return String(c.reason);
  if (badgeKey === "no_data" && entry) return "no source has a verdict for it (not found is not clean)";
  const w = state.withheld?.[key];
  if (w) return withheldText(w);
  if (badgeKey === "queued" && c?.pending > 0) return `waiting for ${c.pending} source${c.pending === 1 ? "" : "s"}`;
  return "";
}

function verdictWord(outcome, info) {
  if (outcome.status === "skipped") return { text: SKIP_TEXT[outcome.reason] ?? "skipped", tone: "muted" };
  if (outcome.status === "error") {
    const e = outcome.error ?? {};
    return { text: `error: ${String(e.message || e.code || "failed").split("\n")[0].slice(0, 140)}`, tone: "bad" };
  }
  if (outcome.status === "pending") return { text: "looking up", tone: "muted" };
  const r = outcome.result ?? {};
  const role = r.role ?? info?.role ?? "verdict";
  if (r.found === false) return { text: "not found (no data, not clean)", tone: "muted" };
  if (role === "context") return { text: "context", tone: "muted" };
  if (role === "cve") return { text: r.summary ? String(r.summary).slice(0, 140) : "found", tone: "muted" };
  const v = r.verdict;
  const tone = v === "malicious" ? "bad" : v === "suspicious" ? "warn" : v === "clean" ? "good" : "muted";
  const word = v === "no_data" ? "no data" : String(v ?? "no data");
  return { text: r.summary ? `${word}: ${String(r.summary).slice(0, 140)}` : word, tone };
}

function providerBlock(doc, name, outcome, caps, now) {
  const info = providerInfo(caps, name);
  const label = providerLabel(caps, name);
  const w = verdictWord(outcome, info);
  const li = el(doc, "li", { class: "provider", "data-provider": name },
    el(doc, "span", { class: "provider-name" }, label),
    el(doc, "span", { class: `provider-verdict tone-${w.tone}` }, w.text));
  const r = outcome.result;
  const extra = [];
  if (outcome.cached) extra.push("cached");
  const age = r?.fetched_at ? timeAgo(r.fetched_at, now) : null;
  if (age) extra.push(`fetched ${age}`);
  if (extra.length) li.append(el(doc, "span", { class: "provider-meta" }, extra.join(" \u00b7 ")));
  if (r && outcome.status === "ok" && r.found !== false) {
    const lines = providerLines(name, r.facts ?? {}, r);
    if (lines.length) {
      const dl = el(doc, "dl", { class: "facts" });
      for (const l of lines) {
        dl.append(el(doc, "dt", {}, l.label || "\u2014"),
          el(doc, "dd", { class: l.tone ? `tone-${l.tone}` : null }, l.value));
      }
      li.append(dl);
    }
  }
  const href = safeLink(r?.link);
  if (href) {
    li.append(el(doc, "a", { href, target: "_blank", rel: "noopener noreferrer", class: "ext-link" },
      `Open on ${label}`));
  }
  return li;
}

/** The details of one IOC (rendered only while open). */
export function detailsBody(doc, ctx, row) {
  const { state, caps, now, handlers } = ctx;
  const { ioc, key } = row;
  const wrap = el(doc, "div", { class: "details-body" });
  // The row shows one line of the value; here it is whole.
  wrap.append(el(doc, "p", { class: "full" }, el(doc, "code", {}, ioc.value)));
  if (ioc.raw && ioc.raw !== ioc.value) {
    wrap.append(el(doc, "p", { class: "raw" }, "As written: ", el(doc, "code", {}, String(ioc.raw))));
  }
  const entry = state.results[key];
  const names = Object.keys(entry?.providers ?? {});
  if (names.length) {
    const ul = el(doc, "ul", { class: "providers", "aria-label": `Sources for ${ioc.value}` });
    const order = (n) => (providerInfo(caps, n)?.role === "context" ? 1 : 0);
    for (const n of names.sort((a, b) => order(a) - order(b))) {
      ul.append(providerBlock(doc, n, entry.providers[n], caps, now));
    }
    wrap.append(ul);
  } else if (state.withheld?.[key]) {
    wrap.append(el(doc, "p", { class: "muted" }, `Not looked up: ${withheldText(state.withheld[key])}.`));
  }
  const actions = el(doc, "div", { class: "ioc-actions" },
    button(doc, "Copy", () => handlers.copy(ioc.value, ioc.value), { class: "small",
      "aria-label": `Copy ${ioc.value}` }),
    button(doc, "Copy defanged", () => handlers.copy(defang(ioc.type, ioc.value), "defanged value"), {
      class: "small", "aria-label": `Copy defanged ${ioc.value}` }));
  const pivots = handlers.pivots?.(ioc) ?? [];
  if (pivots.length) actions.append(pivotMenu(doc, ioc, pivots));
  wrap.append(actions);
  return wrap;
}

function pivotMenu(doc, ioc, pivots) {
  const menu = el(doc, "details", { class: "pivots" },
    el(doc, "summary", {}, "Pivot\u2026"),
    el(doc, "p", { class: "pivot-note" }, "Opening a pivot sends the value to that site."));
  const ul = el(doc, "ul", { "aria-label": `Pivots for ${ioc.value}` });
  for (const p of pivots) {
    const href = safeLink(p.url);
    if (!href || typeof p.name !== "string") continue;
    ul.append(el(doc, "li", {}, el(doc, "a", { href, target: "_blank", rel: "noopener noreferrer" },
      p.name.slice(0, 60))));
  }
  menu.append(ul);
  return menu;
}

/** The row's content for a (key, badge) pair. */
export function fillRow(doc, li, ctx, row, { open, active }) {
  const { state } = ctx;
  const entry = state.results[row.key];
  const b = badge(row.badge, entry);
  const detailsId = `d-${row.index}`;
  const head = el(doc, "button", { type: "button", class: "ioc-row", "aria-expanded": open ? "true" : "false",
    "aria-controls": detailsId, tabindex: active ? "0" : "-1", "data-key": row.key },
  el(doc, "span", { class: `badge badge-${b.tone}`, "data-badge": b.key }, b.label),
  el(doc, "code", { class: "value", title: row.ioc.value }, row.ioc.value),
  el(doc, "span", { class: "type" }, row.ioc.type));
  const reason = reasonText(state, row.key, row.badge);
  if (reason) head.append(el(doc, "span", { class: "reason" }, reason));
  li.className = `ioc ioc-${b.key}`;
  li.setAttribute("data-ioc-type", row.ioc.type);
  li.setAttribute("data-ioc-value", row.ioc.value);
  li.setAttribute("data-badge", b.key);
  const details = el(doc, "div", { class: "ioc-details", id: detailsId, hidden: !open });
  if (open) details.append(detailsBody(doc, ctx, row));
  li.replaceChildren(head, details);
  return head;
}
