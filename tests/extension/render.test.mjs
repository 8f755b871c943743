import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHTML } from "linkedom";
import { renderPopup, copyAllText, statusLine } from "../../extension/lib/render.js";
import { newSession } from "../../extension/lib/state.js";
import { enrichment, ioc } from "./_fakes.mjs";

const NOW = Date.parse("2024-05-10T12:00:00Z");
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = "<script>window.__pwned=1</script>";

function dom() {
  const { document } = parseHTML('<!doctype html><html><body><main id="app"></main></body></html>');
  return { document, root: document.getElementById("app") };
}

function handlers(log = []) {
  const h = {};
  for (const n of ["copy", "confirm", "cancel", "retry", "refresh", "page", "options", "toggle"]) {
    h[n] = (...a) => log.push([n, ...a]);
  }
  return h;
}

function sampleState() {
  const s = newSession("s1", { kind: "selection", title: `Report ${SCRIPT}`, url: "https://x.example/" }, NOW);
  s.phase = "done";
  s.textBytes = 2048;
  const evil = ioc("url", `http://evil.com/${IMG}`, { raw: `hxxp://evil[.]com/${SCRIPT}` });
  const clean = ioc("domain", "good.example");
  const nodata = ioc("sha256", "a".repeat(64));
  const priv = ioc("ipv4", "192.168.1.10", { private: true });
  const cve = ioc("cve", "CVE-2021-44228");
  s.iocs = [evil, clean, nodata, priv, cve];
  s.plan = ["url:" + evil.value, "domain:good.example", "sha256:" + "a".repeat(64)];
  s.send = [...s.plan];
  s.withheld = { "ipv4:192.168.1.10": "private", "cve:CVE-2021-44228": "unsupported" };
  s.results["url:" + evil.value] = { status: "ok", cached: false, enrichment: enrichment("malicious", {
    detections: 12, engines: 94, last_analysis_date: "2024-05-07T12:00:00Z",
    details: { threat_label: `trojan.${IMG}`, meaningful_name: SCRIPT }, tags: [IMG],
    link: "https://www.virustotal.com/gui/url/abc" }) };
  s.results["domain:good.example"] = { status: "ok", cached: true, enrichment: enrichment("clean", {
    link: "javascript:alert(1)" }) };
  s.results["sha256:" + "a".repeat(64)] = { status: "ok", cached: false, enrichment: enrichment("no_data", {
    engines: 0, last_analysis_date: null }) };
  return s;
}

test("hostile strings from the page and from VT render as inert text", () => {
  const { document, root } = dom();
  const s = sampleState();
  s.error = null;
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  assert.equal(root.querySelectorAll("script, img, iframe, object, embed, svg").length, 0);
  for (const node of root.querySelectorAll("*")) {
    for (const attr of node.attributes) assert.doesNotMatch(attr.name, /^on/i, `${node.tagName} has ${attr.name}`);
  }
  const text = root.textContent;
  assert.ok(text.includes(IMG), "the img payload shows as text");
  assert.ok(text.includes(SCRIPT), "the script payload shows as text");
  // And the value survives exactly in the data attribute the e2e tests read.
  const li = root.querySelector('li[data-ioc-type="url"]');
  assert.equal(li.getAttribute("data-ioc-value"), `http://evil.com/${IMG}`);
});

test("a hostile host error message renders as text too", () => {
  const { document, root } = dom();
  const s = newSession("s2", { kind: "text" }, NOW);
  s.phase = "error";
  s.error = { kind: "host_error", code: "internal_error", message: SCRIPT + IMG };
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  assert.equal(root.querySelectorAll("script, img").length, 0);
  assert.ok(root.textContent.includes(SCRIPT + IMG));
});

