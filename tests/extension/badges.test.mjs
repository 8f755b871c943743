import assert from "node:assert/strict";
import { test } from "node:test";
import { BADGES, BADGE_ORDER, badge, badgeKeyFor, badgeKeyForResult, countBadges } from "../../extension/lib/badges.js";
import { newSession } from "../../extension/lib/state.js";
import { enrichment, ioc } from "./_fakes.mjs";

test("every verdict and status maps to a badge with a text label", () => {
  const cases = [
    [{ status: "ok", enrichment: enrichment("malicious") }, "malicious", "Malicious"],
    [{ status: "ok", enrichment: enrichment("suspicious") }, "suspicious", "Suspicious"],
    [{ status: "ok", enrichment: enrichment("clean") }, "clean", "Clean"],
    [{ status: "ok", enrichment: enrichment("no_data") }, "no_data", "No data"],
    [{ status: "skipped", reason: "private" }, "private", "Private (not sent)"],
    [{ status: "skipped", reason: "unsupported" }, "unsupported", "Not supported"],
    [{ status: "skipped", reason: "something else" }, "not_sent", "Not sent"],
    [{ status: "error", error: { provider: "virustotal", code: "unsupported", message: "CVE" } }, "unsupported", "Not supported"],
    [{ status: "error", error: { provider: "virustotal", code: "timeout", message: "t" } }, "error", "Error"],
    [{ status: "error", error: { provider: "virustotal", code: "rate_limited", message: "t" } }, "error", "Error"],
    [{ status: "error", error: { provider: "virustotal", code: "cancelled", message: "t" } }, "cancelled", "Cancelled"],
    [{ status: "ok", enrichment: { verdict: "weird" } }, "error", "Error"],
    [null, "queued", "Queued"],
  ];
  for (const [result, key, label] of cases) {
    const k = badgeKeyForResult(result);
    assert.equal(k, key, JSON.stringify(result));
    assert.equal(badge(k).label, label);
  }
});

test("badge labels are non-empty, distinct, and every badge has a tone (colour class)", () => {
  const labels = Object.values(BADGES).map((b) => b.label);
  assert.equal(new Set(labels).size, labels.length);
  for (const [k, b] of Object.entries(BADGES)) {
    assert.ok(b.label.trim().length > 2, k);
    assert.ok(b.tone, k);
    assert.ok(BADGE_ORDER.includes(k), `${k} is counted`);
  }
  assert.equal(badge("nonsense").key, "error");
});

test("without a result the plan and the phase decide: queued, awaiting confirmation, private, not supported", () => {
  const s = newSession("s", { kind: "text" }, 0);
  const a = ioc("domain", "a.com");
  const p = ioc("ipv4", "10.1.1.1", { private: true });
  const c = ioc("cve", "CVE-2020-0001");
  const d = ioc("domain", "d.com");
  s.iocs = [a, p, c, d];
  s.withheld = { "ipv4:10.1.1.1": "private", "cve:CVE-2020-0001": "unsupported", "domain:d.com": "deselected" };
  s.phase = "preview";
  assert.equal(badgeKeyFor(s, a), "pending");
  s.phase = "enriching";
  assert.equal(badgeKeyFor(s, a), "queued");
  assert.equal(badgeKeyFor(s, p), "private");
  assert.equal(badgeKeyFor(s, c), "unsupported");
  assert.equal(badgeKeyFor(s, d), "not_sent");
  s.phase = "cancelled";
  assert.equal(badgeKeyFor(s, a), "cancelled");
  s.results["domain:a.com"] = { status: "ok", cached: true, enrichment: enrichment("malicious") };
  assert.equal(badgeKeyFor(s, a), "malicious");
  assert.deepEqual(countBadges(s), { malicious: 1, private: 1, unsupported: 1, not_sent: 1 });
});
