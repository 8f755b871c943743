// The popup's panels around the list: source, alert, progress, privacy preview, count chips.
import { BADGE_ORDER, badge } from "../badges.js";
import { providerLabel } from "../capabilities.js";
import { describeError, sessionAlert } from "../errors.js";
import { formatBytes } from "../format.js";
import { iocKey } from "../keys.js";
import { button, el } from "./dom.js";
import { withheldText } from "./rows.js";
import { statusLine } from "./status.js";

export const PREVIEW_LIMIT = 100; // rows listed in the preview (the rest: "and N more, all ticked")

export function sourceLine(doc, state) {
  const s = state.source ?? {};
  const what = { page: "Whole page", selection: "Selection", typed: "Typed or pasted" }[s.kind] ?? "Text";
  const size = Number.isFinite(state.textBytes) ? ` (${formatBytes(state.textBytes)})` : "";
  const title = s.title || s.url || "";
  return el(doc, "p", { class: "source" }, `${what}${size}`, title ? ` \u2014 ${title}` : "");
}

export function alertBox(doc, ctx) {
  const { state, caps, handlers, now } = ctx;
  const alert = sessionAlert(state, (n) => providerLabel(caps, n), now, ctx.scan ?? null);
  if (!alert) return null;
  const d = describeError(alert, now);
  const box = el(doc, "section", { class: `alert alert-${d.kind}`, role: "alert", "data-error-kind": d.kind });
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
  if (d.action === "quota_reset") {
    actions.append(button(doc, "Resume now (reset the pause)", () => handlers.quotaReset(d.provider), {
      id: "quota-reset", "data-focus": "quota-reset" }));
  }
  if (actions.childNodes.length) box.append(actions);
  return box;
}

export function progressBox(doc, ctx) {
  const { state, handlers, now } = ctx;
  const total = state.send.length;
  const counts = ctx.outcomes ?? null;
  const done = counts ? counts.answered + counts.failed
    : state.send.filter((k) => state.results[k]?.combined && !(state.results[k].combined.pending > 0)).length;
  const box = el(doc, "section", { class: "progress", "aria-label": "Progress" });
  const running = ["enriching", "extracting", "reading"].includes(state.phase);
  if (total > 0 || running) {
    const bar = el(doc, "progress", { max: String(Math.max(total, 1)), "aria-label": "Lookups done" });
    if (total > 0) bar.setAttribute("value", String(done));
    box.append(bar);
  }
  box.append(el(doc, "p", { class: "status-line", id: "status-line" }, statusLine(state, now, counts)));
  if (running) {
    box.append(button(doc, state.cancelling ? "Cancelling\u2026" : "Cancel", () => handlers.cancel(), {
      id: "cancel", "data-focus": "cancel", disabled: state.cancelling }));
  }
  return box;
}

function duration(seconds) {
  if (!Number.isFinite(seconds)) return null;
  if (seconds < 1) return "under a second";
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 5400) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

const NO_PLAN = Object.freeze({ send: [], cached: [], withheld: {} });

/** The plan of an IOC from the compact preview (privacy.js planFromPreview), or an empty one. */
function planAt(pv, n) {
  const p = Array.isArray(pv.planOf) ? pv.planOf[n] : undefined;
  const plan = Number.isInteger(p) && p >= 0 && Array.isArray(pv.plans) ? pv.plans[p] : null;
  return plan && Array.isArray(plan.send) && Array.isArray(plan.cached) ? plan : NO_PLAN;
}

