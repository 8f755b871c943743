// The background's brain: reads the text, talks to the host, keeps the session state, serves the
// popup and the options page. Every browser API comes in through `api`, so node tests drive it
// with fakes and the e2e tests drive the real thing through globalThis.sentinelx (background.js).
import { badgeKeyFor, countBadges } from "./badges.js";
import { fromHostReply } from "./errors.js";
import { HostError } from "./host.js";
import { iocRefs, planEnrichment } from "./privacy.js";
import { loadPrefs } from "./prefs.js";
import {
  SESSION_KEY, SETTLED_PHASES, TERMINAL_PHASES, applyEnrichMessage, isValidState, newSession,
  remainingKeys, setExtracted,
} from "./state.js";
import { utf8Bytes } from "./format.js";

/** Used when the host's pong carries no limits (it always should). */
export const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024;

/** Requests the options page may send to the host through the background. */
export const OPTIONS_REQUESTS = new Set(["ping", "config.get", "config.set", "config.set_key",
  "config.clear_key"]);

export function errorFromException(err) {
  if (err && err.name === "HostError") {
    if (err.kind === "reply") return fromHostReply(err.reply);
    return { kind: err.kind, message: err.message };
  }
  return { kind: "host_error", message: String(err?.message ?? err) };
}

/** Runs in the page (scripting.executeScript): the selection with its line breaks. */
export function pageSelectionText() {
  const sel = globalThis.getSelection ? globalThis.getSelection() : null;
  return sel ? sel.toString() : "";
}

/** Runs in the page: all of its visible text. */
export function pageBodyText() {
  return document.body ? document.body.innerText : "";
}

export class Controller {
  constructor({ api, host, now = () => Date.now(), timers = globalThis, persistDelayMs = 50,
    popupUrl = "popup.html" }) {
    Object.assign(this, { api, host, now, timers, persistDelayMs, popupUrl });
    this.state = null;
    this.popups = new Set();
    this.popupWindowId = null;
    this.lastText = null; // memory only (never persisted): for "try again" before extraction
    this.seq = 0;
    this.bootId = Math.random().toString(36).slice(2, 8);
    this.flushTimer = null;
    this.pushQueued = false;
    this.waiters = [];
    this.ready = Promise.resolve();
  }

  // ---------------------------------------------------------------- state and persistence

  /** Restore the session after a (service-worker) restart; resume an interrupted enrich. */
  init() {
    this.ready = (async () => {
      let saved = null;
      try {
        saved = (await this.api.storage.session.get(SESSION_KEY))?.[SESSION_KEY] ?? null;
      } catch {
        saved = null;
      }
      if (this.state !== null || !isValidState(saved)) return;
      this.state = saved;
      if (saved.phase === "reading" || saved.phase === "extracting") {
        this.fail(saved.sid, { kind: "interrupted" });
      } else if (saved.phase === "enriching") {
        // The old port (and the host process with it) is gone; ask again for what is missing.
        // The host serves the ones it already looked up from its cache.
        const rest = remainingKeys(saved);
        if (rest.length) this.startEnrich(saved.sid, rest, { resumed: true });
        else this.update(saved.sid, (s) => { s.phase = "done"; });
      }
    })();
    return this.ready;
  }

  getState() {
    return this.state;
  }

  changed() {
    if (this.state) this.state.updatedAt = this.now();
    this.settleWaiters();
    // Open popups get every change at once (a microtask coalesces a burst of updates): the user
    // is watching. Writing storage.session only backs up a service-worker restart, so it is
    // debounced.
    if (!this.pushQueued) {
      this.pushQueued = true;
      queueMicrotask(() => {
        this.pushQueued = false;
        for (const port of this.popups) this.postToPopup(port);
        this.updateActionBadge();
        this.onStateChange?.(this.state); // hook: on-page highlights (lib/highlight.js)
      });
    }
    if (this.flushTimer !== null) return;
    if (this.persistDelayMs <= 0) {
      this.flushTimer = 0;
      queueMicrotask(() => this.flush());
    } else {
      this.flushTimer = this.timers.setTimeout(() => this.flush(), this.persistDelayMs);
    }
  }

  /** Write the state to storage.session. */
  async flush() {
    if (this.flushTimer) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const state = this.state;
    if (!state) return;
    try {
      await this.api.storage.session.set({ [SESSION_KEY]: state });
    } catch (e) {
      console.warn("SentinelX: could not save the session state", e);
    }
  }

  /** Change the state of session `sid`, if it is still the current one. */
  update(sid, fn) {
    if (!this.state || this.state.sid !== sid) return false;
    fn(this.state);
    this.changed();
    return true;
  }

