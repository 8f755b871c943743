// What may be sent, and whether to ask first. The host decides, per IOC and provider, what
// would be sent, what is cached and what is withheld (its `previewed` reply); the extension keeps
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

/** One reason for an IOC (not private) no provider will get: the common one, else "no_provider". */
function withheldReason(reasons) {
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

/** A provider name as the host spells them; never one that reaches an object's prototype. */
const PROVIDER_NAME = /^[a-z0-9_]{1,64}$/;
const isProviderName = (n) => typeof n === "string" && PROVIDER_NAME.test(n) && n !== "__proto__";

/**
 * One plan of a `previewed` reply, read once for every IOC that has it: its rows
 * `{provider, action: send|cached|withheld, reason?, sends?}` as who gets the IOC, who answers
 * it from the cache, and who does not get it (and why).
 * @returns {{send: string[], cached: string[], withheld: Object<string,string>}}
 */
export function readPlan(rows) {
  const plan = { send: [], cached: [], withheld: {} };
  for (const a of Array.isArray(rows) ? rows : []) {
    if (!isProviderName(a?.provider)) continue;
    if (a.action === "send") plan.send.push(a.provider);
    else if (a.action === "cached") plan.cached.push(a.provider);
    else if (a.action === "withheld") plan.withheld[a.provider] = typeof a.reason === "string" ? a.reason : "withheld";
  }
  return plan;
}

/**
 * The plan from the host's `previewed` reply (protocol 3, PROTOCOL.md "preview"): `plans`, the
 * distinct per-IOC plans (lists of rows, see readPlan); `iocs: [{type, value, plan}]`, each IOC
 * once with the index of its plan; `estimate: {lookups, seconds, providers: {name: {lookups,
 * seconds, remaining_today, paused_until}}}`. The work is per plan, not per IOC and provider. An
 * item whose plan index is not in `plans`, or that is not one of `iocs`, is ignored.
 * @returns {{send: string[], withheld: Object<string,string>, preview: object, ask: boolean}}
 *   preview = {plans: [{send, cached, withheld: {provider: reason}}], planOf: [plan index of
 *   iocs[n], -1 for none], etaSeconds, providers: {name: {send, cached, eta_seconds, types}},
 *   leaving, partly}; types: the IOC types this provider would get (in plan order), leaving:
 *   how many values would leave, partly: how many go to some providers only.
 */
export function planFromPreview(iocs, reply, prefs, { withheld: already = {} } = {}) {
  const keys = iocs.map(iocKey);
  const index = new Map(keys.map((k, n) => [k, n]));
  const plans = (Array.isArray(reply?.plans) ? reply.plans : []).map(readPlan);
  const planOf = new Array(iocs.length).fill(-1);
  const uses = new Array(plans.length).fill(0); // IOCs per plan
  for (const item of Array.isArray(reply?.iocs) ? reply.iocs : []) {
    if (typeof item?.type !== "string" || typeof item.value !== "string") continue;
    const p = item.plan;
    if (!Number.isInteger(p) || p < 0 || p >= plans.length) continue;
    const n = index.get(iocKey(item));
    if (n === undefined || planOf[n] !== -1) continue;
    planOf[n] = p;
    uses[p] += 1;
  }
  const providers = {};
  const lane = (name) => (Object.hasOwn(providers, name) ? providers[name]
    : (providers[name] = { send: 0, cached: 0, eta_seconds: null, types: [] }));
  let partly = 0;
  plans.forEach((pl, p) => {
    if (!uses[p]) return;
    for (const name of pl.send) lane(name).send += uses[p];
    for (const name of pl.cached) lane(name).cached += uses[p];
    if ((pl.send.length || pl.cached.length) && Object.keys(pl.withheld).length) partly += uses[p];
  });
  const est = reply?.estimate && typeof reply.estimate === "object" ? reply.estimate : {};
  for (const [name, e] of Object.entries(est.providers && typeof est.providers === "object" ? est.providers : {})) {
    if (Object.hasOwn(providers, name)) providers[name].eta_seconds = fin(e?.seconds);
  }
  const send = [];
  const withheld = { ...already };
  const reasonOf = new Array(plans.length).fill(null); // computed once per plan
  const firstAt = plans.map(() => new Map()); // per plan: IOC type -> its first place in `send`
  let leaving = 0;
  iocs.forEach((ioc, n) => {
    const p = planOf[n];
    const key = keys[n];
    if (p < 0 || withheld[key]) return;
    const pl = plans[p];
    if (pl.send.length || pl.cached.length) {
      if (!firstAt[p].has(ioc.type)) firstAt[p].set(ioc.type, send.length);
      send.push(key);
      if (pl.send.length) leaving += 1;
    } else {
      withheld[key] = ioc.private ? "private" : (reasonOf[p] ??= withheldReason(Object.values(pl.withheld)));
    }
  });
  // What each provider would get: the types of the values to send, in the order they first come.
  for (const [name, l] of Object.entries(providers)) {
    const at = new Map();
    plans.forEach((pl, p) => {
      if (!pl.send.includes(name)) return;
      for (const [t, i] of firstAt[p]) if (!at.has(t) || i < at.get(t)) at.set(t, i);
    });
    l.types = [...at].sort((x, y) => x[1] - y[1]).map(([t]) => t);
  }
  return { send, withheld, preview: { plans, planOf, etaSeconds: fin(est.seconds), providers, leaving, partly },
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
