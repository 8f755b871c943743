import assert from "node:assert/strict";
import { test } from "node:test";
import { BADGES, BADGE_ORDER, badge, badgeKeyFor, badgeKeyForEntry, countBadges } from "../../extension/lib/badges.js";
import { newSession } from "../../extension/lib/state.js";
import { combine, ioc, providerResult } from "./_contract.mjs";

const ok = (provider, verdict, extra) => ({ provider, status: "ok", cached: false, result: providerResult(provider, verdict, extra) });
const skipped = (provider, reason) => ({ provider, status: "skipped", reason, cached: false });
const failed = (provider, code) => ({ provider, status: "error", cached: false, error: { provider, code, message: code } });

function entry(outcomes, pending = 0) {
  return { providers: Object.fromEntries(outcomes.map((o) => [o.provider, o])), combined: combine(outcomes, pending) };
}

test("the combined verdict decides the badge; not found and context-only never look clean", () => {
  const cases = [
    [[ok("virustotal", "malicious"), ok("urlhaus", "no_data")], "malicious"],
    [[ok("virustotal", "suspicious"), ok("urlhaus", "clean")], "suspicious"],
    [[ok("virustotal", "clean")], "clean"],
    [[ok("virustotal", "no_data", { found: false })], "no_data"],
    [[ok("internetdb", "no_data", { found: true, facts: { ports: [22] } })], "no_data"],
    [[ok("virustotal", "clean"), failed("urlhaus", "timeout")], "clean"],
    [[failed("virustotal", "timeout"), failed("urlhaus", "rate_limited")], "error"],
    [[failed("virustotal", "cancelled")], "cancelled"],
    [[skipped("virustotal", "private"), skipped("urlhaus", "private")], "private"],
    [[skipped("virustotal", "never_send")], "never_send"],
    [[skipped("virustotal", "no_api_key"), skipped("urlhaus", "unsupported")], "no_key"],
    [[skipped("virustotal", "unsupported")], "unsupported"],
    [[skipped("virustotal", "disabled")], "not_sent"],
  ];
  for (const [outcomes, key] of cases) {
    assert.equal(badgeKeyForEntry(entry(outcomes), "done"), key, JSON.stringify(outcomes.map((o) => [o.provider, o.status, o.result?.verdict ?? o.reason ?? o.error?.code])));
  }
  assert.notEqual(BADGES.no_data.tone, BADGES.clean.tone, "no data is not coloured like clean");
});

test("a CVE shows the host's label and severity, never a malicious/clean verdict", () => {
  const e = entry([ok("nvd", "no_data", { severity: "critical", summary: "Critical 9.8 \u00b7 Known exploited" })]);
  assert.equal(badgeKeyForEntry(e), "cve");
  const b = badge("cve", e);
  assert.equal(b.label, "Critical 9.8 \u00b7 Known exploited");
  assert.equal(b.tone, "danger");
  assert.equal(badge("cve", entry([ok("nvd", "no_data", { severity: "low", summary: "Low 2.1" })])).tone, "info");
});

test("while providers are pending the IOC is looking up; after a cancel it is cancelled", () => {
  const e = entry([ok("virustotal", "no_data", { found: false })], 2);
  assert.equal(badgeKeyForEntry(e, "enriching"), "queued");
  assert.equal(badgeKeyForEntry(e, "cancelled"), "cancelled");
  const early = entry([ok("virustotal", "malicious")], 1);
  assert.equal(badgeKeyForEntry(early, "enriching"), "malicious", "a malicious answer shows at once");
});

test("badge labels are distinct and every badge is counted and ordered", () => {
  const labels = Object.values(BADGES).map((b) => b.label);
  assert.equal(new Set(labels).size, labels.length);
  for (const k of Object.keys(BADGES)) assert.ok(BADGE_ORDER.includes(k), k);
  assert.equal(BADGE_ORDER[0], "malicious");
  assert.equal(badge("nonsense").key, "error");
});

test("without a result the plan and the phase decide", () => {
  const s = newSession("s", { kind: "text" }, 0);
  const a = ioc("domain", "a.com");
  const p = ioc("ipv4", "10.1.1.1", { private: true });
  const d = ioc("domain", "d.com");
  const n = ioc("domain", "mine.corp");
  s.iocs = [a, p, d, n];
  s.send = ["domain:a.com"];
  s.withheld = { "ipv4:10.1.1.1": "private", "domain:d.com": "deselected", "domain:mine.corp": "never_send" };
  s.phase = "preview";
  assert.equal(badgeKeyFor(s, a), "pending");
  s.phase = "enriching";
  assert.equal(badgeKeyFor(s, a), "queued");
  assert.equal(badgeKeyFor(s, p), "private");
  assert.equal(badgeKeyFor(s, d), "not_sent");
  assert.equal(badgeKeyFor(s, n), "never_send");
  s.results["domain:a.com"] = entry([ok("virustotal", "malicious")]);
  assert.deepEqual(countBadges(s), { malicious: 1, private: 1, not_sent: 1, never_send: 1 });
});
