import assert from "node:assert/strict";
import { test } from "node:test";
import { Controller } from "../../extension/lib/controller.js";
import { historySource } from "../../extension/lib/tabs.js";
import { HostClient } from "../../extension/lib/host.js";
import { describeError } from "../../extension/lib/errors.js";
import { statusLine } from "../../extension/lib/ui/status.js";
import { badgeKeyFor } from "../../extension/lib/badges.js";
import { PREFS_KEY } from "../../extension/lib/prefs.js";
import { SESSION_KEY } from "../../extension/lib/state.js";
import { parseHTML } from "linkedom";
import { readCapabilities } from "../../extension/lib/capabilities.js";
import { PopupApp } from "../../extension/lib/ui/app.js";
import { fakeNative, makeApi, portPair, until } from "./_fakes.mjs";
import { contractHost, ioc, pongMsg } from "./_contract.mjs";

const TAB = { id: 7, title: "Threat report", url: "https://blog.example/report" };
const IOCS = [
  ioc("url", "http://evil.com/a", { raw: "hxxp://evil[.]com/a" }),
  ioc("domain", "bad.example"),
  ioc("ipv4", "10.0.0.5", { private: true }),
  ioc("ipv4", "1.2.3.4"),
  ioc("cve", "CVE-2021-44228"),
];
const VERDICTS = {
  "http://evil.com/a": { virustotal: "malicious", urlhaus: "malicious" },
  "bad.example": { virustotal: "clean" },
  "1.2.3.4": { virustotal: "no_data", internetdb: "no_data" },
};

function behaviour(opts = {}) {
  return contractHost({ iocs: IOCS, verdicts: VERDICTS, ...opts });
}

function setup({ native, executeScript, prefs, api: givenApi, partBytes } = {}) {
  const nat = native ?? fakeNative({ behaviour: behaviour() });
  const api = givenApi ?? makeApi({ native: nat, tabs: { 7: TAB },
    executeScript: executeScript ?? (async () => [{ frameId: 0, result: "the selected report text" }]) });
  if (givenApi) api.runtime.connectNative = (n) => nat.connectNative(n);
  if (prefs) api.storage.local.data[PREFS_KEY] = prefs;
  const host = new HostClient({ connectNative: (n) => api.runtime.connectNative(n),
    lastError: () => api.runtime.lastError?.message, idPrefix: "r", ...(partBytes ? { partBytes } : {}) });
  const controller = new Controller({ api, host, persistDelayMs: 0 });
  return { api, host, controller, native: nat };
}

const sentOfType = (native, type) => native.ports.flatMap((p) => p.sent).filter((m) => m.type === type);

/** The plan of one IOC in the compact preview of a state ({send, cached, withheld}), or null. */
function planOfKey(state, key) {
  const n = state.iocs.findIndex((i) => `${i.type}:${i.value}` === key);
  const p = n < 0 ? -1 : state.preview.planOf[n];
  return p >= 0 ? state.preview.plans[p] : null;
}

function attach(api, controller) {
  const [popupSide, bgSide] = portPair("popup", { id: api.runtime.id, url: api.runtime.getURL("popup.html") });
  const received = [];
  popupSide.onMessage.addListener((m) => received.push(m));
  controller.attachPopup(bgSide);
  return { popupSide, received };
}

test("menu click: selection via executeScript, extract, then the host's preview of what goes where", async () => {
  const { api, controller, native } = setup();
  const state = await controller.enrichFromSelection(TAB, { selectionText: "cut", frameId: 0 });
  assert.equal(state.phase, "preview");
  assert.deepEqual(api.scripting.calls[0].target, { tabId: 7, frameIds: [0] });
  const [extract, ...more] = sentOfType(native, "extract");
  assert.equal(extract.text, "the selected report text");
  assert.equal(more.length, 0);
  // Protocol 3: the preview rides on extract; private values are not even offered unless allowed.
  assert.deepEqual(extract.preview, { include_private: false });
  assert.equal(sentOfType(native, "preview").length, 0, "no separate preview request");
  assert.deepEqual(state.plan, ["url:http://evil.com/a", "domain:bad.example", "ipv4:1.2.3.4", "cve:CVE-2021-44228"]);
  assert.equal(state.withheld["ipv4:10.0.0.5"], "private");
  assert.deepEqual(planOfKey(state, "cve:CVE-2021-44228").send, ["nvd"], "which provider gets a CVE is the host's word");
  assert.equal(planOfKey(state, "ipv4:10.0.0.5"), null, "the host was not asked about the private value");
  assert.equal(state.preview.etaSeconds, 30);
  assert.equal(sentOfType(native, "enrich").length, 0, "nothing is sent before the confirm");
  assert.equal(api.action.popupOpens, 1, "the popup opens on the click");
  await until(() => api.storage.session.data[SESSION_KEY]?.phase === "preview", { what: "persisted" });
});

