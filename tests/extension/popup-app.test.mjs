import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHTML } from "linkedom";
import { readCapabilities } from "../../extension/lib/capabilities.js";
import { newSession } from "../../extension/lib/state.js";
import { PopupApp } from "../../extension/lib/ui/app.js";
import { installKeyboard } from "../../extension/lib/ui/keyboard.js";
import { loadRenderer, resetRenderers } from "../../extension/lib/ui/provider-lines.js";
import { statusLine } from "../../extension/lib/ui/status.js";
import { combine, ioc, pongMsg, providerResult } from "./_contract.mjs";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = "<script>window.__pwned=1</script>";
const CAPS = readCapabilities(pongMsg("x"));

function dom() {
  const { document } = parseHTML('<!doctype html><html><body><main id="app"></main></body></html>');
  // linkedom has no focus model: a minimal one.
  let active = null;
  Object.defineProperty(document, "activeElement", { get: () => active, configurable: true });
  document.defaultView.HTMLElement.prototype.focus = function focus() { active = this; };
  return { document, root: document.getElementById("app") };
}

function makeApp(log = []) {
  const { document, root } = dom();
  const handlers = {
    copy: (t, l) => log.push(["copy", t, l]),
    send: (m) => log.push(["send", m]),
    options: () => log.push(["options"]),
    history: () => log.push(["history"]),
    exportRun: (o) => log.push(["export", o]),
    pivots: (i) => [{ name: "Example pivot", url: `https://pivot.example/q=${encodeURIComponent(i.value)}` },
      { name: "bad", url: "javascript:alert(1)" }],
  };
  const app = new PopupApp(document, root, handlers, { now: () => NOW });
  return { app, document, root, log };
}

const ok = (provider, verdict, extra) => ({ provider, status: "ok", cached: false, result: providerResult(provider, verdict, extra) });
function entry(outcomes, pending = 0) {
  return { providers: Object.fromEntries(outcomes.map((o) => [o.provider, o])), combined: combine(outcomes, pending) };
}

function sampleState() {
  const s = newSession("s1", { kind: "selection", title: `Report ${SCRIPT}`, url: "https://x.example/" }, NOW);
  s.phase = "done";
  s.textBytes = 2048;
  const evil = ioc("url", `http://evil.com/${IMG}`, { raw: `hxxp://evil[.]com/${SCRIPT}` });
  s.iocs = [ioc("domain", "good.example"), ioc("sha256", "a".repeat(64)), evil, ioc("ipv4", "192.168.1.10", { private: true }),
    ioc("ipv4", "45.9.148.3"), ioc("cve", "CVE-2021-44228")];
  s.send = ["domain:good.example", `sha256:${"a".repeat(64)}`, `url:${evil.value}`, "ipv4:45.9.148.3", "cve:CVE-2021-44228"];
  s.plan = [...s.send];
  s.withheld = { "ipv4:192.168.1.10": "private" };
  s.results["domain:good.example"] = entry([ok("virustotal", "clean")]);
  s.results[`sha256:${"a".repeat(64)}`] = entry([ok("virustotal", "no_data", { found: false })]);
  s.results[`url:${evil.value}`] = entry([ok("virustotal", "malicious", { facts: { threat: `trojan.${IMG}`, tags: [IMG] },
    link: "https://www.virustotal.com/gui/url/abc" }), ok("urlhaus", "malicious", { summary: "online payload host", link: "javascript:alert(1)" })]);
  s.results["ipv4:45.9.148.3"] = entry([ok("virustotal", "suspicious", { summary: "2/90 engines" }),
    ok("internetdb", "no_data", { found: true, facts: { ports: [22, 443], tags: ["vpn"] } })]);
  s.results["cve:CVE-2021-44228"] = entry([ok("nvd", "no_data", { severity: "critical", summary: "Critical 10.0 \u00b7 Known exploited" })]);
  s.runId = "run-9";
  return s;
}

function show(app, state) {
  app.onMessage({ type: "state", state, host: { version: "0.2.0", outdated: false, caps: CAPS } });
}

