import assert from "node:assert/strict";
import { test } from "node:test";
import { render as nvd } from "../../extension/lib/providers/nvd.js";
import { render as epss } from "../../extension/lib/providers/epss.js";
import { render as kev } from "../../extension/lib/providers/kev.js";
import { render as misp } from "../../extension/lib/providers/misp.js";

const TONES = new Set(["bad", "warn", "good", "muted", undefined]);
const RENDERERS = { nvd, epss, kev, misp };

function wellFormed(lines) {
  assert.ok(Array.isArray(lines) && lines.length > 0);
  for (const l of lines) {
    assert.equal(typeof l.label, "string");
    assert.equal(typeof l.value, "string");
    assert.ok(l.value.length <= 400, `long value: ${l.label} ${l.value.length}`);
    assert.ok(TONES.has(l.tone), `tone ${l.tone}`);
    assert.deepEqual(Object.keys(l).filter((k) => !["label", "value", "tone"].includes(k)), []);
  }
  return lines;
}

const byLabel = (lines) => Object.fromEntries(lines.map((l) => [l.label, l]));

test("nvd: severity, version, status, date", () => {
  const facts = {
    cve_id: "CVE-2021-44228", vuln_status: "Analyzed", rejected: false,
    description: "Apache Log4j2 JNDI features ...", published: "2021-12-10T10:15:09.143",
    last_modified: null, cvss_score: 10, cvss_severity: "critical", cvss_version: "3.1",
    cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", cvss_source: "nvd@nist.gov",
    cwes: ["CWE-502", "CWE-917"], cisa_exploit_add: "2021-12-10",
  };
  const l = byLabel(wellFormed(nvd(facts, { found: true })));
  assert.deepEqual(l.CVSS, { label: "CVSS", value: "Critical 10.0 (v3.1)", tone: "bad" });
  assert.equal(l.Published.value, "2021-12-10");
  assert.equal(l.Weakness.value, "CWE-502, CWE-917");
  const medium = byLabel(nvd({ ...facts, cvss_score: 5.3, cvss_severity: "medium", cvss_version: "4.0" }, { found: true }));
  assert.deepEqual(medium.CVSS, { label: "CVSS", value: "Medium 5.3 (v4.0)", tone: "warn" });
});

test("nvd: rejected, unscored, not found", () => {
  const rejected = byLabel(wellFormed(nvd({ cve_id: "CVE-2023-99001", rejected: true, vuln_status: "Rejected",
    cvss_score: null, cvss_severity: null, cvss_version: null }, { found: true })));
  assert.match(rejected.Status.value, /Rejected/);
  assert.equal(rejected.CVSS, undefined);
  const waiting = byLabel(nvd({ cve_id: "CVE-2025-99002", vuln_status: "Awaiting Analysis", rejected: false,
    cvss_score: null, cvss_severity: null, cvss_version: null }, { found: true }));
  assert.equal(waiting.CVSS.value, "not scored yet");
  assert.deepEqual(nvd({ cve_id: "CVE-1999-99999" }, { found: false }), [{ label: "NVD", value: "not in NVD", tone: "muted" }]);
});

test("epss: percent and ordinal percentile", () => {
  const l = byLabel(wellFormed(epss({ cve_id: "CVE-2021-44228", epss: 0.94424, percentile: 0.99991, date: "2025-08-25" }, { found: true })));
  assert.equal(l.EPSS.value, "94.4% chance of exploitation in 30 days");
  assert.equal(l.Percentile.value, "99th percentile");
  assert.equal(l.EPSS.tone, "warn");
  const low = byLabel(epss({ epss: 0.00042, percentile: 0.0523, date: null }, { found: true }));
  assert.equal(low.Percentile.value, "5th percentile");
  assert.equal(low.EPSS.tone, "muted");
  assert.equal(byLabel(epss({ epss: 0.1, percentile: 0.22 }, { found: true })).Percentile.value, "22nd percentile");
  assert.equal(byLabel(epss({ epss: 0.1, percentile: 0.113 }, { found: true })).Percentile.value, "11th percentile");
  assert.deepEqual(epss({ cve_id: "CVE-1999-99999" }, { found: false }), [{ label: "EPSS", value: "no EPSS score", tone: "muted" }]);
});