  fail(sid, error) {
    return this.update(sid, (s) => {
      s.error = error;
      s.phase = "error";
      s.cancelling = false;
    });
  }

  settleWaiters() {
    if (!this.state) return;
    const phase = this.state.phase;
    const keep = [];
    for (const w of this.waiters) {
      if (w.phases.has(phase)) w.resolve(this.state);
      else keep.push(w);
    }
    this.waiters = keep;
  }

  waitFor(phases) {
    if (this.state && phases.has(this.state.phase)) return Promise.resolve(this.state);
    return new Promise((resolve) => this.waiters.push({ phases, resolve }));
  }

  /** Resolves with the state once the current session waits for a confirm or has ended. */
  whenSettled() {
    return this.waitFor(SETTLED_PHASES);
  }

  /** Resolves once the current session has ended (done, cancelled or error). */
  whenDone() {
    return this.waitFor(TERMINAL_PHASES);
  }

  // ---------------------------------------------------------------- the flow

  begin(source) {
    const old = this.state;
    if (old && old.phase === "enriching" && old.enrichId) {
      this.host.call("cancel", { target: old.enrichId }).catch(() => {});
    }
    this.seq += 1;
    const sid = `${this.bootId}-${this.seq}`;
    this.state = newSession(sid, source, this.now());
    this.lastText = null;
    this.changed();
    return sid;
  }

  /**
   * What the context-menu item "Enrich with SentinelX" (and the keyboard shortcut) calls.
   * @param tab   the tab (needs `id`; title/url are shown as the source)
   * @param info  contextMenus OnClickData: selectionText (fallback), frameId
   * @param opts  {open: false} to not open the popup; {confirm: true} to skip the preview
   * @returns the state once the preview waits for a confirm, the lookups have been sent to the
   *   host, or the session ended (error, nothing to send); whenDone() waits for the end.
   */
  async enrichFromSelection(tab, info = {}, opts = {}) {
    const sid = this.begin(sourceOf("selection", tab));
    if (opts.open !== false) this.openUi(); // first, while the user gesture is still active
    let text = "";
    if (tab && Number.isInteger(tab.id) && this.api.scripting) {
      try {
        const target = { tabId: tab.id };
        if (Number.isInteger(info.frameId) && info.frameId >= 0) target.frameIds = [info.frameId];
        const res = await this.api.scripting.executeScript({ target, func: pageSelectionText });
        text = (res ?? []).map((r) => r?.result).find((t) => typeof t === "string" && t) ?? "";
      } catch {
        text = ""; // the PDF viewer, the web store, chrome:// and about: pages cannot be scripted
      }
    }
    if (!text && typeof info.selectionText === "string") text = info.selectionText;
    if (!text.trim()) {
      this.fail(sid, { kind: "empty_selection" });
      return this.whenSettled();
    }
    return this.runText(sid, text, opts);
  }

  /** "Extract from whole page": the same flow on document.body.innerText. */
  async enrichPage(tab, opts = {}) {
    const sid = this.begin(sourceOf("page", tab));
    if (opts.open !== false) this.openUi();
    let text = null;
    try {
      const res = await this.api.scripting.executeScript({ target: { tabId: tab.id },
        func: pageBodyText });
      text = res?.[0]?.result;
    } catch {
      text = null;
    }
    if (typeof text !== "string") {
      this.fail(sid, { kind: "page_unreadable" });
      return this.whenSettled();
    }
    if (!text.trim()) {
      this.fail(sid, { kind: "empty_selection" });
      return this.whenSettled();
    }
    return this.runText(sid, text, opts);
  }

  /** The same flow on a given text (tests, and anything that already has the text). */
  async enrichText(text, source = { kind: "text" }, opts = {}) {
    const sid = this.begin(typeof source === "string" ? { kind: source } : source);
    if (opts.open === true) this.openUi();
    return this.runText(sid, String(text ?? ""), opts);
  }

  async runText(sid, text, opts) {
    const bytes = utf8Bytes(text);
    this.lastText = text;
    this.update(sid, (s) => {
      s.phase = "extracting";
      s.textBytes = bytes;
    });
    try {
      const limits = await this.host.getLimits();
      const max = limits?.max_text_bytes ?? DEFAULT_MAX_TEXT_BYTES;
      this.update(sid, (s) => { s.hostVersion = this.host.version ?? null; });
      if (bytes > max) {
        this.fail(sid, { kind: "text_too_large", bytes, limit: max });
        return this.whenSettled();
      }
      const reply = await this.host.call("extract", { text });
      if (this.state?.sid !== sid) return this.state;
      const prefs = await loadPrefs(this.api.storage.local);
      const plan = planEnrichment(reply.iocs ?? [], prefs);
      this.update(sid, (s) => setExtracted(s, reply.iocs ?? [], plan));
      if (plan.send.length === 0) {
        this.update(sid, (s) => { s.phase = "done"; });
      } else if (plan.ask && opts.confirm !== true) {
        this.update(sid, (s) => { s.phase = "preview"; });
      } else {
        this.startEnrich(sid, plan.send, { prefs });
      }
    } catch (err) {
      const e = errorFromException(err);
      if (e.kind === "text_too_large") e.bytes = bytes;
      this.fail(sid, e);
    }
    return this.settledOrRunning(sid);
  }