const rowValues = (root) => [...root.querySelectorAll("li.ioc")].map((l) => l.getAttribute("data-ioc-value"));
const click = (document, node) => node.dispatchEvent(new document.defaultView.Event("click", { bubbles: true }));

test("hostile strings from the page and from the sources render as inert text", () => {
  const { app, root, document } = makeApp();
  show(app, sampleState());
  click(document, root.querySelector('li[data-ioc-type="url"] .ioc-row'));
  assert.equal(root.querySelectorAll("script, img, iframe, object, embed, svg").length, 0);
  for (const node of root.querySelectorAll("*")) {
    for (const attr of node.attributes) assert.doesNotMatch(attr.name, /^on/i, `${node.tagName} has ${attr.name}`);
  }
  assert.ok(root.textContent.includes(IMG) && root.textContent.includes(SCRIPT));
  const hrefs = [...root.querySelectorAll("a")].map((a) => a.getAttribute("href"));
  assert.ok(hrefs.every((h) => h.startsWith("https://")), hrefs.join(" "));
});

test("sorted by verdict, malicious first; one combined badge with its reason; CVE label; not found is not clean", () => {
  const { app, root } = makeApp();
  show(app, sampleState());
  const values = rowValues(root);
  assert.equal(values[0], `http://evil.com/${IMG}`);
  assert.equal(values[1], "45.9.148.3");
  assert.equal(values[2], "CVE-2021-44228");
  const row = (v) => [...root.querySelectorAll("li.ioc")].find((l) => l.getAttribute("data-ioc-value") === v);
  const mal = row(`http://evil.com/${IMG}`);
  assert.equal(mal.querySelector(".badge").textContent, "Malicious");
  assert.equal(mal.querySelector(".reason").textContent, "malicious: VirusTotal 12/73 engines; URLhaus online payload host");
  assert.equal(row("CVE-2021-44228").querySelector(".badge").textContent, "Critical 10.0 \u00b7 Known exploited");
  const unknown = row("a".repeat(64));
  assert.equal(unknown.querySelector(".badge").textContent, "No data");
  assert.match(unknown.querySelector(".reason").textContent, /not found is not clean/);
  assert.equal(row("good.example").querySelector(".badge").textContent, "Clean");
  assert.equal(row("192.168.1.10").querySelector(".badge").textContent, "Private (not sent)");
});

test("group by type is an option; count chips filter; the search box filters as you type", () => {
  const { app, root, document } = makeApp();
  show(app, sampleState());
  // linkedom's <select> has a read-only value: stand in for the user's choice.
  Object.defineProperty(app.sort, "value", { value: "type", writable: true, configurable: true });
  app.sort.dispatchEvent(new document.defaultView.Event("change"));
  const heads = [...root.querySelectorAll("li.group-head")].map((h) => h.getAttribute("data-group"));
  assert.deepEqual(heads, ["ipv4", "domain", "url", "sha256", "cve"], "the host's type order");
  app.sort.value = "verdict";
  app.sort.dispatchEvent(new document.defaultView.Event("change"));
  assert.equal(root.querySelectorAll("li.group-head").length, 0);

  const chip = root.querySelector('button[data-count="malicious"]');
  assert.equal(chip.textContent, "1 Malicious");
  click(document, chip);
  assert.deepEqual(rowValues(root), [`http://evil.com/${IMG}`]);
  assert.equal(root.querySelector('button[data-count="malicious"]').getAttribute("aria-pressed"), "true");
  click(document, root.querySelector('button[data-count="malicious"]'));
  assert.equal(rowValues(root).length, 6);

  app.search.value = "45.9";
  app.search.dispatchEvent(new document.defaultView.Event("input"));
  assert.deepEqual(rowValues(root), ["45.9.148.3"]);
  app.search.value = "online payload";
  app.search.dispatchEvent(new document.defaultView.Event("input"));
  assert.deepEqual(rowValues(root), [`http://evil.com/${IMG}`], "the reason is searched too");
});

