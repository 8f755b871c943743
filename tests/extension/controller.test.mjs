import assert from "node:assert/strict";
import { test } from "node:test";
import { Controller } from "../../extension/lib/controller.js";
import { HostClient } from "../../extension/lib/host.js";
import { describeError } from "../../extension/lib/errors.js";
import { badgeKeyFor } from "../../extension/lib/badges.js";
import { PREFS_KEY } from "../../extension/lib/prefs.js";
import { SESSION_KEY } from "../../extension/lib/state.js";
import { enrichment, fakeNative, ioc, makeApi, portPair, until } from "./_fakes.mjs";

const TAB = { id: 7, title: "Threat report", url: "https://blog.example/report" };
const IOCS = [
  ioc("url", "http://evil.com/a", { raw: "hxxp://evil[.]com/a" }),
  ioc("domain", "bad.example"),
  ioc("ipv4", "10.0.0.5", { private: true }),
  ioc("ipv4", "1.2.3.4"),
  ioc("cve", "CVE-2021-44228"),
];
const VERDICTS = { "http://evil.com/a": "malicious", "bad.example": "clean", "1.2.3.4": "no_data" };

/** A scripted host: ping, extract (IOCS), enrich (one result per requested IOC), cancel. */
function behaviour({ iocs = IOCS, maxText = 1000, enrich = "all", log = [] } = {}) {
  return (req, port) => {
    log.push(req);
    const reply = (m) => port.deliver({ id: req.id, ...m });
    switch (req.type) {
      case "ping":
        reply({ type: "pong", version: "0.1.0",
          limits: { max_text_bytes: maxText, max_frame_bytes: 1 << 24, max_reply_bytes: 1 << 20 } });
        break;
      case "extract":
        reply({ type: "extracted", part: 1, parts: 1, iocs });
        break;
      case "enrich": {
        if (enrich === "none") break;
        const list = enrich === "first" ? req.iocs.slice(0, 1) : req.iocs;
        for (const ref of list) {
          const full = iocs.find((i) => i.type === ref.type && i.value === ref.value);
          reply({ type: "result", ioc: full, status: "ok", cached: false,
            enrichment: enrichment(VERDICTS[ref.value] ?? "no_data") });
          reply({ type: "progress", done: 1, total: req.iocs.length, queued: 0,
            waiting_for_quota: false, quota_state: "ok", next_slot_at: null });
        }
        if (enrich === "all") reply({ type: "summary", total: list.length, cached: 0, cancelled: false,
          counts: { malicious: 0, suspicious: 0, clean: 0, no_data: 0, skipped: 0, error: 0 } });
        break;
      }
      case "cancel":
        reply({ type: "cancelled", target: req.target, found: true });
        port.deliver({ id: req.target, type: "summary", total: 0, cancelled: true,
          counts: { malicious: 0, suspicious: 0, clean: 0, no_data: 0, skipped: 0, error: 0 } });
        break;
      default:
        reply({ type: "error", code: "unknown_type", message: "?" });
    }
  };
}

function setup({ native, executeScript, prefs, api: givenApi } = {}) {
  const nat = native ?? fakeNative({ behaviour: behaviour() });
  const api = givenApi ?? makeApi({ native: nat, tabs: { 7: TAB },
    executeScript: executeScript ?? (async () => [{ frameId: 0, result: "the selected report text" }]) });
  if (givenApi) api.runtime.connectNative = (n) => nat.connectNative(n);
  if (prefs) api.storage.local.data[PREFS_KEY] = prefs;
  const host = new HostClient({ connectNative: (n) => api.runtime.connectNative(n),
    lastError: () => api.runtime.lastError?.message, idPrefix: "r" });
  const controller = new Controller({ api, host, persistDelayMs: 0 });
  return { api, host, controller, native: nat };
}

const sentOfType = (native, type) => native.ports.flatMap((p) => p.sent).filter((m) => m.type === type);

