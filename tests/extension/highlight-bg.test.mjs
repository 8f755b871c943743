// The background side of the highlights (lib/highlight.js) against fake browser APIs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import {
  CONTENT_SCRIPTS, GROUPS, PageHighlights, cssFor, itemFor, paintCss, randomNames,
} from "../../extension/lib/highlight.js";
import { newSession } from "../../extension/lib/state.js";

const TAB = 7;
const IOCS = [
  { type: "domain", value: "evil.com", raw: "evil[.]com", offset: 4, private: false },
  { type: "ipv4", value: "1.2.3.4", raw: "1.2.3[.]4", offset: 20, private: false },
  { type: "ipv4", value: "10.0.0.5", raw: "10.0.0.5", offset: 30, private: true },
];

function session(sid = "s-1", tabId = TAB) {
  const s = newSession(sid, { kind: "selection", tabId }, 0);
  s.iocs = IOCS.map((i) => ({ ...i }));
  s.plan = ["domain:evil.com", "ipv4:1.2.3.4"];
  s.send = [...s.plan];
  s.withheld = { "ipv4:10.0.0.5": "private" };
  s.phase = "enriching";
  return s;
}

function fakeApi() {
  const calls = [];
  const api = {
    calls,
    runtime: { id: "ours" },
    scripting: {
      insertCSS: async (d) => { calls.push(["insertCSS", d]); },
      removeCSS: async (d) => { calls.push(["removeCSS", d]); },
      executeScript: async (d) => { calls.push(["executeScript", d]); return [{ result: null }]; },
    },
    tabs: {
      sendMessage: async (tabId, msg, opts) => { calls.push(["sendMessage", tabId, msg, opts]); return { ok: true }; },
      create: async (d) => { calls.push(["create", d]); },
    },
  };
  return api;
}

const timers = { setTimeout: (f) => { queueMicrotask(f); return 1; }, clearTimeout() {} };
const settle = () => new Promise((r) => setTimeout(r, 5));
const messages = (api, op) => api.calls.filter((c) => c[0] === "sendMessage" && c[2].op === op).map((c) => c[2]);

test("randomNames: fresh, unguessable and in the shape the content script accepts", () => {
  const a = randomNames();
  const b = randomNames();
  for (const g of [...GROUPS, "card"]) {
    assert.match(a[g], /^sx-[0-9a-f]{20}$/);
    assert.notEqual(a[g], b[g]);
  }
  assert.equal(new Set(Object.values(a)).size, GROUPS.length + 1);
});