test("what was found shows before the preview: the popup gets the IOCs while the host is still checking", async () => {
  // The host's preview of a big page takes a while: hold its `previewed` back (it follows the
  // `extracted` parts under the same id) and look at the state meanwhile.
  const inner = behaviour({ extractParts: 2 });
  let release;
  const held = new Promise((r) => { release = r; });
  const nat = fakeNative({ behaviour: (msg, port) => inner(msg, { deliver: (m) => {
    if (m.type === "previewed") held.then(() => port.deliver(m));
    else port.deliver(m);
  } }) });
  const { controller } = setup({ native: nat });
  const done = controller.enrichText("the report", { kind: "text" });
  await until(() => controller.getState()?.iocs?.length === IOCS.length, { what: "IOCs shown" });
  const early = controller.getState();
  assert.equal(early.phase, "extracting");
  assert.deepEqual(early.plan, [], "nothing is planned for sending before the host's preview");
  assert.match(statusLine(early), /^Found 5 indicators; checking what would be sent/);
  assert.equal(early.preview, null);
  release();
  const state = await done;
  assert.equal(state.phase, "preview");
  assert.equal(state.plan.length, 4);
  assert.deepEqual(planOfKey(state, "url:http://evil.com/a").send, ["virustotal", "urlhaus"]);
});

test("confirm sends exactly the ticked values; per-provider results and the combined verdict stream in", async () => {
  const { api, controller, native } = setup();
  await controller.enrichFromSelection(TAB, {});
  const { popupSide, received } = attach(api, controller);
  await until(() => received.length > 0, { what: "initial state" });
  popupSide.postMessage({ cmd: "confirm", keys: ["url:http://evil.com/a", "ipv4:1.2.3.4", "ipv4:10.0.0.5", "cve:CVE-2021-44228"] });
  const done = await controller.whenDone();
  const enrich = sentOfType(native, "enrich");
  assert.equal(enrich.length, 1);
  // the private IP is not in the plan, so the popup cannot smuggle it in; bad.example was unticked
  assert.deepEqual(enrich[0].iocs, [{ type: "url", value: "http://evil.com/a" }, { type: "ipv4", value: "1.2.3.4" },
    { type: "cve", value: "CVE-2021-44228" }]);
  assert.equal(enrich[0].include_private, false);
  assert.equal(enrich[0].source_title, "Threat report", "the history run is named after the page");
  assert.equal(enrich[0].source_url, "https://blog.example/report", "the host keeps it only if the user opted in");
  assert.equal(done.phase, "done");
  assert.equal(done.runId, "run-1");
  const url = done.results["url:http://evil.com/a"];
  assert.deepEqual(Object.keys(url.providers).sort(), ["urlhaus", "virustotal"]);
  assert.equal(url.combined.reason, "malicious: VirusTotal 12/73 engines; URLhaus 12/73 engines");
  assert.equal(badgeKeyFor(done, IOCS[0]), "malicious");
  assert.equal(badgeKeyFor(done, IOCS[1]), "not_sent");
  assert.equal(badgeKeyFor(done, IOCS[2]), "private");
  assert.equal(badgeKeyFor(done, IOCS[3]), "no_data", "not found is never clean");
  const phaseOf = (m) => (m.type === "patch" ? m.fields.phase : m.state?.phase);
  await until(() => phaseOf(received.at(-1)) === "done", { what: "the popup got the end" });
  await until(() => api.action.badgeText === "1", { what: "toolbar badge counts malicious" });
});

