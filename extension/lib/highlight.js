// Background side of the on-page highlights (content/highlight.js paints them). It follows the
// session state: once a session started from a tab (menu, shortcut, "whole page") has its IOCs,
// it injects the content script into that tab (activeTab: the user just acted on it; no host
// permissions), then sends each IOC's verdict as results stream in. Escape in the page, the
// popup's "Clear highlights" or a new session clear them. See docs/highlights.md.
import { badge, badgeKeyFor } from "./badges.js";
import { defang } from "./format.js";
import { iocKey } from "./keys.js";

/** Injected in this order (classic scripts sharing the isolated world; the last one wires up). */
export const CONTENT_SCRIPTS = ["content/highlight-map.js", "content/highlight-dom.js",
  "content/highlight-card.js", "content/highlight.js"];
export const GROUPS = ["malicious", "suspicious", "clean", "no_data", "pending", "other"];
export const MAX_ITEMS = 5000;
const VERDICTS = new Set(["malicious", "suspicious", "clean", "no_data"]);

/**
 * Paint per group: a text colour, a tint AND an underline style, so colour is never the only cue.
 * The underline of a ::highlight() comes from the USER sheet (insertCSS; the page cannot override
 * it); its colour and tint from a document sheet the content script adopts (paintCss), because
 * Chromium (156) does not paint colour or background from an extension-injected sheet's
 * ::highlight() rule, and such a rule even masks the document's. The <mark> fallback gets all
 * three from the USER sheet.
 */
export const GROUP_STYLES = Object.freeze({
  malicious: "color: #b3261e; background-color: rgba(179, 38, 30, 0.22); text-decoration: underline wavy #b3261e 2px",
  suspicious: "color: #8a5a00; background-color: rgba(246, 195, 67, 0.45); text-decoration: underline dashed #8a5a00 2px",
  clean: "color: #1e6e34; background-color: rgba(30, 126, 52, 0.18); text-decoration: underline solid #1e7e34 2px",
  no_data: "color: #44474e; background-color: rgba(95, 99, 104, 0.18); text-decoration: underline double #5f6368",
  pending: "color: #1a56c4; background-color: rgba(26, 115, 232, 0.15); text-decoration: underline dotted #1a73e8 2px",
  other: "background-color: rgba(95, 99, 104, 0.12)",
});