test("badges carry text labels; ratio, age, threat label and VT link are shown", () => {
  const { document, root } = dom();
  renderPopup(document, root, { state: sampleState(), now: NOW }, handlers());
  const badgeOf = (type) => root.querySelector(`li[data-ioc-type="${type}"] .badge`);
  assert.equal(badgeOf("url").textContent, "Malicious");
  assert.equal(badgeOf("domain").textContent, "Clean");
  assert.equal(badgeOf("sha256").textContent, "No data");
  assert.equal(badgeOf("ipv4").textContent, "Private (not sent)");
  assert.equal(badgeOf("cve").textContent, "Not supported");
  const mal = root.querySelector('li[data-ioc-type="url"]');
  assert.equal(mal.querySelector(".ratio").textContent, "12/94");
  assert.match(mal.textContent, /analysed 3 days ago/);
  assert.match(mal.querySelector(".threat").textContent, /^trojan\./);
  const a = mal.querySelector("a.vt-link");
  assert.equal(a.getAttribute("href"), "https://www.virustotal.com/gui/url/abc");
  assert.equal(a.getAttribute("target"), "_blank");
  assert.equal(a.getAttribute("rel"), "noopener noreferrer");
  assert.equal(root.querySelector('li[data-ioc-type="domain"] a'), null, "a javascript: link is never rendered");
  const unseen = root.querySelector('li[data-ioc-type="sha256"]').textContent;
  assert.match(unseen, /not known to VirusTotal/);
  assert.doesNotMatch(unseen, /0\/0/);
  // grouped by type with headings
  const groups = [...root.querySelectorAll("section.group")].map((g) => g.getAttribute("data-group"));
  assert.deepEqual(groups, ["url", "domain", "ipv4", "sha256", "cve"]);
  // counts per verdict
  const counts = [...root.querySelectorAll(".counts li")].map((l) => l.textContent);
  assert.deepEqual(counts, ["1 Malicious", "1 Clean", "1 No data", "1 Private (not sent)", "1 Not supported"]);
});

test("buttons are real buttons with labels; copy buttons copy refanged and defanged values", () => {
  const { document, root } = dom();
  const log = [];
  renderPopup(document, root, { state: sampleState(), now: NOW }, handlers(log));
  const li = root.querySelector('li[data-ioc-type="domain"]');
  const buttons = [...li.querySelectorAll("button")];
  assert.ok(buttons.every((b) => b.getAttribute("type") === "button" && b.getAttribute("aria-label")));
  buttons[0].dispatchEvent(new document.defaultView.Event("click"));
  buttons[1].dispatchEvent(new document.defaultView.Event("click"));
  assert.deepEqual(log.map((l) => l.slice(0, 2)), [["copy", "good.example"], ["copy", "good[.]example"]]);
  assert.equal(root.querySelectorAll("div[onclick], span[role=button]").length, 0);
  root.querySelector("#copy-all").dispatchEvent(new document.defaultView.Event("click"));
  assert.match(log.at(-1)[1], /^http:\/\/evil\.com\/.*\turl\tMalicious 12\/94$/m);
});

test("copy all: one line per IOC, refanged or defanged", () => {
  const text = copyAllText(sampleState(), { defanged: true });
  const lines = text.split("\n");
  assert.equal(lines.length, 5);
  assert.ok(lines.includes("good[.]example\tdomain\tClean 0/94"));
  assert.ok(lines.includes("192[.]168[.]1[.]10\tipv4\tPrivate (not sent)"));
});

test("the preview lists exactly the values to be sent and what is withheld; confirm sends the ticked ones", () => {
  const { document, root } = dom();
  const s = sampleState();
  s.phase = "preview";
  s.results = {};
  s.send = [];
  const log = [];
  const deselected = new Set(["domain:good.example"]);
  renderPopup(document, root, { state: s, now: NOW, deselected }, handlers(log));
  const listed = [...root.querySelectorAll(".preview-list li")].map((l) => l.getAttribute("data-ioc-value"));
  assert.deepEqual(listed, [`http://evil.com/${IMG}`, "good.example", "a".repeat(64)]);
  const withheld = [...root.querySelectorAll(".withheld-list li")].map((l) => l.getAttribute("data-ioc-value"));
  assert.deepEqual(withheld, ["192.168.1.10", "CVE-2021-44228"]);
  const confirm = root.querySelector("#confirm-send");
  assert.equal(confirm.textContent, "Send 2 to VirusTotal");
  confirm.dispatchEvent(new document.defaultView.Event("click"));
  assert.deepEqual(log.at(-1), ["confirm", ["url:" + `http://evil.com/${IMG}`, "sha256:" + "a".repeat(64)]]);
  assert.equal(root.querySelectorAll("section.group").length, 0, "results list hidden while previewing");
});

