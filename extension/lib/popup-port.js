// Open popups: each gets the whole state when it connects, then keyed patches (the changed
// scalars, the results of the IOCs that changed, IOCs appended, fields named by the change), so
// one streamed result costs the popup one row, not a copy of 5,000.

/** Fields of the state that are small and sent in every patch. */
export const SCALARS = ["phase", "progress", "summary", "error", "enrichId", "cancelling", "runId",
  "hostVersion", "updatedAt", "textBytes"];

export class PopupHub {
  constructor({ store, hostInfo, onCommand }) {
    Object.assign(this, { store, hostInfo, onCommand });
    this.ports = new Map(); // port -> {sid, iocs: number sent}
    store.subscribe((change) => this.push(change));
  }

  get size() {
    return this.ports.size;
  }

  attach(port, ready = Promise.resolve()) {
    this.ports.set(port, { sid: null, iocs: 0 });
    port.onDisconnect.addListener(() => this.ports.delete(port));
    port.onMessage.addListener((msg) => {
      if (msg?.cmd === "get") this.sendFull(port);
      else this.onCommand(msg, port);
    });
    ready.then(() => this.sendFull(port));
  }

  post(port, msg) {
    try {
      port.postMessage(msg);
      return true;
    } catch {
      this.ports.delete(port);
      return false;
    }
  }

  sendFull(port) {
    const state = this.store.state;
    const seen = this.ports.get(port);
    if (!seen) return;
    seen.sid = state?.sid ?? null;
    seen.iocs = state?.iocs.length ?? 0;
    this.post(port, { type: "state", state, host: this.hostInfo() });
  }

  push({ full, keys, fields = [], state }) {
    for (const [port, seen] of this.ports) {
      if (full || !state || seen.sid !== state.sid || state.iocs.length < seen.iocs) {
        this.sendFull(port);
        continue;
      }
      const patch = { type: "patch", sid: state.sid, fields: {}, results: {} };
      for (const f of SCALARS) patch.fields[f] = state[f];
      for (const f of fields) patch.fields[f] = state[f]; // e.g. the preview's plan, withheld, preview
      for (const k of keys) if (state.results[k]) patch.results[k] = state.results[k];
      if (state.iocs.length > seen.iocs) {
        patch.iocs = state.iocs.slice(seen.iocs);
        seen.iocs = state.iocs.length;
      }
      this.post(port, patch);
    }
  }

  /** Something outside the state changed (e.g. the host's capabilities): resend everything. */
  refreshAll() {
    for (const port of this.ports.keys()) this.sendFull(port);
  }
}