  /** The state once it waits for a confirm, has ended, or its lookups are under way. */
  settledOrRunning(sid) {
    const s = this.state;
    if (s && s.sid === sid && s.phase === "enriching") return Promise.resolve(s);
    return this.whenSettled();
  }

  /** The user confirmed the preview; `keys` (optional) is the subset they left ticked. */
  confirm(keys) {
    const s = this.state;
    if (!s || s.phase !== "preview") return false;
    const planned = new Set(s.plan);
    const chosen = Array.isArray(keys) ? keys.filter((k) => planned.has(k)) : [...s.plan];
    const chosenSet = new Set(chosen);
    this.update(s.sid, (st) => {
      for (const k of st.plan) if (!chosenSet.has(k)) st.withheld[k] = "deselected";
    });
    if (chosen.length === 0) {
      this.update(s.sid, (st) => { st.phase = "done"; });
      return true;
    }
    this.startEnrich(s.sid, chosen);
    return true;
  }

  startEnrich(sid, keys, { prefs = null, refresh = false } = {}) {
    const s = this.state;
    if (!s || s.sid !== sid) return;
    const run = async () => {
      const p = prefs ?? (await loadPrefs(this.api.storage.local));
      if (this.state?.sid !== sid) return;
      const fields = { iocs: iocRefs(s.iocs, keys), include_private: p.sendPrivate === true };
      if (refresh) fields.refresh = true;
      const { id, done } = this.host.stream("enrich", fields, (msg) => {
        this.update(sid, (st) => applyEnrichMessage(st, msg));
        if (msg.type === "summary") this.finished(sid);
      });
      this.update(sid, (st) => {
        st.phase = "enriching";
        st.enrichId = id;
        st.error = null;
        st.summary = null;
        for (const k of keys) if (!st.send.includes(k)) st.send.push(k);
      });
      try {
        await done;
      } catch (err) {
        this.fail(sid, errorFromException(err));
        this.finished(sid);
      }
    };
    this.update(sid, (st) => {
      st.phase = "enriching";
      st.error = null;
    });
    run().catch((err) => this.fail(sid, errorFromException(err)));
  }

  async cancel() {
    const s = this.state;
    if (!s) return false;
    if (s.phase === "preview" || s.phase === "extracting" || s.phase === "reading") {
      this.update(s.sid, (st) => { st.phase = "cancelled"; });
      return true;
    }
    if (s.phase !== "enriching" || !s.enrichId) return false;
    const sid = s.sid;
    this.update(sid, (st) => { st.cancelling = true; });
    try {
      const reply = await this.host.call("cancel", { target: s.enrichId });
      // found: the summary (cancelled: true) follows. Not found: the queue had already ended.
      if (!reply.found) this.update(sid, (st) => { if (st.phase === "enriching") st.phase = "cancelled"; });
    } catch (err) {
      this.fail(sid, errorFromException(err));
    }
    return true;
  }

  /** "Try again" after an error: resume the lookups, or re-run the text if we still have it. */
  retry() {
    const s = this.state;
    if (!s) return null;
    if (s.send.length && remainingKeys(s).length && s.iocs.length) {
      this.startEnrich(s.sid, remainingKeys(s));
      return Promise.resolve(s);
    }
    if (this.lastText !== null) {
      const text = this.lastText;
      return this.enrichText(text, s.source, { open: false });
    }
    return null;
  }

  /** Look everything up again, bypassing the host's cache. */
  refresh() {
    const s = this.state;
    if (!s || !TERMINAL_PHASES.has(s.phase) || !s.send.length) return false;
    this.update(s.sid, (st) => { st.results = {}; st.error = null; });
    this.startEnrich(s.sid, [...s.send], { refresh: true });
    return true;
  }

