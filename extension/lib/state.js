// The state of the current enrichment session: plain JSON, so it can live in storage.session
// and be sent to the popup as is. The functions here change it in place.
//
// results[key] = {providers: {name: {status, reason?, cached, result?, error?}}, combined}
// where `combined` is the host's combined verdict for the IOC after its latest provider outcome.
import { iocKey } from "./keys.js";

export const SESSION_KEY = "sx.session";
export const STATE_VERSION = 2;

/** Phases: reading -> extracting -> (preview ->) enriching -> done | cancelled | error. */
export const TERMINAL_PHASES = new Set(["done", "cancelled", "error"]);
export const SETTLED_PHASES = new Set(["preview", "done", "cancelled", "error"]);

export function newSession(sid, source, now) {
  return {
    v: STATE_VERSION,
    sid,
    phase: "reading",
    source: source ?? { kind: "text" },
    startedAt: now,
    updatedAt: now,
    textBytes: null,
    iocs: [], // wire IOC objects from `extracted`, in first-seen order
    plan: [], // keys that may be sent (before the preview)
    send: [], // keys confirmed for sending
    withheld: {}, // key -> private | no_provider | deselected
    // The privacy preview, compact (privacy.js planFromPreview): {plans: [{send, cached, withheld}],
    // planOf: [plan index of iocs[n], -1 for none], etaSeconds, providers, leaving, partly}.
    preview: null,
    results: {}, // key -> {providers: {name: outcome}, combined}
    progress: null, // last `progress` message (without id/type)
    summary: null, // the `summary` message (without id/type)
    runId: null, // history run of the last enrich (summary.run_id), for exports
    error: null, // {kind, code?, message?, ...} (see errors.js)
    enrichId: null,
    cancelling: false,
    hostVersion: null,
  };
}

/** The fields setExtracted changes besides the small ones (for a keyed patch to the popup). */
export const PREVIEW_FIELDS = Object.freeze(["plan", "withheld", "preview"]);

export function setExtracted(state, iocs, plan) {
  state.iocs = iocs;
  state.plan = plan.send;
  state.withheld = { ...plan.withheld };
  state.preview = plan.preview ?? null;
  state.phase = "extracting";
}

function strip(msg) {
  const { id: _id, type: _type, ...rest } = msg;
  return rest;
}

const known = new WeakMap(); // state -> Set of iocKeys (not persisted; rebuilt on demand)

function knownKeys(state) {
  let set = known.get(state);
  if (!set || set.size !== state.iocs.length) {
    set = new Set(state.iocs.map(iocKey));
    known.set(state, set);
  }
  return set;
}

/** Apply one per-(IOC, provider) outcome. Returns the IOC's key, or null if it was unusable. */
export function applyResult(state, msg) {
  if (!msg?.ioc || typeof msg.ioc.type !== "string" || typeof msg.ioc.value !== "string") return null;
  const key = iocKey(msg.ioc);
  const keys = knownKeys(state);
  if (!keys.has(key)) {
    state.iocs.push(msg.ioc);
    keys.add(key);
  }
  const entry = state.results[key] ?? (state.results[key] = { providers: {}, combined: null });
  const name = typeof msg.provider === "string" ? msg.provider : "host";
  const outcome = { status: msg.status, cached: msg.cached === true };
  if (msg.reason) outcome.reason = msg.reason;
  if (msg.result) outcome.result = msg.result;
  if (msg.error) outcome.error = msg.error;
  entry.providers[name] = outcome;
  if (msg.combined && typeof msg.combined === "object") entry.combined = msg.combined;
  return key;
}

/**
 * Apply one reply of an enrich stream.
 * @returns {{changed: boolean, keys: string[]}} keys: the IOCs whose results changed.
 */
export function applyEnrichMessage(state, msg) {
  switch (msg?.type) {
    case "result": {
      const key = applyResult(state, msg);
      return { changed: key !== null, keys: key ? [key] : [] };
    }
    case "results": {
      const keys = [];
      for (const r of Array.isArray(msg.results) ? msg.results : []) {
        const key = applyResult(state, r);
        if (key) keys.push(key);
      }
      return { changed: keys.length > 0, keys };
    }
    case "progress":
      state.progress = strip(msg);
      return { changed: true, keys: [] };
    case "summary":
      state.summary = strip(msg);
      if (typeof msg.run_id === "string" || Number.isInteger(msg.run_id)) state.runId = msg.run_id;
      state.phase = msg.cancelled ? "cancelled" : "done";
      state.cancelling = false;
      return { changed: true, keys: [] };
    default:
      return { changed: false, keys: [] };
  }
}

const sendSets = new WeakMap(); // state.send array -> Set (rebuilt when it grows)

/** The keys confirmed for sending, as a Set (O(1) membership for 5,000-IOC sessions). */
export function sendSet(state) {
  let set = sendSets.get(state.send);
  if (!set || set.size !== state.send.length) {
    set = new Set(state.send);
    sendSets.set(state.send, set);
  }
  return set;
}

/** True once every provider asked about this IOC has answered (the host's combined.pending). */
export function isSettled(entry) {
  return Boolean(entry && entry.combined && !(entry.combined.pending > 0));
}

/** Keys that were to be sent but are not settled yet. */
export function remainingKeys(state) {
  return state.send.filter((k) => !isSettled(state.results[k]));
}

/** A restored state must look like ours; anything else is dropped. */
export function isValidState(s) {
  return Boolean(s && typeof s === "object" && s.v === STATE_VERSION && typeof s.sid === "string"
    && Array.isArray(s.iocs) && Array.isArray(s.send) && s.results && typeof s.results === "object");
}