test("menu click: selection via executeScript, extract, preview of exactly what would be sent", async () => {
  const { api, controller, native } = setup();
  const state = await controller.enrichFromSelection(TAB, { selectionText: "cut", frameId: 0, menuItemId: "x" });
  assert.equal(state.phase, "preview");
  assert.equal(api.scripting.calls[0].target.tabId, 7);
  assert.deepEqual(api.scripting.calls[0].target.frameIds, [0]);
  assert.equal(sentOfType(native, "extract")[0].text, "the selected report text");
  assert.deepEqual(state.plan, ["url:http://evil.com/a", "domain:bad.example", "ipv4:1.2.3.4"]);
  assert.equal(state.withheld["ipv4:10.0.0.5"], "private");
  assert.equal(state.withheld["cve:CVE-2021-44228"], "unsupported");
  assert.equal(sentOfType(native, "enrich").length, 0, "nothing is sent before the confirm");
  assert.equal(api.action.popupOpens, 1, "the popup opens on the click");
  await until(() => api.storage.session.data[SESSION_KEY]?.phase === "preview", { what: "persisted" });
});

test("confirm from the popup sends exactly the confirmed values; results stream into the state", async () => {
  const { api, controller, native } = setup();
  await controller.enrichFromSelection(TAB, {});
  const [popupSide, bgSide] = portPair("popup", { id: api.runtime.id, url: api.runtime.getURL("popup.html") });
  const received = [];
  popupSide.onMessage.addListener((m) => received.push(m));
  controller.attachPopup(bgSide);
  await until(() => received.length > 0, { what: "initial state" });
  popupSide.postMessage({ cmd: "confirm", keys: ["url:http://evil.com/a", "ipv4:1.2.3.4", "ipv4:10.0.0.5"] });
  const done = await controller.whenDone();
  const enrich = sentOfType(native, "enrich");
  assert.equal(enrich.length, 1);
  // the private IP is not in the plan, so it cannot be smuggled in by the popup; bad.example was unticked
  assert.deepEqual(enrich[0].iocs, [{ type: "url", value: "http://evil.com/a" }, { type: "ipv4", value: "1.2.3.4" }]);
  assert.equal(enrich[0].include_private, false);
  assert.equal(done.phase, "done");
  assert.equal(badgeKeyFor(done, IOCS[0]), "malicious");
  assert.equal(badgeKeyFor(done, IOCS[1]), "not_sent");
  assert.equal(badgeKeyFor(done, IOCS[2]), "private");
  assert.equal(badgeKeyFor(done, IOCS[3]), "no_data");
  assert.equal(badgeKeyFor(done, IOCS[4]), "unsupported");
  await until(() => received.at(-1)?.state?.phase === "done", { what: "popup got the final state" });
  assert.equal(api.action.badgeText, "1", "toolbar badge counts malicious");
});

test("previewMode never: enrich right away; threshold: ask only above N", async () => {
  const a = setup({ prefs: { previewMode: "never" } });
  const s = await a.controller.enrichText("text", "text");
  assert.equal(sentOfType(a.native, "enrich").length, 1);
  assert.notEqual(s.phase, "preview");

  const b = setup({ prefs: { previewMode: "threshold", previewThreshold: 3 } });
  await b.controller.enrichText("text");
  assert.equal(sentOfType(b.native, "enrich").length, 1, "3 values is not more than 3");

  const c = setup({ prefs: { previewMode: "threshold", previewThreshold: 2 } });
  assert.equal((await c.controller.enrichText("text")).phase, "preview");
});

test("sendPrivate lets private IOCs through, with include_private", async () => {
  const { controller, native } = setup({ prefs: { previewMode: "never", sendPrivate: true } });
  await controller.enrichText("t");
  await controller.whenDone();
  const req = sentOfType(native, "enrich")[0];
  assert.ok(req.iocs.some((i) => i.value === "10.0.0.5"));
  assert.equal(req.include_private, true);
  assert.ok(!req.iocs.some((i) => i.type === "cve"), "CVEs never go to VT");
});

test("unscriptable page: falls back to the menu's selectionText", async () => {
  const { controller, native } = setup({ executeScript: async () => { throw new Error("Cannot access a chrome:// URL"); } });
  await controller.enrichFromSelection(TAB, { selectionText: "from the menu 1.2.3.4" });
  assert.equal(sentOfType(native, "extract")[0].text, "from the menu 1.2.3.4");
});

test("nothing selected: a clear message, nothing sent", async () => {
  const { controller, native } = setup({ executeScript: async () => [{ result: "" }] });
  const s = await controller.enrichFromSelection(TAB, {});
  assert.equal(s.error.kind, "empty_selection");
  assert.equal(sentOfType(native, "extract").length, 0);
});

