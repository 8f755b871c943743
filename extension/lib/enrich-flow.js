// The enrich flow: read text -> extract, with the preview of what goes where -> enrich (streamed) -> end.
import { errorFromException } from "./errors.js";
import { utf8Bytes } from "./format.js";
import { loadPrefs } from "./prefs.js";
import { candidates, iocRefs, planFromPreview } from "./privacy.js";
import { protocolProblem } from "./protocol.js";
import {
  PREVIEW_FIELDS, TERMINAL_PHASES, applyEnrichMessage, isSettled, newSession, remainingKeys, setExtracted,
} from "./state.js";
import { historySource, sourceOf } from "./tabs.js";

/** Used when the host's pong carries no limits (it always should). */
export const DEFAULT_MAX_TEXT_BYTES = 1024 * 1024;

export class EnrichFlow {
  constructor({ api, host, store, tabs, now = () => Date.now(), onFinished = () => {}, openUi = () => {} }) {
    Object.assign(this, { api, host, store, tabs, now, onFinished, openUi });
    this.lastText = null; // memory only (never persisted): for "try again" before extraction
    this.seq = 0;
    this.bootId = Math.random().toString(36).slice(2, 8);
  }

  get state() {
    return this.store.state;
  }

  /** An error-kind object, with the full path of `sentinelx` when the host told it. */
  error(err) {
    const e = errorFromException(err);
    const cli = this.host.lastPong?.capabilities?.cli_path;
    if (typeof cli === "string" && cli) e.cliPath = cli;
    return e;
  }

  /** After a service-worker restart: resume an interrupted enrich, or say it was interrupted. */
  resume(saved) {
    this.store.replace(saved);
    if (saved.phase === "reading" || saved.phase === "extracting") {
      this.store.fail(saved.sid, { kind: "interrupted" });
    } else if (saved.phase === "enriching") {
      // The old port (and the host process with it) is gone; ask again for what is missing.
      // The host serves the ones it already looked up from its cache.
      const rest = remainingKeys(saved);
      if (rest.length) this.startEnrich(saved.sid, rest);
      else this.store.update(saved.sid, (s) => { s.phase = "done"; });
    }
  }

  begin(source) {
    const old = this.state;
    if (old && old.phase === "enriching" && old.enrichId) {
      this.host.call("cancel", { target: old.enrichId }).catch(() => {});
    }
    this.seq += 1;
    const sid = `${this.bootId}-${this.seq}`;
    this.lastText = null;
    this.store.replace(newSession(sid, source, this.now()));
    return sid;
  }

  /**
   * The context-menu item "Enrich with SentinelX" (and the keyboard shortcut).
   * @param opts {open: false} to not open the popup; {confirm: true} to skip the preview
   * @returns the state once the preview waits, the lookups were sent, or the session ended.
   */
  async enrichFromSelection(tab, info = {}, opts = {}) {
    const sid = this.begin(sourceOf("selection", tab));
    if (opts.open !== false) this.openUi(); // first, while the user gesture is still active
    const text = await this.tabs.selection(tab, info);
    if (!text.trim()) {
      this.store.fail(sid, { kind: "empty_selection" });
      return this.store.whenSettled();
    }
    return this.runText(sid, text, opts);
  }

  /** "Extract from whole page": the same flow on the page's visible text. */
  async enrichPage(tab, opts = {}) {
    const sid = this.begin(sourceOf("page", tab));
    if (opts.open !== false) this.openUi();
    const text = await this.tabs.pageText(tab);
    if (typeof text !== "string") {
      this.store.fail(sid, { kind: "page_unreadable" });
      return this.store.whenSettled();
    }
    if (!text.trim()) {
      this.store.fail(sid, { kind: "empty_selection" });
      return this.store.whenSettled();
    }
    return this.runText(sid, text, opts);
  }

  /** "Extract from whole page" from the popup: the tab the user looks at NOW. */
  async enrichCurrentPage(opts = {}) {
    const tab = await this.tabs.currentTab().catch(() => null);
    if (!tab) {
      this.store.fail(this.begin({ kind: "page" }), { kind: "page_unreadable" });
      return this.store.whenSettled();
    }
    return this.enrichPage(tab, { open: false, ...opts });
  }