test("host missing: the popup shows the commands to run, not the raw error", () => {
  const { document, root } = dom();
  const s = newSession("s3", { kind: "selection" }, NOW);
  s.phase = "error";
  s.error = { kind: "host_missing", message: "Specified native messaging host not found." };
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  const alert = root.querySelector('[role="alert"]');
  assert.equal(alert.getAttribute("data-error-kind"), "host_missing");
  const cmds = [...alert.querySelectorAll(".commands code")].map((c) => c.textContent);
  assert.deepEqual(cmds, ["./install/install.sh", "sentinelx doctor"]);
  assert.match(alert.querySelector("h2").textContent, /not installed/);
});

test("no key and bad key link to the options; quota states show their times", () => {
  const { document, root } = dom();
  const log = [];
  const s = newSession("s4", { kind: "text" }, NOW);
  s.phase = "enriching";
  s.iocs = [ioc("domain", "a.com")];
  s.send = ["domain:a.com"];
  s.progress = { done: 0, total: 1, queued: 1, waiting_for_quota: true, quota_state: "no_api_key", next_slot_at: null };
  renderPopup(document, root, { state: s, now: NOW }, handlers(log));
  assert.equal(root.querySelector('[role="alert"]').getAttribute("data-error-kind"), "no_api_key");
  root.querySelector('[data-focus="alert-options"]').dispatchEvent(new document.defaultView.Event("click"));
  assert.deepEqual(log.at(-1), ["options"]);

  s.progress = { ...s.progress, quota_state: "auth_failed" };
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  assert.equal(root.querySelector('[role="alert"]').getAttribute("data-error-kind"), "auth");

  s.progress = { ...s.progress, quota_state: "daily_limit", next_slot_at: "2024-05-11T00:00:00Z" };
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  assert.equal(root.querySelector('[role="alert"]').getAttribute("data-error-kind"), "quota_daily");
  assert.match(root.textContent, /resume at 00:00 UTC \(in 12 h\)|resumes at 00:00 UTC \(in 12 h\)/);
  assert.match(root.querySelector("#status-line").textContent, /daily quota reached/);

  s.progress = { ...s.progress, quota_state: "minute_limit", next_slot_at: "2024-05-10T12:00:42Z" };
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  assert.match(root.querySelector("#status-line").textContent, /next lookup in 42 s/);
  assert.ok(root.querySelector("#cancel"), "a cancel button while running");
  assert.equal(root.querySelector("progress").getAttribute("max"), "1");
});

test("status line for the live region", () => {
  const s = newSession("s5", { kind: "text" }, NOW);
  s.phase = "enriching";
  s.send = ["a", "b", "c"];
  s.results = { a: { status: "ok" } };
  s.progress = { done: 1, total: 3, queued: 2, waiting_for_quota: true, quota_state: "ok",
    next_slot_at: "2024-05-10T12:00:42Z", remaining_today: 499 };
  assert.equal(statusLine(s, NOW), "Looking up indicators\u2026 \u00b7 1 of 3 looked up \u00b7 next lookup in 42 s \u00b7 499 lookups left today");
});

test("keyboard focus stays on the same control across re-renders", () => {
  const { document, root } = dom();
  // linkedom has no focus model: a minimal one (focus() sets document.activeElement).
  let active = null;
  Object.defineProperty(document, "activeElement", { get: () => active, configurable: true });
  document.defaultView.HTMLElement.prototype.focus = function focus() { active = this; };
  const s = sampleState();
  renderPopup(document, root, { state: s, now: NOW }, handlers());
  const before = root.querySelector("#copy-all");
  before.focus();
  assert.equal(document.activeElement?.id, "copy-all");
  renderPopup(document, root, { state: s, now: NOW + 1000 }, handlers());
  assert.equal(document.activeElement?.id, "copy-all");
  assert.notEqual(document.activeElement, before, "a new element (re-rendered) got the focus");
  assert.ok(root.contains(document.activeElement));
});