/** The privacy preview: what goes to whom (and what each receives), what is cached, what is withheld. */
export function previewBox(doc, ctx) {
  const { state, caps, view, handlers } = ctx;
  const deselected = view.deselected;
  const pv = state.preview ?? { plans: [], planOf: [], providers: {}, etaSeconds: null };
  const chosen = state.plan.filter((k) => !deselected.has(k));
  const box = el(doc, "section", { class: "preview", id: "preview", "aria-labelledby": "preview-title" });
  box.append(el(doc, "h2", { id: "preview-title" }, "Review what will be sent"));
  const who = el(doc, "ul", { class: "preview-providers", "aria-label": "What each source receives" });
  for (const [name, p] of Object.entries(pv.providers ?? {})) {
    const n = Number.isInteger(p?.send) ? p.send : 0;
    const cached = Number.isInteger(p?.cached) ? p.cached : 0;
    if (!n && !cached) continue;
    // What this provider receives, for the types it would get here only.
    const info = caps.providers.find((x) => x.name === name);
    const types = Array.isArray(p?.types) ? p.types : [];
    const what = info ? [...new Set(types.map((t) => info.sends?.[t]).filter(Boolean))].join("; ") : "";
    const eta = duration(p?.eta_seconds);
    who.append(el(doc, "li", { "data-provider": name },
      el(doc, "strong", {}, providerLabel(caps, name)),
      `: ${n} to send${cached ? `, ${cached} from the cache` : ""}`,
      what ? ` \u2014 receives ${what}` : "", eta && n ? ` \u00b7 ${eta}` : ""));
  }
  if (who.childNodes.length) box.append(who);
  const eta = duration(pv.etaSeconds);
  box.append(el(doc, "p", { class: "eta" }, eta ? `Estimated time on the current quotas: ${eta}. `
    : "", "Cached answers do not leave this computer. Untick any value you do not want to share."));
  const at = new Map(state.iocs.map((i, n) => [iocKey(i), n]));
  const list = el(doc, "ul", { class: "preview-list" });
  state.plan.slice(0, PREVIEW_LIMIT).forEach((key, n) => {
    const ioc = state.iocs[at.get(key)];
    if (!ioc) return;
    const item = planAt(pv, at.get(key));
    const id = `pv-${n}`;
    const box2 = el(doc, "input", { type: "checkbox", id, "data-key": key, "data-focus": `pv:${key}` });
    box2.checked = !deselected.has(key);
    box2.addEventListener("change", () => handlers.toggle(key, box2.checked));
    const to = item.send.length ? `to ${item.send.map((p) => providerLabel(caps, p)).join(", ")}` : "";
    const cached = item.cached.length ? `cached: ${item.cached.map((p) => providerLabel(caps, p)).join(", ")}` : "";
    list.append(el(doc, "li", { "data-ioc-type": ioc.type, "data-ioc-value": ioc.value }, box2,
      el(doc, "label", { for: id }, el(doc, "span", { class: "type" }, ioc.type), " ",
        el(doc, "code", {}, ioc.value), " ",
        el(doc, "span", { class: "where" }, [to, cached].filter(Boolean).join(" \u00b7 ")))));
  });
  box.append(list);
  if (state.plan.length > PREVIEW_LIMIT) {
    box.append(el(doc, "p", { class: "muted" }, `and ${state.plan.length - PREVIEW_LIMIT} more, all ticked.`));
  }
  const withheld = Object.entries(state.withheld).filter(([, r]) => r !== "deselected");
  if (withheld.length) {
    box.append(el(doc, "h3", {}, `Not sent (${withheld.length})`));
    const wl = el(doc, "ul", { class: "withheld-list" });
    for (const [key, reason] of withheld.slice(0, PREVIEW_LIMIT)) {
      const ioc = state.iocs[at.get(key)];
      if (!ioc) continue;
      wl.append(el(doc, "li", { "data-ioc-type": ioc.type, "data-ioc-value": ioc.value, "data-reason": reason },
        el(doc, "code", {}, ioc.value), ` \u2014 ${withheldText(reason)}`));
    }
    box.append(wl);
  }
  const partly = Number.isInteger(pv.partly) ? pv.partly : 0;
  if (partly) {
    box.append(el(doc, "p", { class: "muted" },
      `${partly} value${partly === 1 ? "" : "s"} go to some sources only (the others do not take the type, are off, or have no key).`));
  }
  const leaving = chosen.filter((k) => planAt(pv, at.get(k)).send.length).length;
  box.append(el(doc, "div", { class: "actions" },
    button(doc, `Send ${chosen.length}`, () => handlers.confirm(chosen), {
      id: "confirm-send", class: "primary", "data-focus": "confirm-send", disabled: chosen.length === 0,
      "aria-label": `Look up ${chosen.length}; ${leaving} leave this computer` }),
    button(doc, "Don\u2019t send", () => handlers.cancel(), { id: "cancel-send", "data-focus": "cancel-send" })));
  return box;
}

/** Count chips: one toggle button per badge; pressing one filters the list to it. */
export function countChips(doc, ctx, counts) {
  const { view, handlers } = ctx;
  const list = el(doc, "div", { class: "counts", role: "group", "aria-label": "Filter by verdict" });
  for (const k of BADGE_ORDER) {
    if (!counts[k]) continue;
    const b = badge(k);
    const pressed = view.filter === k;
    list.append(button(doc, `${counts[k]} ${b.label}`, () => handlers.filter(pressed ? null : k), {
      class: `count badge badge-${b.tone}`, "data-count": k, "aria-pressed": pressed ? "true" : "false",
      "data-focus": `chip:${k}` }));
  }
  return list;
}
