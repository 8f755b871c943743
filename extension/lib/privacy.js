// What may be sent, and whether to ask first. The host decides, per IOC and provider, what
// would be sent, what is cached and what is withheld (its `preview` reply); the extension keeps
// no copy of which provider takes which type.
import { iocKey } from "./keys.js";

export const PREVIEW_MODES = ["always", "threshold", "never"];

/** The IOCs to offer to the host at all: private ones only when the user allows it. */
export function candidates(iocs, prefs) {
  const keys = [];
  const withheld = {};
  for (const ioc of iocs) {
    const key = iocKey(ioc);
    if (ioc.private && !prefs.sendPrivate) withheld[key] = "private";
    else keys.push(key);
  }
  return { keys, withheld };
}

function names(list) {
  return Array.isArray(list) ? list.filter((n) => typeof n === "string") : [];
}

/** One reason for an IOC no provider will get: the common one, else "no_provider". */
function withheldReason(ioc, reasons) {
  if (ioc?.private) return "private";
  const set = new Set(reasons);
  if (set.size === 1) {
    const [r] = set;
    if (["never_send", "unsupported", "no_api_key", "disabled", "private"].includes(r)) return r;
  }
  if (set.has("never_send")) return "never_send";
  return "no_provider";
}

function fin(n) {
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/**
 * The plan from the host's `previewed` reply: `iocs: [{ioc, providers: [{provider, action:
 * send|cached|withheld, reason?, sends?}]}]` and `estimate: {lookups, seconds, providers: {name:
 * {lookups, seconds, remaining_today, paused_until}}}` (PROTOCOL.md "preview").
 * @returns {{send: string[], withheld: Object<string,string>, preview: object, ask: boolean}}
 *   preview = {byKey: {key: {send, cached, withheld: {provider: reason}}}, etaSeconds,
 *   providers: {name: {send, cached, eta_seconds}}, leaving}
 */
export function planFromPreview(iocs, reply, prefs, { withheld: already = {} } = {}) {
  const byIoc = new Map(iocs.map((i) => [iocKey(i), i]));
  const byKey = {};
  const providers = {};
  const lane = (name) => providers[name] ?? (providers[name] = { send: 0, cached: 0, eta_seconds: null });
  for (const item of Array.isArray(reply?.iocs) ? reply.iocs : []) {
    if (!item?.ioc || typeof item.ioc.type !== "string" || typeof item.ioc.value !== "string") continue;
    const key = iocKey(item.ioc);
    if (!byIoc.has(key)) continue;
    const p = byKey[key] ?? (byKey[key] = { send: [], cached: [], withheld: {} });
    for (const a of Array.isArray(item.providers) ? item.providers : []) {
      if (typeof a?.provider !== "string") continue;
      if (a.action === "send") {
        p.send.push(a.provider);
        lane(a.provider).send += 1;
      } else if (a.action === "cached") {
        p.cached.push(a.provider);
        lane(a.provider).cached += 1;
      } else if (a.action === "withheld") {
        p.withheld[a.provider] = typeof a.reason === "string" ? a.reason : "withheld";
      }
    }
  }
  const est = reply?.estimate && typeof reply.estimate === "object" ? reply.estimate : {};
  for (const [name, e] of Object.entries(est.providers && typeof est.providers === "object" ? est.providers : {})) {
    if (providers[name]) providers[name].eta_seconds = fin(e?.seconds);
  }
  const send = [];
  const withheld = { ...already };
  let leaving = 0;
  for (const [key, ioc] of byIoc) {
    if (withheld[key]) continue;
    const p = byKey[key];
    if (!p) continue;
    if (p.send.length || p.cached.length) {
      send.push(key);
      if (p.send.length) leaving += 1;
    } else {
      withheld[key] = withheldReason(ioc, Object.values(p.withheld));
    }
  }
  return { send, withheld, preview: { byKey, etaSeconds: fin(est.seconds), providers, leaving },
    ask: shouldAsk(leaving, prefs) };
}

export function shouldAsk(leaving, prefs) {
  if (leaving === 0 || prefs.previewMode === "never") return false;
  if (prefs.previewMode === "threshold") return leaving > prefs.previewThreshold;
  return true;
}

/** The `iocs` list of a request for the given keys (only type and value leave). */
export function iocRefs(iocs, keys) {
  const wanted = new Set(keys);
  return iocs.filter((i) => wanted.has(iocKey(i))).map((i) => ({ type: i.type, value: i.value }));
}