test("Copy all has a header row; Copy malicious copies only malicious values", () => {
  const log = [];
  const { app, root, document } = makeApp(log);
  show(app, sampleState());
  click(document, root.querySelector("#copy-all"));
  const lines = log.at(-1)[1].split("\n");
  assert.equal(lines[0], "value\ttype\tverdict\treason");
  assert.equal(lines.length, 7);
  assert.match(lines[1], /^http:\/\/evil\.com\/.*\turl\tMalicious\tmalicious: VirusTotal/);
  click(document, root.querySelector("#copy-malicious"));
  assert.equal(log.at(-1)[1], `http://evil.com/${IMG}`);
});

test("details: per-provider lines, context provider never as a verdict, safe links, pivot menu with its warning", async () => {
  resetRenderers();
  await loadRenderer("virustotal", async () => ({ render: (facts) => [{ label: "Threat", value: facts.threat, tone: "bad" },
    { label: "bogus", value: { nested: 1 } }, { label: "Tone", value: "x", tone: "purple" }] }));
  await loadRenderer("internetdb", async () => { throw new Error("no module"); });
  const { app, root, document } = makeApp();
  show(app, sampleState());
  click(document, root.querySelector('li[data-ioc-value="45.9.148.3"] .ioc-row'));
  const li = root.querySelector('li[data-ioc-value="45.9.148.3"]');
  assert.equal(li.querySelector(".ioc-row").getAttribute("aria-expanded"), "true");
  const idb = li.querySelector('li.provider[data-provider="internetdb"]');
  assert.equal(idb.querySelector(".provider-name").textContent, "Shodan InternetDB");
  assert.equal(idb.querySelector(".provider-verdict").textContent, "context");
  assert.match(idb.querySelector(".facts").textContent, /Ports22, 443/, "the generic renderer");
  click(document, root.querySelector('li.ioc[data-ioc-type="url"] .ioc-row'));
  const url = root.querySelector('li.ioc[data-ioc-type="url"]');
  const vt = url.querySelector('li.provider[data-provider="virustotal"]');
  assert.equal(vt.querySelector(".provider-verdict").textContent, "malicious: 12/73 engines");
  const dds = [...vt.querySelectorAll("dd")];
  assert.deepEqual(dds.map((d) => d.textContent), [`trojan.${IMG}`, "x"], "object values are dropped");
  assert.equal(dds[0].getAttribute("class"), "tone-bad");
  assert.equal(dds[1].getAttribute("class") ?? "", "", "an unknown tone is dropped");
  assert.equal(vt.querySelector("a.ext-link").getAttribute("href"), "https://www.virustotal.com/gui/url/abc");
  assert.equal(url.querySelector('li.provider[data-provider="urlhaus"] a'), null, "a javascript: link is never rendered");
  const pivots = url.querySelector("details.pivots");
  assert.match(pivots.textContent, /Opening a pivot sends the value to that site/);
  assert.deepEqual([...pivots.querySelectorAll("a")].map((a) => a.textContent), ["Example pivot"]);
  resetRenderers();
});

test("a patch re-renders only the row it changes; other rows keep their nodes", () => {
  const { app, root } = makeApp();
  const s = sampleState();
  s.phase = "enriching";
  s.results = {};
  show(app, s);
  const before = new Map([...root.querySelectorAll("li.ioc")].map((l) => [l.getAttribute("data-ioc-value"), l.firstChild]));
  const key = "domain:good.example";
  app.onMessage({ type: "patch", sid: "s1", fields: { phase: "enriching" },
    results: { [key]: entry([ok("virustotal", "clean")]) } });
  const after = new Map([...root.querySelectorAll("li.ioc")].map((l) => [l.getAttribute("data-ioc-value"), l.firstChild]));
  let same = 0;
  for (const [v, node] of after) if (before.get(v) === node) same += 1;
  assert.equal(same, 5, "five rows untouched");
  assert.notEqual(after.get("good.example"), before.get("good.example"));
  assert.equal(root.querySelector('li[data-ioc-value="good.example"] .badge').textContent, "Clean");
  assert.equal(app.onMessage({ type: "patch", sid: "other", fields: {}, results: {} }), false, "a patch of another session asks for the state");
});