/** Unguessable names for this injection's highlights and card element: "sx-" + 20 hex digits. */
export function randomNames(random = (a) => crypto.getRandomValues(a)) {
  const out = {};
  for (const g of [...GROUPS, "card"]) {
    const bytes = random(new Uint8Array(10));
    out[g] = `sx-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  return out;
}

function important(decls) {
  return decls.split(";").map((d) => `${d.trim()} !important`).join("; ");
}

/**
 * The stylesheet, injected with scripting.insertCSS as a USER sheet: page scripts cannot see it
 * (not in document.styleSheets) and page CSS cannot override its !important rules.
 */
export function cssFor(names) {
  const rules = [];
  for (const g of GROUPS) {
    const decl = important(GROUP_STYLES[g]);
    const underline = GROUP_STYLES[g].split(";").filter((d) => d.includes("text-decoration")).join(";");
    if (underline) rules.push(`::highlight(${names[g]}) { ${important(underline)}; }`);
    // The wrapping fallback (no CSS Custom Highlight API).
    rules.push(`mark.${names[g]} { color: inherit !important; ${decl}; padding: 0 !important; `
      + "display: inline !important; visibility: visible !important; }");
  }
  rules.push(`${names.card} { display: block !important; visibility: visible !important; `
    + "opacity: 1 !important; transform: none !important; filter: none !important; "
    + "clip-path: none !important; width: auto !important; height: auto !important; "
    + "pointer-events: auto !important; }");
  return rules.join("\n");
}

/** Colour and tint of each highlight, for the sheet the content script adopts (see GROUP_STYLES). */
export function paintCss(names) {
  return GROUPS.map((g) => `::highlight(${names[g]}) { ${GROUP_STYLES[g].split(";")
    .filter((d) => !d.includes("text-decoration")).join(";")}; }`).join("\n");
}

/** One line per provider asked: its label, verdict (or status) and short reason. */
function providerLines(r, labels) {
  if (!r?.combined?.providers || typeof r.combined.providers !== "object") return [];
  const results = r.providers ?? {};
  return Object.entries(r.combined.providers).map(([name, verdict]) => {
    const res = results?.[name]?.result ?? null;
    return { name, label: labels?.[name] ?? name, verdict: String(verdict).replace("_", " "),
      summary: typeof res?.summary === "string" ? res.summary : "" };
  });
}

/** The first provider error's message, when no provider answered (the card's reason). */
function errorReason(r) {
  for (const o of Object.values(r?.providers ?? {})) {
    if (o?.status === "error" && typeof o.error?.message === "string") return o.error.message.slice(0, 200);
  }
  return "";
}

/**
 * What the card and the paint need for one IOC, from its `combined` verdict.
 * @param labels provider name -> label (from the pong capabilities), for the card's lines
 */
export function itemFor(state, ioc, labels = {}) {
  const key = iocKey(ioc);
  const r = state.results?.[key];
  let group;
  let verdictLabel;
  let reason = "";
  let label = null;
  if (r?.combined && VERDICTS.has(r.combined.verdict)) {
    const pending = Number(r.combined.pending) > 0;
    group = r.combined.verdict === "no_data" && pending ? "pending" : r.combined.verdict;
    verdictLabel = badge(r.combined.verdict).label + (pending ? " (more to come)" : "");
    reason = typeof r.combined.reason === "string" ? r.combined.reason : "";
    label = typeof r.combined.label === "string" ? r.combined.label : null;
  } else {
    const b = badge(badgeKeyFor(state, ioc));
    group = VERDICTS.has(b.key) ? b.key : b.key === "queued" ? "pending" : "other";
    verdictLabel = b.label;
    reason = errorReason(r);
  }
  const defanged = defang(ioc.type, ioc.value);
  const raws = [...new Set([ioc.raw, ioc.value, defanged].filter((s) => typeof s === "string" && s.length >= 4))];
  return { key, type: ioc.type, value: ioc.value, defanged, raws, group, verdictLabel, reason, label,
    providers: providerLines(r, labels) };
}

export function itemsFor(state, labels = {}) {
  return (state?.iocs ?? []).slice(0, MAX_ITEMS).map((i) => itemFor(state, i, labels));
}

export class PageHighlights {
  /**
   * @param api      the browser API (scripting, tabs, runtime)
   * @param openUi   opens the popup ("Details" on a card)
   * @param pivots   async (type, value) -> [{id, name, url}] (the user's pivots, lib/pivots.js)
   * @param labels   () -> {provider name: label} (from the host's capabilities)
   */
  constructor({ api, openUi = () => {}, pivots = null, labels = () => ({}), random, throttleMs = 60,
    timers = globalThis }) {
    Object.assign(this, { api, openUi, pivots, labels, random, throttleMs, timers });
    this.current = null; // {sid, tabId, names, css, sent: Map(key -> json), ready: Promise}
    this.state = null;
    this.timer = null;
    this.forceWrap = false; // tests: exercise the wrapping fallback in browsers with the API
    this.cleared = new Set(); // sids the user cleared: not painted again unless asked
    this.failed = new Set(); // sids whose tab cannot be scripted: not retried on every change
  }

  /** The controller's state-change hook. */
  onState(state) {
    this.state = state;
    const tabId = state?.source?.tabId;
    if (this.current && this.current.sid !== state?.sid) this.clear();
    if (!state || !Number.isInteger(tabId) || !state.iocs?.length) return;
    if (this.cleared.has(state.sid) || this.failed.has(state.sid)) return;
    if (!this.current) {
      this.show(state, tabId).catch(() => {});
      return;
    }
    this.schedule();
  }

  /** Inject and paint every IOC of `state` in its tab. Returns the content script's reply. */
  async show(state = this.state, tabId = state?.source?.tabId) {
    if (!state || !Number.isInteger(tabId)) return { ok: false, error: "no tab" };
    this.cleared.delete(state.sid);
    this.failed.delete(state.sid);
    if (this.current) await this.clear();
    const names = randomNames(this.random);
    const css = cssFor(names);
    const cur = { sid: state.sid, tabId, names, css, sent: new Map(), ready: null };
    this.current = cur;
    const target = { tabId };
    cur.ready = (async () => {
      await this.api.scripting.insertCSS({ target, css, origin: "USER" });
      await this.api.scripting.executeScript({ target, files: CONTENT_SCRIPTS });
      const items = await this.withPivots(itemsFor(state, this.labels()));
      for (const it of items) cur.sent.set(it.key, JSON.stringify(it));
      return this.api.tabs.sendMessage(tabId, { sx: "hl", op: "init", names, items, paint: paintCss(names),
        forceWrap: this.forceWrap }, { frameId: 0 });
    })();
    try {
      return await cur.ready;
    } catch (e) {
      if (this.current === cur) this.current = null; // not scriptable (chrome://, PDF viewer, store)
      this.failed.add(state.sid);
      return { ok: false, error: String(e?.message ?? e) };
    }
  }

  async withPivots(items) {
    if (!this.pivots) return items;
    for (const it of items) {
      try {
        it.pivots = (await this.pivots(it.type, it.value)).map((p) => ({ id: p.id, name: p.name }));
      } catch {
        it.pivots = [];
      }
    }
    return items;
  }

  schedule() {
    if (this.timer !== null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.push().catch(() => {});
    }, this.throttleMs);
  }

  /** Send the items whose verdict, reason or providers changed since the last message. */
  async push() {
    const cur = this.current;
    const state = this.state;
    if (!cur || !state || state.sid !== cur.sid) return;
    await cur.ready;
    const changed = [];
    for (const it of itemsFor(state, this.labels())) {
      const json = JSON.stringify(it);
      if (cur.sent.get(it.key) !== json) changed.push(it);
    }
    if (!changed.length) return;
    for (const it of await this.withPivots(changed)) cur.sent.set(it.key, JSON.stringify(it));
    await this.api.tabs.sendMessage(cur.tabId, { sx: "hl", op: "update", items: changed }, { frameId: 0 });
  }

  async clear({ user = false } = {}) {
    const cur = this.current;
    if (user && this.state?.sid) this.cleared.add(this.state.sid);
    if (!cur) return { ok: true };
    this.current = null;
    try {
      await cur.ready;
    } catch {
      return { ok: true };
    }
    const target = { tabId: cur.tabId };
    const results = await Promise.allSettled([
      this.api.tabs.sendMessage(cur.tabId, { sx: "hl", op: "clear" }, { frameId: 0 }),
      this.api.scripting.removeCSS?.({ target, css: cur.css, origin: "USER" }),
    ]);
    return { ok: results[0].status === "fulfilled" };
  }

  /** The content script's stats and painted ranges (e2e tests; no verdicts in the page). */
  async stats() {
    const cur = this.current;
    if (!cur) return null;
    await cur.ready;
    return this.api.tabs.sendMessage(cur.tabId, { sx: "hl", op: "stats" }, { frameId: 0 });
  }

  /**
   * runtime.onMessage: the popup's controls ({cmd: "highlight", op: "show" | "clear"}) and the
   * content script's card actions ({sx: "hl", op: "details" | "pivot" | "cleared"}).
   * Returns true when it will answer asynchronously.
   */
  onMessage(msg, sender, sendResponse, isOwnPage) {
    if (msg?.cmd === "highlight" && isOwnPage(sender)) {
      const work = msg.op === "clear" ? this.clear({ user: true }) : this.show();
      work.then(sendResponse, (e) => sendResponse({ ok: false, error: String(e?.message ?? e) }));
      return true;
    }
    if (msg?.sx !== "hl" || !this.fromOurTab(sender)) return false;
    const key = typeof msg.key === "string" ? msg.key : null;
    if (msg.op === "cleared") {
      if (this.state?.sid) this.cleared.add(this.state.sid);
      this.current = null;
    } else if (msg.op === "details") {
      this.openUi(key);
    } else if (msg.op === "pivot" && key && typeof msg.id === "string") {
      this.openPivot(key, msg.id).catch(() => {});
    }
    return false;
  }

  fromOurTab(sender) {
    const cur = this.current;
    return Boolean(cur && sender && sender.id === this.api.runtime.id && sender.tab?.id === cur.tabId
      && (sender.frameId ?? 0) === 0);
  }

  /** The card names a pivot by id; the URL is rebuilt here, never taken from the page's side. */
  async openPivot(key, id) {
    const ioc = this.state?.iocs?.find((i) => iocKey(i) === key);
    if (!ioc || !this.pivots) return;
    const p = (await this.pivots(ioc.type, ioc.value)).find((x) => x.id === id);
    if (p && /^https?:\/\//.test(p.url)) await this.api.tabs.create({ url: p.url });
  }

  /** A navigation or a closed tab ends the highlights (and the activeTab grant with them). */
  onTabGone(tabId) {
    if (this.current?.tabId === tabId) this.current = null;
  }
}