  /** The same flow on a given text (the popup's lookup box, tests). */
  async enrichText(text, source = { kind: "text" }, opts = {}) {
    const sid = this.begin(typeof source === "string" ? { kind: source } : source);
    if (opts.open === true) this.openUi();
    return this.runText(sid, String(text ?? ""), opts);
  }

  async runText(sid, text, opts) {
    const bytes = utf8Bytes(text);
    this.lastText = text;
    this.store.update(sid, (s) => {
      s.phase = "extracting";
      s.textBytes = bytes;
    });
    let request = null;
    try {
      const pong = await this.host.hello();
      const outdated = protocolProblem(pong);
      if (outdated) {
        this.store.fail(sid, outdated);
        return this.store.whenSettled();
      }
      const max = pong.limits?.max_text_bytes ?? DEFAULT_MAX_TEXT_BYTES;
      this.store.update(sid, (s) => { s.hostVersion = pong.version ?? null; });
      if (bytes > max) {
        this.store.fail(sid, { kind: "text_too_large", bytes, limit: max });
        return this.store.whenSettled();
      }
      // Protocol 3: the host's preview of what goes where rides on `extract` (same id, after the
      // `extracted` parts), so it needs the prefs first; "never" asks for no preview at all.
      const prefs = await loadPrefs(this.api.storage.local);
      if (!this.current(sid)) return this.state;
      const ask = prefs.previewMode !== "never";
      const fields = ask ? { text, preview: { include_private: prefs.sendPrivate === true } } : { text };
      request = this.host.replies("extract", fields, ask ? ["extracted", "previewed"] : ["extracted"]);
      const [extracted, previewed] = request.replies;
      const reply = await extracted;
      if (!this.current(sid)) return this.state;
      const iocs = reply.iocs ?? [];
      // Show what was found at once; the privacy preview of a big page takes a moment longer.
      this.store.update(sid, (s) => { s.iocs = iocs; });
      const cands = candidates(iocs, prefs);
      let plan;
      if (!ask || cands.keys.length === 0) {
        plan = { send: cands.keys, withheld: cands.withheld, preview: null, ask: false };
      } else {
        const preview = await previewed;
        if (!this.current(sid)) return this.state;
        plan = planFromPreview(iocs, preview, prefs, { withheld: cands.withheld });
      }
      if (plan.ask && plan.send.length && opts.confirm !== true) {
        // The popup already has the IOCs: the preview is a patch of what changed, not a copy of
        // 12,000 IOCs for it to clone and redraw.
        this.store.update(sid, (s) => {
          setExtracted(s, iocs, plan);
          s.phase = "preview";
        }, { fields: PREVIEW_FIELDS });
        return this.store.whenSettled();
      }
      this.store.update(sid, (s) => setExtracted(s, iocs, plan));
      if (plan.send.length === 0) {
        this.store.update(sid, (s) => { s.phase = "done"; });
      } else {
        this.startEnrich(sid, plan.send, { prefs });
      }
    } catch (err) {
      const e = this.error(err);
      if (e.kind === "text_too_large") e.bytes = bytes;
      // A failure after the user cancelled does not undo the cancel.
      if (this.state?.phase !== "cancelled") this.store.fail(sid, e);
    } finally {
      request?.abandon(); // a preview nobody waits for any more (cancelled, replaced, not needed)
    }
    const s = this.state;
    if (s && s.sid === sid && s.phase === "enriching") return s;
    return this.store.whenSettled();
  }

  /** Still the session `sid`, still extracting (not cancelled, failed or replaced meanwhile)? */
  current(sid) {
    const s = this.state;
    return Boolean(s && s.sid === sid && s.phase === "extracting");
  }

  /** The user confirmed the preview; `keys` (optional) is the subset they left ticked. */
  confirm(keys) {
    const s = this.state;
    if (!s || s.phase !== "preview") return false;
    const planned = new Set(s.plan);
    const chosen = Array.isArray(keys) ? keys.filter((k) => planned.has(k)) : [...s.plan];
    const chosenSet = new Set(chosen);
    this.store.update(s.sid, (st) => {
      for (const k of st.plan) if (!chosenSet.has(k)) st.withheld[k] = "deselected";
      if (chosen.length === 0) st.phase = "done";
    });
    if (chosen.length) this.startEnrich(s.sid, chosen);
    return true;
  }

