// The one session state of the background: change it, tell listeners exactly what changed
// (keyed, so a popup applies one result without a redraw), back it up in storage.session
// (debounced: it only guards a service-worker restart), and wake whoever waits for a phase.
import { SESSION_KEY, SETTLED_PHASES, TERMINAL_PHASES, isValidState } from "./state.js";

export class SessionStore {
  constructor({ storage, now = () => Date.now(), timers = globalThis, persistDelayMs = 250 }) {
    Object.assign(this, { storage, now, timers, persistDelayMs });
    this.state = null;
    this.listeners = new Set();
    this.waiters = [];
    this.flushTimer = null;
    this.pushQueued = false;
    this.dirty = { full: false, keys: new Set(), fields: new Set() };
    this.writeDelayMs = persistDelayMs; // grows with the cost of a write (a 5,000-IOC state is MBs)
  }

  /** The saved state, if it looks like ours. */
  async restore() {
    try {
      const saved = (await this.storage.get(SESSION_KEY))?.[SESSION_KEY] ?? null;
      return isValidState(saved) ? saved : null;
    } catch {
      return null;
    }
  }

  /** listener({full: boolean, keys: string[], fields: string[], state}) after each burst of changes. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replace(state) {
    this.state = state;
    this.changed({ full: true });
  }

  /**
   * Change session `sid` if it is still the current one. keys: only these IOCs' results
   * changed; fields: only these top-level fields (besides the small ones every patch carries).
   * Without either, anything may have changed.
   */
  update(sid, fn, { keys = null, fields = null } = {}) {
    if (!this.state || this.state.sid !== sid) return false;
    fn(this.state);
    this.changed(keys || fields ? { keys: keys ?? [], fields: fields ?? [] } : { full: true });
    return true;
  }

  fail(sid, error) {
    return this.update(sid, (s) => {
      s.error = error;
      s.phase = "error";
      s.cancelling = false;
    });
  }

  changed({ full = false, keys = [], fields = [] } = {}) {
    if (this.state) this.state.updatedAt = this.now();
    if (full) this.dirty.full = true;
    for (const k of keys) this.dirty.keys.add(k);
    for (const f of fields) this.dirty.fields.add(f);
    this.settleWaiters();
    // Listeners get a burst of changes at once (a microtask coalesces them).
    if (!this.pushQueued) {
      this.pushQueued = true;
      queueMicrotask(() => {
        this.pushQueued = false;
        const change = { full: this.dirty.full, keys: [...this.dirty.keys], fields: [...this.dirty.fields],
          state: this.state };
        this.dirty = { full: false, keys: new Set(), fields: new Set() };
        for (const l of this.listeners) l(change);
      });
    }
    if (this.flushTimer !== null) return;
    if (this.persistDelayMs <= 0) {
      this.flushTimer = 0;
      queueMicrotask(() => this.flush());
    } else {
      this.flushTimer = this.timers.setTimeout(() => this.flush(), this.writeDelayMs);
    }
  }

  async flush() {
    if (this.flushTimer) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const state = this.state;
    if (!state) return;
    const started = this.now();
    try {
      await this.storage.set({ [SESSION_KEY]: state });
      // Spend at most about a tenth of the time writing backups: wait ten times the last write.
      if (this.persistDelayMs > 0) {
        this.writeDelayMs = Math.max(this.persistDelayMs, Math.min(5000, (this.now() - started) * 10));
      }
    } catch (e) {
      console.warn("SentinelX: could not save the session state", e);
    }
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

  whenSettled() {
    return this.waitFor(SETTLED_PHASES);
  }

  whenDone() {
    return this.waitFor(TERMINAL_PHASES);
  }
}