test("the popup gets keyed patches: one streamed result carries only its own IOC", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "none" }) });
  const { api, controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  const { received } = attach(api, controller);
  await until(() => received.some((m) => m.type === "state"), { what: "full state" });
  const enrichId = sentOfType(native, "enrich")[0].id;
  native.ports[0].deliver({ id: enrichId, type: "result", ioc: IOCS[1], provider: "virustotal", status: "ok",
    cached: true, result: { provider: "virustotal", verdict: "clean", role: "verdict", found: true, facts: {} },
    combined: { verdict: "clean", reason: "clean: VirusTotal", pending: 0, providers: {} } });
  await until(() => received.some((m) => m.type === "patch" && Object.keys(m.results).length), { what: "patch" });
  const patch = received.find((m) => m.type === "patch" && Object.keys(m.results).length);
  assert.deepEqual(Object.keys(patch.results), ["domain:bad.example"]);
  assert.equal(patch.state, undefined, "no copy of the whole state");
  assert.equal(patch.fields.phase, "enriching");
});

/** A popup (PopupApp on linkedom) fed the given messages; its preview panel's text. */
function previewSeenBy(messages) {
  const { document } = parseHTML('<!doctype html><html><body><main id="app"></main></body></html>');
  const app = new PopupApp(document, document.getElementById("app"), { send: () => {}, copy: () => {} });
  for (const m of messages) {
    const msg = structuredClone(m);
    if (msg.type === "state") msg.host = { caps: readCapabilities(pongMsg("x")) };
    app.onMessage(msg);
  }
  return document.getElementById("preview")?.textContent ?? null;
}

test("an open popup gets the preview as a patch (no second copy of the IOCs) and draws it as from the whole state", async () => {
  const { native, release } = holdingPreview();
  const { api, controller } = setup({ native });
  const { received } = attach(api, controller);
  const done = controller.enrichText("the report");
  await until(() => received.some((m) => m.type === "state" && m.state?.iocs?.length === IOCS.length), { what: "list" });
  const before = received.length;
  release();
  const s = await done;
  assert.equal(s.phase, "preview");
  await until(() => received.length > before && received.at(-1).fields?.phase === "preview", { what: "the preview patch" });
  const after = received.slice(before);
  assert.deepEqual(after.map((m) => m.type), ["patch"], "one patch, no whole state");
  const [patch] = after;
  assert.equal(patch.iocs, undefined, "the IOCs are not sent again");
  assert.deepEqual(patch.fields.plan, s.plan);
  assert.deepEqual(patch.fields.withheld, s.withheld);
  assert.deepEqual(patch.fields.preview, s.preview);
  const drawn = previewSeenBy(received);
  assert.match(drawn, /VirusTotal: 3 to send/);
  assert.equal(drawn, previewSeenBy([{ type: "state", state: controller.getState() }]),
    "the same preview as a popup opened now, on the whole state");
});

test("previewMode never: enrich at once without a preview; threshold: ask only above N values leaving", async () => {
  const a = setup({ prefs: { previewMode: "never" } });
  const s = await a.controller.enrichText("text", "text");
  assert.equal(sentOfType(a.native, "enrich").length, 1);
  assert.equal(sentOfType(a.native, "preview").length, 0);
  assert.equal("preview" in sentOfType(a.native, "extract")[0], false, "no preview asked with extract");
  assert.notEqual(s.phase, "preview");
  assert.equal(s.preview, null);

  const b = setup({ prefs: { previewMode: "threshold", previewThreshold: 4 } });
  await b.controller.enrichText("text");
  assert.equal(sentOfType(b.native, "enrich").length, 1, "4 values is not more than 4");

  const c = setup({ prefs: { previewMode: "threshold", previewThreshold: 3 } });
  assert.equal((await c.controller.enrichText("text")).phase, "preview");
});

/** A fake host whose `previewed` frames wait for release(); everything else goes at once. */
function holdingPreview(opts = {}) {
  const inner = behaviour(opts);
  let release;
  const held = new Promise((r) => { release = r; });
  const native = fakeNative({ behaviour: (msg, port) => inner(msg, { deliver: (m) => {
    if (m.type === "previewed" || (m.type === "error" && msg.type === "extract")) held.then(() => port.deliver(m));
    else port.deliver(m);
  } }) });
  return { native, release };
}

