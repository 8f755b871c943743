import assert from "node:assert/strict";
import { test } from "node:test";
import { applyEnrichMessage, newSession } from "../../extension/lib/state.js";

const ip = { type: "ipv4", value: "185.220.101.47", raw: "185.220.101[.]47", offset: 0, private: false };
const dom = { type: "domain", value: "good-cdn.com", raw: "good-cdn[.]com", offset: 40, private: false };

test("a `results` batch (the host's skips and cache hits) applies each result like a `result`", () => {
  const s = newSession("s", { kind: "text" }, 0);
  s.iocs = [ip, dom];
  const combined = { verdict: "no_data", score: 0, severity: "none", reason: "no_data",
    providers: { abuseipdb: "skipped", virustotal: "pending" }, pending: 1, label: null };
  const out = applyEnrichMessage(s, { id: "7", type: "results", results: [
    { ioc: ip, provider: "abuseipdb", status: "skipped", reason: "no_api_key", cached: false, combined },
    { ioc: dom, provider: "virustotal", status: "ok", cached: true,
      result: { provider: "virustotal", verdict: "clean", summary: "0/70 engines" },
      combined: { ...combined, verdict: "clean", providers: { virustotal: "clean" }, pending: 0 } },
    { provider: "junk" }, null] });
  assert.deepEqual(out, { changed: true, keys: ["ipv4:185.220.101.47", "domain:good-cdn.com"] });
  assert.deepEqual(s.results["ipv4:185.220.101.47"].providers.abuseipdb,
    { status: "skipped", cached: false, reason: "no_api_key" });
  assert.equal(s.results["domain:good-cdn.com"].providers.virustotal.cached, true);
  assert.equal(s.results["domain:good-cdn.com"].combined.verdict, "clean");
  assert.deepEqual(applyEnrichMessage(s, { type: "results", results: "nope" }), { changed: false, keys: [] });
});
