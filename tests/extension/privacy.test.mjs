// planFromPreview reads protocol 3's compact `previewed` (distinct plans + {type, value, plan}):
// it must give what the per-row reading of protocol 2 gave for the same facts, and shrug off
// hostile replies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { iocKey } from "../../extension/lib/keys.js";
import { candidates, planFromPreview, readPlan } from "../../extension/lib/privacy.js";
import { ioc } from "./_contract.mjs";

const ALWAYS = { previewMode: "always", previewThreshold: 10, sendPrivate: false };

/**
 * Protocol 2's planFromPreview (before this change), kept here as the reference: one row per
 * IOC with full ioc objects and its providers' rows; byKey per IOC, and the popup's per-provider
 * "types" and "partly" as panels.js computed them from byKey.
 */
function oldPlan(iocs, reply, prefs, { withheld: already = {} } = {}) {
  const byIoc = new Map(iocs.map((i) => [iocKey(i), i]));
  const byKey = {};
  const providers = {};
  const lane = (name) => providers[name] ?? (providers[name] = { send: 0, cached: 0, eta_seconds: null });
  for (const item of reply.iocs) {
    const key = iocKey(item.ioc);
    if (!byIoc.has(key)) continue;
    const p = byKey[key] ?? (byKey[key] = { send: [], cached: [], withheld: {} });
    for (const a of item.providers) {
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
  const fin = (n) => (Number.isFinite(n) && n >= 0 ? n : null);
  for (const [name, e] of Object.entries(reply.estimate.providers)) {
    if (providers[name]) providers[name].eta_seconds = fin(e?.seconds);
  }
  const reasonOf = (i, reasons) => {
    if (i?.private) return "private";
    const set = new Set(reasons);
    if (set.size === 1) {
      const [r] = set;
      if (["never_send", "unsupported", "no_api_key", "disabled", "private"].includes(r)) return r;
    }
    return set.has("never_send") ? "never_send" : "no_provider";
  };
  const send = [];
  const withheld = { ...already };
  let leaving = 0;
  for (const [key, i] of byIoc) {
    if (withheld[key]) continue;
    const p = byKey[key];
    if (!p) continue;
    if (p.send.length || p.cached.length) {
      send.push(key);
      if (p.send.length) leaving += 1;
    } else {
      withheld[key] = reasonOf(i, Object.values(p.withheld));
    }
  }
  // panels.js (protocol 2): what each provider receives, and the "partly" count.
  for (const name of Object.keys(providers)) {
    providers[name].types = [...new Set(send.filter((k) => byKey[k]?.send?.includes(name)).map((k) => k.split(":")[0]))];
  }
  const partly = Object.values(byKey).filter((p) => Object.keys(p.withheld).length && (p.send.length || p.cached.length)).length;
  return { send, withheld, byKey, etaSeconds: fin(reply.estimate.seconds), providers, leaving, partly,
    ask: leaving > 0 && prefs.previewMode !== "never" && (prefs.previewMode !== "threshold" || leaving > prefs.previewThreshold) };
}

function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ["ipv4", "domain", "url", "sha256", "cve", "email"];
const NAMES = ["virustotal", "urlhaus", "internetdb", "nvd", "greynoise", "otx"];
const REASONS = ["never_send", "no_api_key", "disabled", "unsupported", "private", "bad_request"];

/** The same facts twice: a protocol-3 compact reply, and the protocol-2 per-row one. */
function generated(seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const iocs = Array.from({ length: 1 + Math.floor(r() * 60) }, (_, n) =>
    ioc(pick(TYPES), `v${n % 40}-${Math.floor(r() * 3)}`, { private: r() < 0.15 }));
  const distinct = [...new Map(iocs.map((i) => [iocKey(i), i])).values()];
  const plans = Array.from({ length: 1 + Math.floor(r() * 6) }, () =>
    NAMES.filter(() => r() < 0.5).map((provider) => {
      const action = pick(["send", "send", "cached", "withheld"]);
      if (action === "withheld") return r() < 0.9 ? { provider, action, reason: pick(REASONS) } : { provider, action };
      return action === "send" ? { provider, action, sends: "the value" } : { provider, action };
    }));
  const prefs = { ...ALWAYS, previewMode: pick(["always", "threshold"]), previewThreshold: Math.floor(r() * 5),
    sendPrivate: r() < 0.3 };
  const cands = candidates(distinct, prefs);
  // What the host is asked about: the candidates, plus sometimes a value the page did not have.
  const asked = distinct.filter((i) => cands.keys.includes(iocKey(i)) && r() < 0.9);
  if (r() < 0.3) asked.push(ioc("domain", "not-on-the-page.example"));
  const planIdx = asked.map(() => Math.floor(r() * plans.length));
  const estimate = { lookups: 1, seconds: r() < 0.2 ? -1 : Math.floor(r() * 500), providers: Object.fromEntries(
    NAMES.filter(() => r() < 0.8).map((n) => [n, { lookups: 1, seconds: r() < 0.1 ? "x" : Math.floor(r() * 99),
      remaining_today: null, paused_until: null }])) };
  const v3 = { plans, iocs: asked.map((i, n) => ({ type: i.type, value: i.value, plan: planIdx[n] })), estimate };
  const v2 = { iocs: asked.map((i, n) => ({ ioc: i, providers: plans[planIdx[n]] })), estimate };
  return { iocs: distinct, prefs, cands, v3, v2 };
}

/** The plan of one IOC in the compact preview, or undefined. */
function planOfKey(iocs, preview, key) {
  const n = iocs.findIndex((i) => iocKey(i) === key);
  const p = preview.planOf[n];
  return p >= 0 ? preview.plans[p] : undefined;
}

test("per plan gives what per row gave: send, withheld, ask, counts, each IOC's plan, types, partly", () => {
  let planned = 0;
  for (let seed = 1; seed <= 400; seed += 1) {
    const { iocs, prefs, cands, v3, v2 } = generated(seed);
    const got = planFromPreview(iocs, v3, prefs, { withheld: cands.withheld });
    const want = oldPlan(iocs, v2, prefs, { withheld: cands.withheld });
    const at = `seed ${seed}`;
    assert.deepEqual(got.send, want.send, at);
    assert.deepEqual(got.withheld, want.withheld, at);
    assert.equal(got.ask, want.ask, at);
    assert.equal(got.preview.leaving, want.leaving, at);
    assert.equal(got.preview.partly, want.partly, at);
    assert.equal(got.preview.etaSeconds, want.etaSeconds, at);
    assert.deepEqual(got.preview.providers, want.providers, at);
    for (const i of iocs) assert.deepEqual(planOfKey(iocs, got.preview, iocKey(i)), want.byKey[iocKey(i)], `${at} ${iocKey(i)}`);
    planned += got.send.length;
  }
  assert.ok(planned > 1000, "the generated cases plan values, not only nothing");
});

test("an out-of-range or non-integer plan index, or an IOC not on the page, is ignored", () => {
  const iocs = [ioc("domain", "a.example"), ioc("domain", "b.example"), ioc("ipv4", "1.2.3.4")];
  const plans = [[{ provider: "virustotal", action: "send" }]];
  for (const plan of [-1, 1, 7, 0.5, "0", null, undefined, NaN, Infinity, true, [0], { 0: 0 }]) {
    const reply = { plans, iocs: [{ type: "domain", value: "a.example", plan }, { type: "domain", value: "b.example", plan: 0 }],
      estimate: {} };
    const got = planFromPreview(iocs, reply, ALWAYS);
    assert.deepEqual(got.send, ["domain:b.example"], String(plan));
    assert.deepEqual(got.preview.planOf, [-1, 0, -1], String(plan));
    assert.equal(got.preview.providers.virustotal.send, 1, String(plan));
  }
  const stranger = planFromPreview(iocs, { plans, iocs: [{ type: "domain", value: "elsewhere.example", plan: 0 }] }, ALWAYS);
  assert.deepEqual(stranger.send, []);
  assert.deepEqual(stranger.preview.providers, {}, "a value not on the page counts for no provider");
});

test("wrong types and missing parts of the reply plan nothing and never throw", () => {
  const iocs = [ioc("domain", "a.example"), ioc("url", "http://a.example/x")];
  const replies = [null, undefined, 42, "previewed", [], {}, { iocs: [{ type: "domain", value: "a.example", plan: 0 }] },
    { plans: "x", iocs: [{ type: "domain", value: "a.example", plan: 0 }] },
    { plans: [[{ provider: "virustotal", action: "send" }]], iocs: "a.example" },
    { plans: [[{ provider: "virustotal", action: "send" }]], iocs: [null, 3, "x", [], { type: 1, value: "a.example", plan: 0 },
      { type: "domain", value: ["a.example"], plan: 0 }, { value: "a.example", plan: 0 }] },
    { plans: [null, 3, "send", { provider: "virustotal", action: "send" }], iocs: [{ type: "domain", value: "a.example", plan: 0 },
      { type: "url", value: "http://a.example/x", plan: 3 }] },
    { plans: [[null, 1, "virustotal", { provider: 5, action: "send" }, { provider: "virustotal", action: "post" },
      { action: "send" }, { provider: "__proto__", action: "send" }, { provider: "__proto__", action: "cached" },
      { provider: "Not A Name", action: "send" }]], iocs: [{ type: "domain", value: "a.example", plan: 0 }],
    estimate: { seconds: "soon", providers: "all" } }];
  for (const reply of replies) {
    const got = planFromPreview(iocs, reply, ALWAYS);
    assert.deepEqual(got.send, [], JSON.stringify(reply));
    assert.equal(got.ask, false);
    assert.equal(got.preview.leaving, 0);
    assert.equal(Object.getPrototypeOf(got.preview.providers), Object.prototype);
  }
  for (const o of [{}, Object, Object.prototype]) {
    assert.equal(o.send, undefined, "no prototype was touched");
    assert.equal(o.cached, undefined, "no prototype was touched");
  }
  // Names that are Object.prototype's own keys are plain names here.
  const odd = planFromPreview(iocs, { plans: [[{ provider: "constructor", action: "cached" },
    { provider: "hasownproperty", action: "send" }]], iocs: [{ type: "domain", value: "a.example", plan: 0 }] }, ALWAYS);
  assert.deepEqual(odd.preview.providers.constructor, { send: 0, cached: 1, eta_seconds: null, types: [] });
  assert.equal(Object.cached, undefined);
  // A plan whose rows are all junk but one good "withheld" row withholds with that reason.
  const one = planFromPreview(iocs, { plans: [[7, { provider: "virustotal", action: "withheld", reason: "no_api_key" }]],
    iocs: [{ type: "domain", value: "a.example", plan: 0 }] }, ALWAYS);
  assert.deepEqual(one.withheld, { "domain:a.example": "no_api_key" });
});

test("readPlan keeps provider names as the host spells them, nothing that reaches a prototype", () => {
  const p = readPlan([{ provider: "__proto__", action: "withheld", reason: "x" }, { provider: "ok_1", action: "withheld" },
    { provider: "nvd", action: "cached" }, { provider: "virustotal", action: "send", sends: "the URL" }]);
  assert.deepEqual(p, { send: ["virustotal"], cached: ["nvd"], withheld: { ok_1: "withheld" } });
  assert.equal(Object.getPrototypeOf(p.withheld), Object.prototype);
});

test("the duplicate of an IOC counts once: the first plan given wins", () => {
  const iocs = [ioc("domain", "a.example")];
  const reply = { plans: [[{ provider: "virustotal", action: "send" }], [{ provider: "urlhaus", action: "send" }]],
    iocs: [{ type: "domain", value: "a.example", plan: 0 }, { type: "domain", value: "a.example", plan: 1 }] };
  const got = planFromPreview(iocs, reply, ALWAYS);
  assert.deepEqual(got.preview.planOf, [0]);
  assert.deepEqual(Object.keys(got.preview.providers), ["virustotal"]);
  assert.equal(got.preview.providers.virustotal.send, 1);
});

test("what goes to the popup is small: one entry per distinct plan, and a plan index per IOC", () => {
  const iocs = Array.from({ length: 12000 }, (_, i) => ioc(i % 2 ? "domain" : "ipv4", i % 2 ? `h${i}.example-bad.com` : `45.${i >> 8 & 255}.${i & 255}.9`));
  const plans = [[{ provider: "virustotal", action: "send", sends: "the domain" }, { provider: "urlhaus", action: "cached" }],
    [{ provider: "virustotal", action: "send", sends: "the address" }, { provider: "internetdb", action: "send" }]];
  const reply = { plans, iocs: iocs.map((i) => ({ type: i.type, value: i.value, plan: i.type === "domain" ? 0 : 1 })),
    estimate: { seconds: 30, providers: { virustotal: { seconds: 30 } } } };
  const got = planFromPreview(iocs, reply, ALWAYS);
  assert.equal(got.send.length, 12000);
  assert.equal(got.preview.plans.length, 2);
  assert.equal(got.preview.providers.virustotal.send, 12000);
  assert.deepEqual(got.preview.providers.virustotal.types, ["ipv4", "domain"]);
  assert.deepEqual(got.preview.providers.urlhaus, { send: 0, cached: 6000, eta_seconds: null, types: [] });
  const bytes = JSON.stringify(got.preview).length;
  assert.ok(bytes < 40000, `${bytes} bytes of preview for 12,000 IOCs`);
});