  finished(sid) {
    const s = this.state;
    if (!s || s.sid !== sid || this.popups.size > 0 || !this.api.notifications) return;
    const counts = countBadges(s);
    const parts = [];
    if (s.error) parts.push("stopped with an error");
    for (const k of ["malicious", "suspicious", "clean", "no_data"]) {
      if (counts[k]) parts.push(`${counts[k]} ${k.replace("_", " ")}`);
    }
    try {
      const r = this.api.notifications.create(`sentinelx-${sid}`, {
        type: "basic",
        iconUrl: "icons/icon-128.png",
        title: "SentinelX",
        message: `${s.iocs.length} indicators: ${parts.join(", ") || "nothing to report"}`,
      });
      if (r && typeof r.catch === "function") r.catch(() => {});
    } catch {
      /* notifications are a nicety */
    }
  }

  updateActionBadge() {
    const action = this.api.action;
    if (!action?.setBadgeText) return;
    const s = this.state;
    const n = s ? s.iocs.filter((i) => badgeKeyFor(s, i) === "malicious").length : 0;
    try {
      const r1 = action.setBadgeText({ text: n ? String(n) : "" });
      const r2 = n ? action.setBadgeBackgroundColor?.({ color: "#b3261e" }) : null;
      for (const r of [r1, r2]) if (r && typeof r.catch === "function") r.catch(() => {});
    } catch {
      /* not important */
    }
  }

  // ---------------------------------------------------------------- popup and options

  /** Open the popup: the toolbar popup where possible, else a small popup window. */
  openUi() {
    if (this.popups.size > 0) return Promise.resolve("already-open");
    const api = this.api;
    const openWindow = async () => {
      if (this.popupWindowId !== null) {
        try {
          await api.windows.update(this.popupWindowId, { focused: true });
          return "window";
        } catch {
          this.popupWindowId = null;
        }
      }
      const w = await api.windows.create({ url: api.runtime.getURL(this.popupUrl), type: "popup",
        width: 480, height: 640 });
      this.popupWindowId = w?.id ?? null;
      return "window";
    };
    let attempt;
    try {
      // Must be called synchronously within the click handler (Firefox's user-action rule).
      attempt = api.action?.openPopup ? Promise.resolve(api.action.openPopup()) : Promise.reject();
    } catch (e) {
      attempt = Promise.reject(e);
    }
    return attempt.then(() => "popup", () => openWindow()).catch((e) => {
      console.warn("SentinelX: could not open the popup", e);
      return "none";
    });
  }

  postToPopup(port) {
    try {
      port.postMessage({ type: "state", state: this.state, host: { version: this.host.version } });
    } catch {
      this.popups.delete(port);
    }
  }

  /** A popup connected (runtime.onConnect, port name "popup"). */
  attachPopup(port) {
    this.popups.add(port);
    port.onDisconnect.addListener(() => this.popups.delete(port));
    port.onMessage.addListener((msg) => this.onPopupMessage(port, msg));
    this.ready.then(() => this.postToPopup(port));
  }

  onPopupMessage(port, msg) {
    switch (msg?.cmd) {
      case "confirm":
        this.confirm(Array.isArray(msg.keys) ? msg.keys.filter((k) => typeof k === "string") : undefined);
        break;
      case "cancel":
        this.cancel();
        break;
      case "retry":
        this.retry();
        break;
      case "refresh":
        this.refresh();
        break;
      case "page":
        this.activeTab().then((tab) => (tab ? this.enrichPage(tab, { open: false })
          : this.fail(this.begin({ kind: "page" }), { kind: "page_unreadable" })));
        break;
      case "get":
        this.postToPopup(port);
        break;
      default:
        break;
    }
  }

  async activeTab() {
    const tabId = this.state?.source?.tabId;
    if (Number.isInteger(tabId)) {
      try {
        return await this.api.tabs.get(tabId);
      } catch {
        /* closed */
      }
    }
    const tabs = await this.api.tabs.query({ active: true, lastFocusedWindow: true });
    return tabs?.find((t) => Number.isInteger(t.id) && /^(https?|file):/.test(t.url ?? "")) ?? tabs?.[0] ?? null;
  }

  /** The options page's requests, forwarded over the one native port. */
  async hostRequest(request) {
    if (!request || !OPTIONS_REQUESTS.has(request.type)) {
      return { ok: false, error: { kind: "host_error", message: "request type not allowed" } };
    }
    const { type, id: _id, ...fields } = request;
    try {
      const reply = await this.host.call(type, fields);
      return { ok: true, reply };
    } catch (err) {
      return { ok: false, error: errorFromException(err) };
    }
  }
}

function sourceOf(kind, tab) {
  const src = { kind };
  if (tab && Number.isInteger(tab.id)) src.tabId = tab.id;
  if (tab && typeof tab.title === "string") src.title = tab.title.slice(0, 300);
  if (tab && typeof tab.url === "string") src.url = tab.url.slice(0, 500);
  return src;
}