test("kev: dates and ransomware", () => {
  const l = byLabel(wellFormed(kev({
    cve_id: "CVE-2021-44228", known_exploited: true, date_added: "2021-12-10", due_date: "2021-12-24",
    ransomware: true, ransomware_use: "Known", vendor_project: "Apache", product: "Log4j2",
    vulnerability_name: "Apache Log4j2 Remote Code Execution Vulnerability", catalog_version: "2025.08.25",
    required_action: "Apply updates",
  }, { found: true })));
  assert.deepEqual(l["Known exploited"], { label: "Known exploited", value: "yes, listed 2021-12-10", tone: "bad" });
  assert.equal(l["Due date"].value, "2021-12-24");
  assert.equal(l.Ransomware.tone, "bad");
  const absent = kev({ cve_id: "CVE-1999-99999", catalog_version: "2025.08.25" }, { found: false });
  assert.deepEqual(absent, [{ label: "CISA KEV", value: "not listed (catalog 2025.08.25)", tone: "muted" }]);
});

test("misp: rule, events, IDS count, demotion hints", () => {
  const facts = {
    matches: 2, truncated: false,
    attributes: [
      { id: 1001, event_id: 42, type: "ip-dst", category: "Network activity", to_ids: true, comment: "C2",
        tags: ["malware:emotet", "tlp:amber"], sightings: 1, false_positives: 0, warninglists: [] },
      { id: 1004, event_id: 42, type: "ip-dst", category: "Network activity", to_ids: false, comment: null,
        tags: ["tlp:amber"], sightings: 0, false_positives: 2, warninglists: ["List of known IPv4 public DNS resolvers"] },
    ],
    events: [{ id: 42, info: "Emotet C2 infrastructure", published: true, threat_level: "high", date: "2025-08-20", org: "CIRCL" }],
  };
  const result = { found: true, verdict: "malicious", summary: "IDS attribute in published event #42 (Emotet C2 infrastructure)" };
  const l = byLabel(wellFormed(misp(facts, result)));
  assert.deepEqual(l.Rule, { label: "Rule", value: result.summary, tone: "bad" });
  assert.equal(l["Event #42"].value, "Emotet C2 infrastructure — published, threat high, CIRCL");
  assert.equal(l["For IDS"].value, "1 of 2");
  assert.equal(l.Tags.value, "malware:emotet, tlp:amber");
  assert.equal(l.Warninglist.tone, "good");
  assert.equal(l["False positives"].value, "2 sightings");
  assert.deepEqual(misp({ matches: 0 }, { found: false, verdict: "no_data" }), [{ label: "MISP", value: "not in your MISP", tone: "muted" }]);
});

// --- generated hostile facts: a renderer never throws and always gives well-formed lines ---

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function hostile(r, depth = 0) {
  const pick = Math.floor(r() * 12);
  switch (pick) {
    case 0: return null;
    case 1: return undefined;
    case 2: return r() < 0.5;
    case 3: return [NaN, Infinity, -Infinity, 1e308, -0, 0.5, 2 ** 53][Math.floor(r() * 7)];
    case 4: return "x".repeat(Math.floor(r() * 5000));
    case 5: return ["critical", "high", "<img src=x onerror=alert(1)>", "", "4.0", "2021-12-10", "Known"][Math.floor(r() * 7)];
    case 6: return { toString() { throw new Error("boom"); } };
    case 7: return Object.create(null);
    case 8: return depth > 2 ? 1 : Array.from({ length: Math.floor(r() * 4) }, () => hostile(r, depth + 1));
    case 9: return depth > 2 ? {} : Object.fromEntries(["id", "info", "tags", "to_ids", "published", "warninglists", "false_positives"]
      .map((k) => [k, hostile(r, depth + 1)]));
    case 10: return Math.floor(r() * 1e6) - 5e5;
    default: return Symbol("s");
  }
}

const KEYS = ["cve_id", "cvss_score", "cvss_severity", "cvss_version", "cvss_vector", "rejected", "vuln_status",
  "description", "published", "cwes", "epss", "percentile", "date", "known_exploited", "date_added", "due_date",
  "ransomware", "vulnerability_name", "required_action", "catalog_version", "matches", "truncated", "attributes", "events"];

test("renderers survive generated hostile facts and results", () => {
  const r = rng(12345);
  for (let i = 0; i < 3000; i++) {
    const facts = r() < 0.1 ? hostile(r) : Object.fromEntries(KEYS.filter(() => r() < 0.5).map((k) => [k, hostile(r)]));
    const result = r() < 0.1 ? hostile(r) : { found: r() < 0.8 ? true : hostile(r), verdict: hostile(r), summary: hostile(r) };
    for (const [name, render] of Object.entries(RENDERERS)) {
      let lines;
      assert.doesNotThrow(() => { lines = render(facts, result); }, `${name} threw on case ${i}`);
      wellFormed(lines);
    }
  }
});