test("an error reply after extracted fails the session with one readable sentence; the list stays", async () => {
  const { native, release } = holdingPreview({ previewError: { code: "internal_error",
    message: "the preview failed: the quota store is locked\nTraceback (most recent call last): ..." } });
  const { controller } = setup({ native });
  const done = controller.enrichText("the report");
  await until(() => controller.getState()?.iocs?.length === IOCS.length, { what: "IOCs shown" });
  release();
  const s = await done;
  assert.equal(s.phase, "error");
  assert.equal(s.error.kind, "host_error");
  assert.equal(s.error.code, "internal_error");
  const d = describeError(s.error);
  assert.equal(d.text, "the preview failed: the quota store is locked");
  assert.equal(d.action, "retry");
  assert.equal(s.iocs.length, IOCS.length, "what was found is still shown");
  assert.equal(sentOfType(native, "enrich").length, 0);
  assert.equal(controller.host.pending.size, 0, "the request is done with");
});

test("cancel while the preview is on its way: it stays cancelled, nothing is planned or sent", async () => {
  const { native, release } = holdingPreview();
  const { controller } = setup({ native });
  const done = controller.enrichText("the report");
  await until(() => controller.getState()?.iocs?.length === IOCS.length, { what: "IOCs shown" });
  assert.equal(await controller.cancel(), true);
  release();
  const s = await done;
  await until(() => controller.host.pending.size === 0, { what: "previewed handled" });
  assert.equal(controller.getState().phase, "cancelled");
  assert.equal(s.phase, "cancelled");
  assert.deepEqual(controller.getState().plan, []);
  assert.equal(controller.getState().preview, null);
  assert.equal(sentOfType(native, "enrich").length, 0);

  // An error reply in place of the preview does not turn the cancel into an error either.
  const b = holdingPreview({ previewError: { code: "internal_error", message: "preview failed" } });
  const other = setup({ native: b.native });
  const run = other.controller.enrichText("the report");
  await until(() => other.controller.getState()?.iocs?.length === IOCS.length, { what: "IOCs shown" });
  await other.controller.cancel();
  b.release();
  assert.equal((await run).phase, "cancelled");
  assert.equal(other.controller.getState().error, null);
});

test("a new run while the old preview is on its way: the old preview lands nowhere", async () => {
  const { native, release } = holdingPreview();
  const { controller } = setup({ native, prefs: { previewMode: "always" } });
  const first = controller.enrichText("first");
  await until(() => controller.getState()?.iocs?.length === IOCS.length, { what: "IOCs shown" });
  const oldSid = controller.getState().sid;
  const second = controller.enrichText("second");
  await until(() => controller.getState()?.sid !== oldSid && controller.getState()?.iocs?.length === IOCS.length,
    { what: "second run's IOCs" });
  release();
  const [a, b] = await Promise.all([first, second]);
  assert.equal(b.phase, "preview");
  assert.notEqual(b.sid, oldSid);
  assert.equal(a.sid, b.sid, "the first run returns the current state, untouched by its own preview");
  assert.equal(b.plan.length, 4);
  assert.equal(sentOfType(native, "extract").length, 2);
});

test("sendPrivate offers private IOCs too, with include_private", async () => {
  const { controller, native } = setup({ prefs: { previewMode: "never", sendPrivate: true } });
  await controller.enrichText("t");
  await controller.whenDone();
  const req = sentOfType(native, "enrich")[0];
  assert.ok(req.iocs.some((i) => i.value === "10.0.0.5"));
  assert.equal(req.include_private, true);
});

test("sendPrivate with the preview: extract asks include_private, and the private value gets its plan", async () => {
  const { controller, native } = setup({ prefs: { previewMode: "always", sendPrivate: true } });
  const s = await controller.enrichText("t");
  assert.deepEqual(sentOfType(native, "extract")[0].preview, { include_private: true });
  assert.equal(s.phase, "preview");
  assert.ok(s.plan.includes("ipv4:10.0.0.5"));
  assert.deepEqual(planOfKey(s, "ipv4:10.0.0.5").send, ["virustotal", "urlhaus", "internetdb"]);
  assert.equal(s.withheld["ipv4:10.0.0.5"], undefined);
});

