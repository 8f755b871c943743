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

/**
 * The plan from the host's preview reply.
 * @returns {{send: string[], withheld: Object<string,string>, preview: object, ask: boolean}}
 */
export function planFromPreview(iocs, reply, prefs, { withheld: already = {} } = {}) {
  const byIoc = new Map(iocs.map((i) => [iocKey(i), i]));
  const byKey = {};
  for (const item of Array.isArray(reply?.items) ? reply.items : []) {
    if (!item?.ioc) continue;
    const key = iocKey(item.ioc);
    if (!byIoc.has(key)) continue;
    const w = item.withheld && typeof item.withheld === "object" ? item.withheld : {};
    byKey[key] = { send: names(item.send), cached: names(item.cached),
      withheld: Object.fromEntries(Object.entries(w).filter(([, r]) => typeof r === "string")) };
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
  const eta = Number.isFinite(reply?.eta_seconds) ? reply.eta_seconds : null;
  const providers = reply?.providers && typeof reply.providers === "object" ? reply.providers : {};
  return { send, withheld, preview: { byKey, etaSeconds: eta, providers, leaving },
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
