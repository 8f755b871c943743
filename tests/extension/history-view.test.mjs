import assert from "node:assert/strict";
import { test } from "node:test";
import { PART_LISTS } from "../../extension/lib/host.js";
import { allowedRequest } from "../../extension/lib/host-requests.js";
import {
  dayStart, filterFromForm, localTime, providerLines, rowView, runFromHash,
} from "../../extension/lib/history-view.js";

test("filterFromForm: only what the user chose, in the host's shape", () => {
  assert.deepEqual(filterFromForm({}), {});
  assert.deepEqual(filterFromForm({ search: "  evil ", verdicts: ["malicious", "nope"], type: "domain",
    provider: " VirusTotal ", since: "2026-11-01", until: "2026-11-30" }), {
    search: "evil", verdicts: ["malicious"], types: ["domain"], providers: ["virustotal"],
    since: dayStart("2026-11-01"), until: dayStart("2026-12-01"),
  });
  // every verdict ticked is the same as none
  assert.deepEqual(filterFromForm({ verdicts: ["malicious", "suspicious", "clean", "no_data"] }), {});
  assert.deepEqual(filterFromForm({ type: "exe", provider: "a b", since: "yesterday" }), {});
  assert.equal(filterFromForm({ search: "x".repeat(500) }).search.length, 200);
});

test("dayStart is local midnight; until is the next day", () => {
  const s = new Date(dayStart("2026-03-01"));
  assert.equal(s.getHours(), 0);
  assert.equal(s.getDate(), 1);
  assert.equal(new Date(dayStart("2026-02-28", 1)).getDate(), 1);
  assert.equal(dayStart("2026-13-45x"), null);
});

test("rowView: plain strings, a known badge even for odd input", () => {
  const v = rowView({ id: 5, run_id: 2, time: "2026-12-01T10:00:00Z", ioc: { type: "domain", value: "<b>x</b>" },
    verdict: "malicious", reason: "malicious: VirusTotal 12/73", providers: { virustotal: "malicious", abuseipdb: "no_data" },
    source_title: "Report", source_url: "https://blog.example/r" });
  assert.equal(v.value, "<b>x</b>");
  assert.equal(v.badge, "badge-danger");
  assert.equal(v.providersText, "abuseipdb: no data, virustotal: malicious");
  assert.equal(v.url, "https://blog.example/r");
  assert.equal(v.time, localTime("2026-12-01T10:00:00Z"));
  const odd = rowView({ id: 1, run_id: 1, verdict: "evil", ioc: {}, providers: null });
  assert.equal(odd.verdict, "no_data");
  assert.equal(odd.badge, "badge-neutral");
  assert.equal(odd.source, "");
});

test("runFromHash", () => {
  assert.equal(runFromHash("#run=12"), 12);
  for (const h of ["", "#run=0", "#run=-1", "#run=1e3", "#run=12&x", "#run=99999999999999999"]) {
    assert.equal(runFromHash(h), null, h);
  }
});

test("providerLines reads result frames, bare results and errors; only https links", () => {
  const lines = providerLines({ results: [
    { provider: "virustotal", status: "ok", result: { verdict: "malicious", summary: "12/73", link: "javascript:alert(1)" } },
    { provider: "urlhaus", status: "error", error: { code: "rate_limited" } },
    { provider: "kev", verdict: "no_data", link: "https://kev.example/x" },
    { provider: "greynoise", status: "skipped", reason: "no_api_key" }, null, "junk",
  ] });
  assert.deepEqual(lines, [
    { name: "virustotal", text: "malicious, 12/73", link: null },
    { name: "urlhaus", text: "error: rate_limited", link: null },
    { name: "kev", text: "no_data", link: "https://kev.example/x" },
    { name: "greynoise", text: "skipped (no_api_key)", link: null },
  ]);
});

test("the pages may send the history requests, and their replies join across parts", () => {
  for (const t of ["history.query", "history.run", "history.delete", "history.clear", "export", "export.push_misp"]) {
    assert.ok(allowedRequest(t), t);
  }
  assert.deepEqual({ ...PART_LISTS }, { extracted: "iocs", previewed: "iocs", "history.page": "rows",
    "history.records": "records", exported: "content" });
});