test("unscriptable page: falls back to the menu's selectionText; nothing selected: a clear message", async () => {
  const a = setup({ executeScript: async () => { throw new Error("Cannot access a chrome:// URL"); } });
  await a.controller.enrichFromSelection(TAB, { selectionText: "from the menu 1.2.3.4" });
  assert.equal(sentOfType(a.native, "extract")[0].text, "from the menu 1.2.3.4");
  const b = setup({ executeScript: async () => [{ result: "" }] });
  const s = await b.controller.enrichFromSelection(TAB, {});
  assert.equal(s.error.kind, "empty_selection");
  assert.equal(sentOfType(b.native, "extract").length, 0);
});

test("a selection over the host's cap gets the size message and is never sent", async () => {
  const native = fakeNative({ behaviour: behaviour({ maxText: 10 }) });
  const { controller } = setup({ native, executeScript: async () => [{ result: "\u00e9".repeat(6) }] });
  const s = await controller.enrichFromSelection(TAB, {});
  assert.equal(s.error.kind, "text_too_large");
  assert.equal(s.error.bytes, 12, "counted in UTF-8 bytes");
  assert.equal(s.error.limit, 10);
  assert.equal(sentOfType(native, "extract").length, 0);
  assert.match(describeError(s.error).text, /12 bytes.*at most 10 bytes/);
});

test("an out-of-date helper (pong without our protocol) gets one instruction, not schema errors", async () => {
  // Protocol 3 now: a protocol-2 helper (separate preview request, per-row previewed) is out of date.
  for (const protocol of [null, 1, 2, 4]) {
    const native = fakeNative({ behaviour: behaviour({ protocol }) });
    const { controller } = setup({ native });
    const s = await controller.enrichText("1.2.3.4");
    assert.equal(s.error.kind, "host_outdated", String(protocol));
    assert.equal(sentOfType(native, "extract").length, 0, "nothing else is asked of an old helper");
    const d = describeError(s.error);
    assert.match(d.text, /the helper is out of date: run \.\/install\/install\.sh/);
    assert.deepEqual(d.commands, ["./install/install.sh"]);
  }
});