test("cssFor / paintCss: each verdict has a colour AND its own underline style; the underline can't be overridden", () => {
  const names = randomNames();
  const css = cssFor(names);
  const paint = paintCss(names);
  const rule = (text, sel) => text.split("\n").find((l) => l.startsWith(sel)) ?? "";
  const verdicts = ["malicious", "suspicious", "clean", "no_data", "pending"];
  for (const g of GROUPS) {
    assert.ok(css.includes(`mark.${names[g]}`), g);
    assert.match(rule(paint, `::highlight(${names[g]})`), /background-color: rgba/, g);
  }
  for (const g of verdicts) {
    assert.match(rule(css, `::highlight(${names[g]})`), /text-decoration: underline (wavy|dashed|solid|double|dotted)/, g);
    assert.match(rule(paint, `::highlight(${names[g]})`), /color: #/, g);
    assert.doesNotMatch(rule(paint, `::highlight(${names[g]})`), /text-decoration/, g);
  }
  const styles = new Set(verdicts.map((g) => /underline (\w+)/.exec(rule(css, `::highlight(${names[g]})`))[1]));
  assert.equal(styles.size, 5, "each verdict has its own underline style (not colour alone)");
  for (const decl of css.match(/[a-z-]+: [^;{}]+(?=;)/g)) assert.match(decl, /!important$/, decl);
  assert.doesNotMatch(css + paint, /malicious|suspicious|clean|no_data|pending/, "no verdict names in the page's styles");
});

test("itemFor: the combined verdict, the reason, each provider's line (labels from the capabilities)", () => {
  const s = session();
  assert.equal(itemFor(s, IOCS[0]).group, "pending");
  assert.equal(itemFor(s, IOCS[2]).group, "other");
  assert.equal(itemFor(s, IOCS[2]).verdictLabel, "Private (not sent)");
  // The session state's shape (lib/state.js): results[key] = {providers: {name: outcome}, combined}.
  s.results["domain:evil.com"] = { providers: {
    virustotal: { status: "ok", cached: false, result: { provider: "virustotal", verdict: "malicious", summary: "12/73 engines" } },
    internetdb: { status: "skipped", cached: false, reason: "unsupported" } },
  combined: { verdict: "malicious", score: 0.71, severity: "high", reason: "malicious: VirusTotal 12/73 engines",
    providers: { virustotal: "malicious" }, pending: 0, label: null } };
  const done = itemFor(s, IOCS[0], { virustotal: "VirusTotal" });
  assert.equal(done.group, "malicious");
  assert.equal(done.reason, "malicious: VirusTotal 12/73 engines");
  assert.equal(done.defanged, "evil[.]com");
  assert.deepEqual(done.raws, ["evil[.]com", "evil.com"]);
  assert.deepEqual(done.providers, [{ name: "virustotal", label: "VirusTotal", verdict: "malicious", summary: "12/73 engines" }]);
  assert.equal(itemFor(s, IOCS[0]).providers[0].label, "virustotal", "no capabilities: the name");
  s.results["ipv4:1.2.3.4"] = { providers: { urlhaus: { status: "ok", cached: false,
    result: { provider: "urlhaus", verdict: "suspicious", summary: "online payload host" } } },
  combined: { verdict: "suspicious", score: 0.5, severity: "medium", reason: "suspicious: URLhaus online payload host",
    providers: { urlhaus: "suspicious", virustotal: "pending" }, pending: 1, label: null } };
  const partial = itemFor(s, IOCS[1], { urlhaus: "URLhaus" });
  assert.equal(partial.group, "suspicious");
  assert.equal(partial.reason, "suspicious: URLhaus online payload host");
  assert.equal(partial.verdictLabel, "Suspicious (more to come)");
  assert.deepEqual(partial.providers.map((p) => [p.label, p.verdict, p.summary]),
    [["URLhaus", "suspicious", "online payload host"], ["virustotal", "pending", ""]]);
  s.results["ipv4:1.2.3.4"] = { providers: { urlhaus: { status: "error", cached: false,
    error: { code: "timeout", message: "URLhaus did not answer in time" } } }, combined: null };
  assert.equal(itemFor(s, IOCS[1]).reason, "URLhaus did not answer in time", "no answer: the error says why");
});

test("a session from a tab: inject CSS (user origin) and the script, then init with every IOC", async () => {
  const api = fakeApi();
  const hl = new PageHighlights({ api, timers });
  const s = session();
  s.iocs = [];
  hl.onState(s); // nothing extracted yet: nothing injected
  assert.deepEqual(api.calls, []);
  const s2 = session();
  hl.onState(s2);
  await settle();
  const [css, exec, init] = api.calls;
  assert.equal(css[0], "insertCSS");
  assert.equal(css[1].origin, "USER");
  assert.deepEqual(css[1].target, { tabId: TAB });
  assert.deepEqual(exec[1], { target: { tabId: TAB }, files: CONTENT_SCRIPTS });
  assert.equal(init[0], "sendMessage");
  assert.equal(init[1], TAB);
  assert.deepEqual(init[3], { frameId: 0 });
  assert.equal(init[2].op, "init");
  assert.deepEqual(init[2].items.map((i) => i.key), ["domain:evil.com", "ipv4:1.2.3.4", "ipv4:10.0.0.5"]);
  assert.ok(css[1].css.includes(init[2].names.malicious));
});

test("results stream in: only the IOCs that changed are sent", async () => {
  const api = fakeApi();
  const hl = new PageHighlights({ api, timers });
  const s = session();
  hl.onState(s);
  await settle();
  s.results["domain:evil.com"] = { providers: { virustotal: { status: "ok", cached: false,
    result: { provider: "virustotal", verdict: "clean", summary: "0/70 engines" } } },
  combined: { verdict: "clean", score: 0, severity: "none", reason: "clean: VirusTotal 0/70 engines",
    providers: { virustotal: "clean" }, pending: 0, label: null } };
  hl.onState(s);
  await settle();
  hl.onState(s); // no change: no message
  await settle();
  const updates = messages(api, "update");
  assert.equal(updates.length, 1);
  assert.deepEqual(updates[0].items.map((i) => [i.key, i.group]), [["domain:evil.com", "clean"]]);
});

test("a session without a tab (enrichText) is never painted", async () => {
  const api = fakeApi();
  const hl = new PageHighlights({ api, timers });
  const s = session();
  s.source = { kind: "text" };
  hl.onState(s);
  await settle();
  assert.deepEqual(api.calls, []);
});

test("a new session clears the old highlights; a user clear sticks for that session", async () => {
  const api = fakeApi();
  const hl = new PageHighlights({ api, timers });
  hl.onState(session("s-1"));
  await settle();
  hl.onState(session("s-2", 9));
  await settle();
  assert.equal(messages(api, "clear").length, 1);
  assert.ok(api.calls.some((c) => c[0] === "removeCSS" && c[1].target.tabId === TAB));
  assert.equal(api.calls.filter((c) => c[0] === "executeScript").at(-1)[1].target.tabId, 9);
  const own = () => true;
  let reply;
  assert.equal(hl.onMessage({ cmd: "highlight", op: "clear" }, { id: "ours" }, (r) => { reply = r; }, own), true);
  await settle();
  assert.equal(reply.ok, true);
  const before = api.calls.length;
  hl.onState(session("s-2", 9)); // more results of the same session: stays cleared
  await settle();
  assert.equal(api.calls.length, before);
  hl.onMessage({ cmd: "highlight", op: "show" }, { id: "ours" }, (r) => { reply = r; }, own);
  await settle();
  assert.equal(messages(api, "init").length, 3);
});

test("popup commands need our own page; card actions need our tab's content script", async () => {
  const api = fakeApi();
  let opened = 0;
  const pivots = async (type, value) => [{ id: "vt", name: "VirusTotal", url: `https://www.virustotal.com/gui/search/${value}` },
    { id: "bad", name: "Bad", url: "javascript:alert(1)" }];
  const hl = new PageHighlights({ api, timers, pivots, openUi: () => { opened += 1; } });
  hl.onState(session());
  await settle();
  assert.equal(hl.onMessage({ cmd: "highlight", op: "clear" }, { id: "ours" }, () => {}, () => false), false);
  const fromPage = { id: "ours", tab: { id: TAB }, frameId: 0 };
  hl.onMessage({ sx: "hl", op: "details", key: "domain:evil.com" }, { ...fromPage, tab: { id: 99 } }, () => {}, () => false);
  hl.onMessage({ sx: "hl", op: "details", key: "domain:evil.com" }, { ...fromPage, frameId: 3 }, () => {}, () => false);
  hl.onMessage({ sx: "hl", op: "details", key: "domain:evil.com" }, { ...fromPage, id: "evil" }, () => {}, () => false);
  assert.equal(opened, 0);
  hl.onMessage({ sx: "hl", op: "details", key: "domain:evil.com" }, fromPage, () => {}, () => false);
  assert.equal(opened, 1);
  // Pivots: the URL is rebuilt in the background from the id; nothing but http(s) is opened.
  hl.onMessage({ sx: "hl", op: "pivot", key: "domain:evil.com", id: "vt", url: "https://attacker.example/" }, fromPage, () => {}, () => false);
  hl.onMessage({ sx: "hl", op: "pivot", key: "domain:evil.com", id: "bad" }, fromPage, () => {}, () => false);
  await settle();
  assert.deepEqual(api.calls.filter((c) => c[0] === "create").map((c) => c[1].url),
    ["https://www.virustotal.com/gui/search/evil.com"]);
  // The init items carry pivot ids and names only, never URLs.
  const init = messages(api, "init")[0];
  assert.deepEqual(init.items[0].pivots, [{ id: "vt", name: "VirusTotal" }, { id: "bad", name: "Bad" }]);
});

test("an unscriptable tab (chrome://, the web store) fails quietly and leaves nothing behind", async () => {
  const api = fakeApi();
  api.scripting.insertCSS = async () => { throw new Error("Cannot access a chrome:// URL"); };
  const hl = new PageHighlights({ api, timers });
  let tries = 0;
  const insert = api.scripting.insertCSS;
  api.scripting.insertCSS = async (d) => { tries += 1; return insert(d); };
  const s = session();
  const res = await hl.show(s);
  assert.equal(res.ok, false);
  assert.equal(hl.current, null);
  for (let i = 0; i < 5; i += 1) hl.onState(s); // more results stream in: not retried each time
  await settle();
  assert.equal(tries, 1);
});

test("nothing is injected before the user acts: no content_scripts, no host permissions, nothing web-accessible", () => {
  const m = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "extension", "manifest.json"), "utf8"));
  assert.equal(m.content_scripts, undefined);
  assert.equal(m.host_permissions, undefined);
  assert.equal(m.web_accessible_resources, undefined);
  assert.ok(m.permissions.includes("activeTab") && m.permissions.includes("scripting"));
});

test("every injected content script exists", () => {
  const ext = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "extension");
  for (const f of CONTENT_SCRIPTS) assert.ok(readFileSync(join(ext, f), "utf8").length > 0, f);
  assert.equal(CONTENT_SCRIPTS.at(-1), "content/highlight.js");
});