// Long lists: virtualised, not paged (tests/extension/popup-virtual.test.mjs).

test("keyboard: j/k and arrows move a roving focus, c copies, Enter (a button) opens, / focuses search", () => {
  const log = [];
  const { app, root, document } = makeApp(log);
  installKeyboard(document, app);
  show(app, sampleState());
  const rows = () => [...root.querySelectorAll(".ioc-row")];
  assert.deepEqual(rows().map((r) => r.getAttribute("tabindex")), ["0", "-1", "-1", "-1", "-1", "-1"], "one tab stop for the list");
  const key = (k, target) => {
    const ev = new document.defaultView.Event("keydown", { bubbles: true, cancelable: true });
    Object.defineProperty(ev, "key", { value: k });
    target.dispatchEvent(ev);
  };
  rows()[0].focus();
  key("j", rows()[0]);
  assert.equal(document.activeElement.getAttribute("data-key"), "ipv4:45.9.148.3");
  key("ArrowDown", document.activeElement);
  key("k", document.activeElement);
  assert.equal(document.activeElement.getAttribute("data-key"), "ipv4:45.9.148.3");
  assert.equal(rows()[1].getAttribute("tabindex"), "0");
  key("c", document.activeElement);
  assert.deepEqual(log.at(-1).slice(0, 2), ["copy", "45.9.148.3"]);
  key("End", document.activeElement);
  assert.equal(document.activeElement.getAttribute("data-key"), "ipv4:192.168.1.10");
  key("/", document.activeElement);
  assert.equal(document.activeElement.id, "search");
  for (const b of root.querySelectorAll("button")) {
    assert.ok(["button", "submit"].includes(b.getAttribute("type")), `a real button: ${b.textContent}`);
  }
});

test("the lookup box sends typed text; export calls the host's export with the run id", () => {
  const log = [];
  const { app, root, document } = makeApp(log);
  show(app, sampleState());
  root.querySelector("#lookup-input").value = "  evil[.]com\nhxxp://x[.]y/z  ";
  root.querySelector("#lookup-form").dispatchEvent(new document.defaultView.Event("submit", { cancelable: true }));
  assert.deepEqual(log.at(-1), ["send", { cmd: "lookup", text: "evil[.]com\nhxxp://x[.]y/z" }]);
  const csv = root.querySelector('#export-menu button[data-format="csv"]');
  click(document, csv);
  assert.deepEqual(log.at(-1), ["export", { format: "csv", runId: "run-9", verdicts: null, defang: true }]);
  click(document, root.querySelector('#export-menu button[data-format="stix"]'));
  assert.equal(log.at(-1)[1].defang, false, "STIX is plain by default");
});

