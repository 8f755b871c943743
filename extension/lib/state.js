// The state of the current enrichment session: plain JSON, so it can live in storage.session
// and be sent to the popup as is. The functions here change it in place.
import { iocKey } from "./keys.js";

export const SESSION_KEY = "sx.session";
export const STATE_VERSION = 1;

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
    withheld: {}, // key -> private | unsupported | deselected
    results: {}, // key -> {status, reason?, cached, enrichment?, error?}
    progress: null, // last `progress` message (without id/type)
    summary: null, // the `summary` message (without id/type)
    error: null, // {kind, code?, message?, ...} (see errors.js)
    enrichId: null,
    cancelling: false,
    hostVersion: null,
  };
}

export function setExtracted(state, iocs, plan) {
  state.iocs = iocs;
  state.plan = plan.send;
  state.withheld = { ...plan.withheld };
  state.phase = "extracting";
}

function strip(msg) {
  const { id: _id, type: _type, ...rest } = msg;
  return rest;
}

/** Apply one reply of an enrich stream. Returns true when it changed the state. */
export function applyEnrichMessage(state, msg) {
  switch (msg?.type) {
    case "result": {
      if (!msg.ioc) return false;
      const key = iocKey(msg.ioc);
      if (!state.iocs.some((i) => iocKey(i) === key)) state.iocs.push(msg.ioc);
      const { ioc: _ioc, ...rest } = strip(msg);
      state.results[key] = rest;
      return true;
    }
    case "progress":
      state.progress = strip(msg);
      return true;
    case "summary":
      state.summary = strip(msg);
      state.phase = msg.cancelled ? "cancelled" : "done";
      state.cancelling = false;
      return true;
    default:
      return false;
  }
}

/** Keys that were to be sent but have no result yet. */
export function remainingKeys(state) {
  return state.send.filter((k) => !state.results[k]);
}

/** A restored state must look like ours; anything else is dropped. */
export function isValidState(s) {
  return Boolean(s && typeof s === "object" && s.v === STATE_VERSION && typeof s.sid === "string"
    && Array.isArray(s.iocs) && Array.isArray(s.send) && s.results && typeof s.results === "object");
}
