// Loads background.js itself with a fake `chrome` global: menus, the shortcut, the exposed
// globalThis.sentinelx entry points, and the popup/options channels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeNative, makeApi, portPair, until } from "./_fakes.mjs";
import { pongMsg } from "./_contract.mjs";

const TAB = { id: 3, title: "t", url: "https://example.org/" };
const native = fakeNative({ behaviour: (req, port) => {
  if (req.type === "ping") port.deliver(pongMsg(req.id));
  else if (req.type === "extract") {
    port.deliver({ id: req.id, type: "extracted", part: 1, parts: 1, iocs: [] });
    // Protocol 3: the asked-for preview follows, empty here.
    if (req.preview) port.deliver({ id: req.id, type: "previewed", part: 1, parts: 1, plans: [], iocs: [],
      estimate: { lookups: 0, seconds: 0, providers: {} } });
  }
  else if (req.type === "config.get") port.deliver({ id: req.id, type: "config", settings: {}, api_key: { set: false, masked: null, source: null } });
} });
const api = makeApi({ native, tabs: { 3: TAB }, executeScript: async () => [{ frameId: 0, result: "nothing here" }] });
globalThis.chrome = api;
await import("../../extension/background.js");

test("context menus are created for selections and whole pages", async () => {
  await until(() => api.contextMenus.items.length === 2, { what: "menus" });
  const byId = Object.fromEntries(api.contextMenus.items.map((i) => [i.id, i]));
  assert.equal(byId["sentinelx-enrich-selection"].title, "Enrich with SentinelX");
  assert.deepEqual(byId["sentinelx-enrich-selection"].contexts, ["selection"]);
  assert.deepEqual(byId["sentinelx-enrich-page"].contexts, ["page"]);
});

test("globalThis.sentinelx exposes what the menu click calls", () => {
  for (const f of ["enrichFromSelection", "enrichPage", "enrichCurrentPage", "enrichText", "confirm", "cancel", "getState", "whenSettled", "whenDone"]) {
    assert.equal(typeof globalThis.sentinelx[f], "function", f);
  }
});

test("a menu click runs the selection flow: executeScript, then extract over the native port", async () => {
  api.contextMenus.onClicked.emit({ menuItemId: "sentinelx-enrich-selection", selectionText: "x", frameId: 0 }, TAB);
  await until(() => globalThis.sentinelx.getState()?.phase === "done", { what: "done" });
  assert.equal(api.scripting.calls.at(-1).target.tabId, 3);
  const extract = native.ports.flatMap((p) => p.sent).find((m) => m.type === "extract");
  assert.equal(extract.text, "nothing here");
  assert.equal(native.ports.length, 1, "one native port");
});

test("the keyboard shortcut runs the same flow", async () => {
  const before = api.scripting.calls.length;
  api.commands.onCommand.emit("enrich-selection", TAB);
  await until(() => api.scripting.calls.length === before + 1, { what: "executeScript" });
});

test("only the extension's own pages may use the popup and options channels", async () => {
  const [outsider, bgSide] = portPair("popup", { id: "someone-else", url: "https://evil.example/" });
  const got = [];
  outsider.onMessage.addListener((m) => got.push(m));
  api.runtime.onConnect.emit(bgSide);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(got.length, 0);

  const [own, bgOwn] = portPair("popup", { id: api.runtime.id, url: api.runtime.getURL("popup.html") });
  own.onMessage.addListener((m) => got.push(m));
  api.runtime.onConnect.emit(bgOwn);
  await until(() => got.length > 0, { what: "state to own popup" });
  assert.equal(got[0].type, "state");

  let answer = null;
  const r1 = api.runtime.onMessage.emit({ cmd: "host", request: { type: "config.get" } },
    { id: "other", url: "https://evil.example/" }, (a) => { answer = a; });
  assert.equal(r1, false);
  const r2 = api.runtime.onMessage.emit({ cmd: "host", request: { type: "config.get" } },
    { id: api.runtime.id, url: api.runtime.getURL("options.html") }, (a) => { answer = a; });
  assert.equal(r2, true);
  await until(() => answer !== null, { what: "options answer" });
  assert.equal(answer.ok, true);
  assert.equal(answer.reply.type, "config");
});