  startEnrich(sid, keys, { prefs = null, refresh = false } = {}) {
    const s = this.state;
    if (!s || s.sid !== sid) return;
    this.store.update(sid, (st) => {
      st.phase = "enriching";
      st.error = null;
      st.summary = null;
      const sent = new Set(st.send);
      for (const k of keys) if (!sent.has(k)) st.send.push(k);
    });
    const run = async () => {
      const p = prefs ?? (await loadPrefs(this.api.storage.local));
      if (this.state?.sid !== sid) return;
      const fields = { iocs: iocRefs(s.iocs, keys), include_private: p.sendPrivate === true };
      if (refresh) fields.refresh = true;
      Object.assign(fields, historySource(s.source));
      const { id, done } = this.host.stream("enrich", fields, (msg) => {
        const st = this.state;
        if (!st || st.sid !== sid) return;
        // Keyed: a popup updates only the IOCs this message touched.
        const { changed, keys: touched } = applyEnrichMessage(st, msg);
        if (changed) this.store.changed({ keys: touched });
        if (msg.type === "summary") this.onFinished(sid);
      });
      this.store.update(sid, (st) => { st.enrichId = id; });
      try {
        await done;
      } catch (err) {
        this.store.fail(sid, this.error(err));
        this.onFinished(sid);
      }
    };
    run().catch((err) => this.store.fail(sid, this.error(err)));
  }

  async cancel() {
    const s = this.state;
    if (!s) return false;
    if (s.phase === "preview" || s.phase === "extracting" || s.phase === "reading") {
      this.store.update(s.sid, (st) => { st.phase = "cancelled"; });
      return true;
    }
    if (s.phase !== "enriching" || !s.enrichId) return false;
    const sid = s.sid;
    this.store.update(sid, (st) => { st.cancelling = true; });
    try {
      const reply = await this.host.call("cancel", { target: s.enrichId });
      // found: the summary (cancelled: true) follows. Not found: the queue had already ended.
      if (!reply.found) this.store.update(sid, (st) => { if (st.phase === "enriching") st.phase = "cancelled"; });
    } catch (err) {
      this.store.fail(sid, this.error(err));
    }
    return true;
  }

  /** Keys worth asking again: not settled, or with a provider that failed. */
  retryKeys(s) {
    return s.send.filter((k) => {
      const e = s.results[k];
      return !isSettled(e) || Object.values(e.providers ?? {}).some((o) => o.status === "error");
    });
  }

  /** "Try again" after an error: resume the lookups, or re-run the text if we still have it. */
  retry() {
    const s = this.state;
    if (!s) return null;
    const again = this.retryKeys(s);
    if (s.send.length && again.length && s.iocs.length) {
      this.startEnrich(s.sid, again);
      return Promise.resolve(s);
    }
    if (this.lastText !== null) return this.enrichText(this.lastText, s.source, { open: false });
    return null;
  }

  /** Look everything up again, bypassing the host's cache. */
  refresh() {
    const s = this.state;
    if (!s || !TERMINAL_PHASES.has(s.phase) || !s.send.length) return false;
    this.store.update(s.sid, (st) => { st.results = {}; st.error = null; });
    this.startEnrich(s.sid, [...s.send], { refresh: true });
    return true;
  }

  /** "Resume now" where a 429 pause is shown: the host's quota.reset, then forget the pause. */
  async resetQuota(provider = null) {
    const fields = typeof provider === "string" && /^[a-z0-9_]+$/.test(provider) ? { provider } : {};
    try {
      await this.host.call("quota.reset", fields);
    } catch (err) {
      return { ok: false, error: this.error(err) };
    }
    const s = this.state;
    if (s) {
      this.store.update(s.sid, (st) => {
        for (const src of [st.progress?.providers, st.summary?.providers]) {
          for (const [name, p] of Object.entries(src ?? {})) {
            if (fields.provider && name !== fields.provider) continue;
            delete p.paused_until;
            if (p.quota_state === "rate_limited") p.quota_state = "ok";
          }
        }
        for (const entry of Object.values(st.results)) {
          for (const [name, o] of Object.entries(entry.providers ?? {})) {
            if (o.error?.code === "rate_limited" && (!fields.provider || name === fields.provider)) delete o.error.retry_at;
          }
        }
      });
    }
    return { ok: true };
  }
}