test("the preview says what goes to whom, what each receives, the time, and what is withheld", () => {
  const log = [];
  const { app, root, document } = makeApp(log);
  const s = sampleState();
  s.phase = "preview";
  s.results = {};
  s.send = [];
  s.plan = ["ipv4:45.9.148.3", "domain:good.example"];
  s.withheld = { "ipv4:192.168.1.10": "private", ["sha256:" + "a".repeat(64)]: "never_send" };
  // The compact preview of planFromPreview: distinct plans, and the plan of each of s.iocs.
  const plans = [{ send: ["virustotal", "internetdb"], cached: [], withheld: { urlhaus: "no_api_key" } },
    { send: [], cached: ["virustotal"], withheld: {} }];
  const planOf = s.iocs.map((i) => ({ "45.9.148.3": 0, "good.example": 1 })[i.value] ?? -1);
  s.preview = { plans, planOf, etaSeconds: 95, leaving: 1, partly: 1,
    providers: { virustotal: { send: 1, cached: 1, eta_seconds: 95, types: ["ipv4"] },
      internetdb: { send: 1, cached: 0, eta_seconds: 1, types: ["ipv4"] } } };
  show(app, s);
  const box = root.querySelector("#preview");
  assert.match(box.textContent, /VirusTotal: 1 to send, 1 from the cache \u2014 receives the address \u00b7/);
  assert.match(box.textContent, /Estimated time on the current quotas: about 2 min/);
  assert.match(root.querySelector('.preview-list li[data-ioc-value="45.9.148.3"]').textContent, /to VirusTotal, Shodan InternetDB/);
  assert.match(root.querySelector('.preview-list li[data-ioc-value="good.example"]').textContent, /cached: VirusTotal/);
  assert.match(root.querySelector('.withheld-list li[data-reason="never_send"]').textContent, /never-send list/);
  assert.match(box.textContent, /1 value go to some sources only/);
  assert.equal(root.querySelector("#confirm-send").getAttribute("aria-label"), "Look up 2; 1 leave this computer");
  click(document, root.querySelector("#confirm-send"));
  assert.deepEqual(log.at(-1), ["send", { cmd: "confirm", keys: ["ipv4:45.9.148.3", "domain:good.example"] }]);
  assert.equal(root.querySelectorAll("li.ioc").length, 0, "the list waits for the confirm");
});

test("a 429 pause shows a button that sends quota.reset for that source", () => {
  const log = [];
  const { app, root, document } = makeApp(log);
  const s = sampleState();
  s.phase = "enriching";
  // The real host's progress: the paused lane says rate_limited until its next slot.
  s.progress = { done: 1, total: 5, queued: 4, quota_state: "rate_limited", next_slot_at: "2026-12-01T13:00:00Z",
    providers: { virustotal: { queued: 4, done: 1, waiting_for_quota: true, quota_state: "rate_limited",
      next_slot_at: "2026-12-01T13:00:00Z", remaining_today: 3 },
    internetdb: { queued: 0, done: 1, waiting_for_quota: false, quota_state: "ok", next_slot_at: null, remaining_today: null } } };
  show(app, s);
  const alert = root.querySelector('[role="alert"][data-error-kind="paused"]');
  assert.match(alert.textContent, /VirusTotal is paused/);
  click(document, alert.querySelector("#quota-reset"));
  assert.deepEqual(log.at(-1), ["send", { cmd: "quota_reset", provider: "virustotal" }]);
});

test("status: never 'Done \u00b7 5 of 5 looked up' when all 5 failed", () => {
  const s = newSession("s", { kind: "text" }, NOW);
  s.phase = "done";
  s.iocs = Array.from({ length: 5 }, (_, i) => ioc("domain", `d${i}.com`));
  s.send = s.iocs.map((i) => `domain:${i.value}`);
  for (const k of s.send) {
    s.results[k] = entry([{ provider: "virustotal", status: "error", error: { code: "timeout", message: "t" } }]);
  }
  assert.equal(statusLine(s, NOW), "Stopped \u00b7 none of 5 could be looked up");
  s.results[s.send[0]] = entry([ok("virustotal", "clean")]);
  assert.equal(statusLine(s, NOW), "Done \u00b7 1 of 5 looked up \u00b7 4 failed");
});

test("host missing and an outdated helper render one instruction, without backticks", () => {
  const { app, root } = makeApp();
  const s = newSession("e", { kind: "selection" }, NOW);
  s.phase = "error";
  s.error = { kind: "host_missing", message: "Specified native messaging host not found." };
  show(app, s);
  const alert = root.querySelector('[role="alert"]');
  assert.deepEqual([...alert.querySelectorAll(".commands code")].map((c) => c.textContent), ["./install/install.sh"]);
  assert.doesNotMatch(alert.textContent, /`/);
  s.error = { kind: "host_outdated", hostProtocol: null, extensionProtocol: 2 };
  show(app, { ...s, sid: "e2" });
  assert.match(root.querySelector('[role="alert"]').textContent, /the helper is out of date: run \.\/install\/install\.sh/);
});