test("a selection over the host's cap gets the size message and is never sent", async () => {
  const native = fakeNative({ behaviour: behaviour({ maxText: 10 }) });
  const { controller } = setup({ native, executeScript: async () => [{ result: "\u00e9".repeat(6) }] });
  const s = await controller.enrichFromSelection(TAB, {});
  assert.equal(s.phase, "error");
  assert.equal(s.error.kind, "text_too_large");
  assert.equal(s.error.bytes, 12, "counted in UTF-8 bytes");
  assert.equal(s.error.limit, 10);
  assert.equal(sentOfType(native, "extract").length, 0);
  const d = describeError(s.error);
  assert.match(d.title, /too large/);
  assert.match(d.text, /12 bytes.*at most 10 bytes/);
});

test("the host's own text_too_large reply maps to the same message", async () => {
  const native = fakeNative({ behaviour: (req, port) => {
    if (req.type === "ping") port.deliver({ id: req.id, type: "pong", version: "1" });
    else port.deliver({ id: req.id, type: "error", code: "text_too_large", message: "text is 9 bytes" });
  } });
  const { controller } = setup({ native });
  const s = await controller.enrichText("123456789");
  assert.equal(s.error.kind, "text_too_large");
  assert.equal(s.error.bytes, 9);
});

test("host not installed: the state says host_missing and the message says what to run", async () => {
  const native = fakeNative({ missing: true });
  const { controller } = setup({ native });
  const s = await controller.enrichFromSelection(TAB, {});
  assert.equal(s.phase, "error");
  assert.equal(s.error.kind, "host_missing");
  const d = describeError(s.error);
  assert.deepEqual(d.commands, ["./install/install.sh", "sentinelx doctor"]);
  assert.doesNotMatch(d.title, /Specified native messaging host/);
});

test("host crash mid-queue keeps the results and says it crashed", async () => {
  let port;
  const native = fakeNative({ behaviour: (req, p) => {
    port = p;
    if (req.type === "enrich") {
      behaviour({ enrich: "first" })(req, p);
      queueMicrotask(() => p.hostDisconnect("Native host has exited."));
    } else behaviour()(req, p);
  } });
  const { controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  const s = await controller.whenDone();
  assert.ok(port);
  assert.equal(s.error.kind, "host_crashed");
  assert.equal(Object.keys(s.results).length, 1, "the result received before the crash is kept");
});

test("no API key (error reply to enrich) and a bad key (auth results) are distinct states", async () => {
  const native = fakeNative({ behaviour: (req, p) => {
    if (req.type === "enrich") p.deliver({ id: req.id, type: "error", code: "no_api_key", message: "no key" });
    else behaviour()(req, p);
  } });
  const a = setup({ native, prefs: { previewMode: "never" } });
  await a.controller.enrichText("x");
  const s = await a.controller.whenDone();
  assert.equal(s.error.kind, "no_api_key");
  assert.equal(describeError(s.error).action, "options");
});

test("popup closed and reopened: the new popup gets everything streamed meanwhile", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "none" }) });
  const { api, controller } = setup({ native, prefs: { previewMode: "never" } });
  const sender = { id: api.runtime.id, url: api.runtime.getURL("popup.html") };
  const [p1, b1] = portPair("popup", sender);
  controller.attachPopup(b1);
  await controller.enrichText("x");
  const enrichReq = sentOfType(native, "enrich")[0];
  const hostPort = native.ports[0];
  hostPort.deliver({ id: enrichReq.id, type: "result", ioc: IOCS[0], status: "ok", cached: true,
    enrichment: enrichment("malicious") });
  p1.disconnect(); // popup closed
  assert.equal(controller.popups.size, 0);
  hostPort.deliver({ id: enrichReq.id, type: "result", ioc: IOCS[3], status: "ok", cached: false,
    enrichment: enrichment("no_data") });
  hostPort.deliver({ id: enrichReq.id, type: "progress", done: 2, total: 3, queued: 1,
    waiting_for_quota: true, quota_state: "minute_limit", next_slot_at: "2030-01-01T00:00:42Z", remaining_today: 498 });
  const [p2, b2] = portPair("popup", sender);
  const got = [];
  p2.onMessage.addListener((m) => got.push(m));
  controller.attachPopup(b2);
  await until(() => got.length > 0, { what: "state on reopen" });
  const st = got.at(-1).state;
  assert.equal(st.phase, "enriching");
  assert.deepEqual(Object.keys(st.results).sort(), ["ipv4:1.2.3.4", "url:http://evil.com/a"]);
  assert.equal(st.progress.quota_state, "minute_limit");
  assert.equal(st.progress.remaining_today, 498);
});