test("host not installed: the message says what to run, without backticks, and that Try again is enough", async () => {
  const native = fakeNative({ missing: true });
  const { controller } = setup({ native });
  const s = await controller.enrichFromSelection(TAB, {});
  assert.equal(s.error.kind, "host_missing");
  const d = describeError(s.error);
  assert.deepEqual(d.commands, ["./install/install.sh"]);
  const words = `${d.title} ${d.text} ${d.hint}`;
  assert.doesNotMatch(words, /`/);
  assert.doesNotMatch(words, /restart/i);
  assert.match(words, /Try again/);
  assert.equal(d.action, "retry");
});

test("host crash mid-queue keeps the results; the doctor command is the full path the host told", async () => {
  const inner = behaviour({ enrich: "first", cliPath: "/home/u/.local/share/sentinelx/venv/bin/sentinelx" });
  const native = fakeNative({ behaviour: (req, p) => {
    inner(req, p);
    if (req.type === "enrich") queueMicrotask(() => p.hostDisconnect("Native host has exited."));
  } });
  const { controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  const s = await controller.whenDone();
  assert.equal(s.error.kind, "host_crashed");
  assert.equal(Object.keys(s.results).length, 1, "the result received before the crash is kept");
  assert.deepEqual(describeError(s.error).commands, ["/home/u/.local/share/sentinelx/venv/bin/sentinelx doctor"]);
});

test("a long enrich list goes in parts under the frame budget; the host assembles them", async () => {
  const many = Array.from({ length: 400 }, (_, i) => ioc("domain", `host-${i}.example-bad.com`));
  const log = [];
  const native = fakeNative({ behaviour: contractHost({ iocs: many, log }) });
  const { controller } = setup({ native, prefs: { previewMode: "never" }, partBytes: 2048 });
  await controller.enrichText("x");
  const s = await controller.whenDone();
  const frames = log.filter((m) => m.type === "enrich");
  assert.ok(frames.length > 5, `${frames.length} parts`);
  assert.ok(frames.every((f) => f.id === frames[0].id && f.parts === frames.length));
  assert.deepEqual(frames.map((f) => f.part), frames.map((_, i) => i + 1));
  for (const f of frames) assert.ok(new TextEncoder().encode(JSON.stringify(f)).length < 2048 + 200);
  assert.equal(frames.flatMap((f) => f.iocs).length, 400);
  assert.equal(Object.keys(s.results).length, 400);
});

test("extracted and previewed in parts: the list shows once all extracted parts are in, the plan once all previewed", async () => {
  const many = Array.from({ length: 400 }, (_, i) => ioc("domain", `host-${i}.example-bad.com`, { private: i % 50 === 0 }));
  const log = [];
  const seen = [];
  const inner = contractHost({ iocs: many, log, extractParts: 3, previewParts: 4 });
  let flow;
  let line = Promise.resolve(); // one frame per macrotask, in order, as from a real port
  const native = fakeNative({ behaviour: (msg, port) => inner(msg, { deliver: (m) => {
    line = line.then(() => new Promise((r) => setImmediate(r))).then(() => {
      // What the flow had when each frame came (before it is handled).
      const st = flow?.getState();
      seen.push([m.type, m.part, st?.iocs.length ?? 0, st?.preview ? "plan" : "none"]);
      port.deliver(m);
    });
  } }) });
  const { controller } = setup({ native });
  flow = controller;
  const state = await controller.enrichText("x");
  assert.deepEqual(seen.filter(([t]) => t !== "pong").map(([t, part]) => `${t}${part}`),
    ["extracted1", "extracted2", "extracted3", "previewed1", "previewed2", "previewed3", "previewed4"]);
  assert.equal(seen.find(([t, p]) => t === "extracted" && p === 3)[2], 0, "no IOC shown from a part");
  assert.equal(seen.find(([t, p]) => t === "previewed" && p === 1)[2], 400, "the whole list before any preview");
  assert.ok(seen.every(([, , , plan]) => plan === "none"));
  assert.equal(state.phase, "preview");
  assert.equal(state.iocs.length, 400);
  assert.equal(state.plan.length, 392, "every non-private value, from all four parts");
  assert.equal(state.preview.providers.virustotal.send, 392);
  assert.equal(Object.values(state.withheld).filter((r) => r === "private").length, 8);
});

test("a long standalone preview list (a page's request) goes in parts under the frame budget; its reply is compact", async () => {
  const many = Array.from({ length: 400 }, (_, i) => ioc("domain", `host-${i}.example-bad.com`));
  const log = [];
  const native = fakeNative({ behaviour: contractHost({ iocs: many, log, previewParts: 2 }) });
  const { controller } = setup({ native, partBytes: 2048 });
  const res = await controller.hostRequest({ type: "preview", iocs: many.map((i) => ({ type: i.type, value: i.value })) });
  assert.equal(res.ok, true);
  const frames = log.filter((m) => m.type === "preview");
  assert.ok(frames.length > 5, `${frames.length} parts`);
  assert.ok(frames.every((f) => f.id === frames[0].id && f.parts === frames.length));
  assert.deepEqual(frames.map((f) => f.part), frames.map((_, i) => i + 1));
  for (const f of frames) assert.ok(new TextEncoder().encode(JSON.stringify(f)).length < 2048 + 200);
  assert.equal(res.reply.iocs.length, 400, "both parts of the reply");
  assert.deepEqual(res.reply.iocs.map((i) => i.value), many.map((i) => i.value));
  assert.equal(res.reply.plans.length, 2, "one distinct plan for 400 domains, in each of the two parts");
  assert.deepEqual(res.reply.plans[0], res.reply.plans[1]);
  assert.deepEqual(res.reply.iocs.map((i) => i.plan), many.map((_, n) => (n < 200 ? 0 : 1)), "renumbered to its part's plan");
});

test("popup closed and reopened: the new popup gets everything streamed meanwhile", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "first" }) });
  const { api, controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  await until(() => Object.keys(controller.getState().results).length === 1, { what: "a result" });
  const { received } = attach(api, controller);
  await until(() => received.length > 0, { what: "state on reopen" });
  const st = received.at(-1).state;
  assert.equal(st.phase, "enriching");
  assert.deepEqual(Object.keys(st.results), ["url:http://evil.com/a"]);
});

test("service-worker restart: state comes back from storage.session and only the rest is asked again", async () => {
  const native1 = fakeNative({ behaviour: behaviour({ enrich: "first" }) });
  const first = setup({ native: native1, prefs: { previewMode: "never" } });
  await first.controller.enrichText("x");
  await until(() => Object.keys(first.api.storage.session.data[SESSION_KEY]?.results ?? {}).length === 1,
    { what: "first result persisted" });
  const log = [];
  const second = setup({ native: fakeNative({ behaviour: behaviour({ log }) }), api: first.api });
  await second.controller.init();
  const s = await second.controller.whenDone();
  const resent = log.filter((m) => m.type === "enrich");
  assert.equal(resent.length, 1);
  assert.deepEqual(resent[0].iocs.map((i) => i.value), ["bad.example", "1.2.3.4", "CVE-2021-44228"]);
  assert.equal(s.phase, "done");
  assert.equal(badgeKeyFor(s, IOCS[0]), "malicious", "the result from before the restart survived");
});

test("restart in preview keeps the preview; restart while extracting says interrupted", async () => {
  const a = setup();
  await a.controller.enrichText("x");
  await until(() => a.api.storage.session.data[SESSION_KEY]?.phase === "preview", { what: "persisted" });
  const b = setup({ api: a.api, native: fakeNative({ behaviour: behaviour() }) });
  await b.controller.init();
  assert.equal(b.controller.getState().phase, "preview");
  assert.equal(b.controller.confirm(), true);
  assert.equal((await b.controller.whenDone()).phase, "done");

  const c = setup();
  c.api.storage.session.data[SESSION_KEY] = { ...a.api.storage.session.data[SESSION_KEY], phase: "extracting" };
  const d = setup({ api: c.api });
  await d.controller.init();
  assert.equal(d.controller.getState().error.kind, "interrupted");
});

test("cancel targets the enrich id and ends as cancelled; a new run replaces the old one", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "none" }) });
  const { controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  const enrichId = sentOfType(native, "enrich")[0].id;
  await controller.cancel();
  assert.equal(sentOfType(native, "cancel")[0].target, enrichId);
  assert.equal((await controller.whenDone()).phase, "cancelled");

  await controller.enrichText("first");
  const oldId = sentOfType(native, "enrich")[1].id;
  await controller.enrichText("second");
  assert.equal(sentOfType(native, "cancel")[1].target, oldId);
  native.ports[0].deliver({ id: oldId, type: "result", ioc: IOCS[0], provider: "virustotal", status: "ok",
    cached: false, result: { verdict: "malicious" }, combined: { verdict: "malicious", pending: 0 } });
  assert.equal(Object.keys(controller.getState().results).length, 0, "late results of the old run are ignored");
});

test("'Extract from whole page' in the popup reads the tab in front NOW, not the stored source tab", async () => {
  const A = { id: 7, title: "Tab A", url: "https://a.example/", active: false };
  const B = { id: 8, title: "Tab B", url: "https://b.example/", active: true };
  const native = fakeNative({ behaviour: behaviour() });
  const api = makeApi({ native, tabs: { 7: A, 8: B },
    executeScript: async ({ target }) => [{ result: target.tabId === 8 ? "text of B" : "text of A" }] });
  api.tabs.query = async (q) => [A, B].filter((t) => !q.active || t.active);
  const { controller } = setup({ native, api });
  await controller.enrichFromSelection(A, {}, { open: false });
  const { popupSide } = attach(api, controller);
  popupSide.postMessage({ cmd: "page" });
  await until(() => controller.getState().source.kind === "page" && controller.getState().phase !== "reading",
    { what: "page run" });
  assert.equal(controller.getState().source.tabId, 8);
  assert.equal(controller.getState().source.title, "Tab B");
  assert.equal(sentOfType(native, "extract").at(-1).text, "text of B");
});

test("the popup's lookup box runs the flow on the typed text, and its quota button sends quota.reset", async () => {
  const { api, controller, native } = setup({ prefs: { previewMode: "never" } });
  const { popupSide } = attach(api, controller);
  popupSide.postMessage({ cmd: "lookup", text: "hxxp://evil[.]com/a\n1.2.3[.]4" });
  await until(() => sentOfType(native, "extract").length === 1, { what: "extract" });
  assert.equal(sentOfType(native, "extract")[0].text, "hxxp://evil[.]com/a\n1.2.3[.]4");
  await controller.whenDone();
  assert.equal(controller.getState().source.kind, "typed");
  popupSide.postMessage({ cmd: "quota_reset", provider: "virustotal" });
  await until(() => sentOfType(native, "quota.reset").length === 1, { what: "quota.reset" });
  assert.equal(sentOfType(native, "quota.reset")[0].provider, "virustotal");
  popupSide.postMessage({ cmd: "quota_reset", provider: "../etc" });
  await until(() => sentOfType(native, "quota.reset").length === 2, { what: "second reset" });
  assert.equal(sentOfType(native, "quota.reset")[1].provider, undefined, "a bad name is not passed on");
});

test("page requests go through the one port; keys never land in extension storage; enrich is refused", async () => {
  const KEY = "abcdef0123456789secretkey9999";
  const inner = behaviour();
  const native = fakeNative({ behaviour: (req, p) => {
    if (req.type === "config.set_key") {
      p.deliver({ id: req.id, type: "config", settings: {}, keys: { [req.provider]: { set: true, masked: `****${req.key.slice(-4)}`, source: "file" } },
        key_check: { provider: req.provider, status: "ok" } });
    } else inner(req, p);
  } });
  const { api, controller } = setup({ native });
  const res = await controller.hostRequest({ type: "config.set_key", provider: "urlhaus", key: KEY });
  assert.equal(res.ok, true);
  assert.equal(res.reply.keys.urlhaus.masked, "****9999");
  await controller.enrichText("x");
  await until(() => api.storage.session.writes > 0, { what: "a write" });
  for (const area of [api.storage.local, api.storage.session, api.storage.sync]) {
    assert.ok(!JSON.stringify(area.data).includes(KEY), "key found in extension storage");
  }
  assert.equal((await controller.hostRequest({ type: "enrich", text: "x" })).ok, false);
  assert.equal((await controller.hostRequest({ type: "quota.reset" })).ok, true);
  assert.equal((await controller.hostRequest({ type: "history.list", offset: 0 })).ok, false, "forwarded; the fake does not know it");
  assert.equal(sentOfType(native, "history.list").length, 1);
});

test("the popup window is the fallback when action.openPopup is not available", async () => {
  const { api, controller } = setup();
  api.action.openPopup = async () => { throw new Error("no active browser window"); };
  await controller.enrichFromSelection(TAB, {});
  await until(() => api.windows.created.length === 1, { what: "window" });
  assert.match(api.windows.created[0].url, /popup\.html$/);
});

test("done with the popup closed: a notification summarises the verdicts", async () => {
  const { api, controller } = setup({ prefs: { previewMode: "never" } });
  await controller.enrichText("x", "text");
  await controller.whenDone();
  await until(() => api.notifications.created.length === 1, { what: "notification" });
  assert.match(api.notifications.created[0].opts.message, /1 malicious/);
  assert.match(api.notifications.created[0].opts.message, /1 clean/);
});

test("historySource: the title, and an http(s) URL without credentials only", () => {
  assert.deepEqual(historySource({ kind: "typed" }), {});
  assert.deepEqual(historySource({ title: "  ", url: "chrome://newtab/" }), {});
  assert.deepEqual(historySource({ title: "T", url: "https://u:p@x.example/a?b=1#c" }),
    { source_title: "T", source_url: "https://x.example/a?b=1#c" });
  assert.equal(historySource({ url: `https://x.example/${"a".repeat(5000)}` }).source_url.length, 2048);
  assert.deepEqual(historySource({ url: "not a url" }), {});
});