test("service-worker restart: state comes back from storage.session and the rest is asked again", async () => {
  const native1 = fakeNative({ behaviour: behaviour({ enrich: "first" }) });
  const first = setup({ native: native1, prefs: { previewMode: "never" } });
  await first.controller.enrichText("x");
  await until(() => Object.keys(first.api.storage.session.data[SESSION_KEY]?.results ?? {}).length === 1,
    { what: "first result persisted" });
  const saved = first.api.storage.session.data[SESSION_KEY];
  assert.equal(saved.phase, "enriching");

  // The worker dies: memory is gone, the native port (and host process) with it. storage.session stays.
  const log = [];
  const native2 = fakeNative({ behaviour: behaviour({ log }) });
  const second = setup({ native: native2, api: first.api });
  await second.controller.init();
  const s = await second.controller.whenDone();
  const resent = log.filter((m) => m.type === "enrich");
  assert.equal(resent.length, 1);
  assert.deepEqual(resent[0].iocs, [{ type: "domain", value: "bad.example" }, { type: "ipv4", value: "1.2.3.4" }],
    "only what had no result yet");
  assert.equal(s.phase, "done");
  assert.equal(Object.keys(s.results).length, 3);
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

test("cancel sends cancel with the enrich id as target and ends as cancelled", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "none" }) });
  const { controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("x");
  const enrichId = sentOfType(native, "enrich")[0].id;
  await controller.cancel();
  assert.equal(sentOfType(native, "cancel")[0].target, enrichId);
  assert.equal((await controller.whenDone()).phase, "cancelled");
});

test("a new selection replaces the running one; late results of the old one are ignored", async () => {
  const native = fakeNative({ behaviour: behaviour({ enrich: "none" }) });
  const { controller } = setup({ native, prefs: { previewMode: "never" } });
  await controller.enrichText("first");
  const oldId = sentOfType(native, "enrich")[0].id;
  const p = controller.enrichText("second");
  assert.equal(sentOfType(native, "cancel")[0].target, oldId);
  await p;
  const sid = controller.getState().sid;
  native.ports[0].deliver({ id: oldId, type: "result", ioc: IOCS[0], status: "ok", cached: false,
    enrichment: enrichment("malicious") });
  assert.equal(controller.getState().sid, sid);
  assert.equal(Object.keys(controller.getState().results).length, 0);
});

test("options requests go through the one port; the API key never lands in extension storage", async () => {
  const KEY = "abcdef0123456789secretkey9999";
  const native = fakeNative({ behaviour: (req, p) => {
    if (req.type === "config.set_key") {
      p.deliver({ id: req.id, type: "config", settings: {}, api_key: { set: true, masked: `****${req.key.slice(-4)}`, source: "file" } });
    } else behaviour()(req, p);
  } });
  const { api, controller } = setup({ native });
  const res = await controller.hostRequest({ type: "config.set_key", key: KEY });
  assert.equal(res.ok, true);
  assert.equal(res.reply.api_key.masked, "****9999");
  await controller.enrichText("x"); // and a normal run, to have state written
  await until(() => api.storage.session.writes > 0, { what: "a write" });
  for (const area of [api.storage.local, api.storage.session, api.storage.sync]) {
    assert.ok(!JSON.stringify(area.data).includes(KEY), "key found in extension storage");
  }
  const refused = await controller.hostRequest({ type: "enrich", text: "x" });
  assert.equal(refused.ok, false, "the options channel only forwards ping and config.*");
});

test("the popup window is the fallback when action.openPopup is not available", async () => {
  const { api, controller } = setup();
  api.action.openPopup = async () => { throw new Error("no active browser window"); };
  await controller.enrichFromSelection(TAB, {});
  await until(() => api.windows.created.length === 1, { what: "window" });
  assert.match(api.windows.created[0].url, /popup\.html$/);
  assert.equal(api.windows.created[0].type, "popup");
});

test("done with the popup closed: a notification summarises the verdicts", async () => {
  const { api, controller } = setup({ prefs: { previewMode: "never" } });
  await controller.enrichText("x", "text");
  await controller.whenDone();
  await until(() => api.notifications.created.length === 1, { what: "notification" });
  assert.match(api.notifications.created[0].opts.message, /1 malicious/);
});
