import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import * as abuseipdb from "../../extension/lib/providers/abuseipdb.js";
import * as greynoise from "../../extension/lib/providers/greynoise.js";
import * as internetdb from "../../extension/lib/providers/internetdb.js";
import * as otx from "../../extension/lib/providers/otx.js";

const RENDERERS = { abuseipdb, greynoise, internetdb, otx };
const TONES = new Set(["bad", "warn", "good", "muted"]);

function schema(name) {
  const path = new URL(`../../host/sentinelx/enrichment/providers/facts/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(path), "utf8"));
}

// Facts as the host caches them (the shape of each provider's facts schema).
const FACTS = {
  abuseipdb: {
    ip: "185.220.101.47", is_public: true, ip_version: 4, whitelisted: false, score: 87,
    total_reports: 412, distinct_users: 97, last_reported_at: "2026-11-30T08:01:02+00:00",
    country_code: "DE", usage_type: "Data Center/Web Hosting/Transit", isp: "Zwiebelfreunde",
    domain: "example.org", hostnames: ["tor-exit.example.org"], is_tor: true,
  },
  greynoise: {
    ip: "71.6.135.131", noise: true, riot: false, classification: "benign", name: "Shodan.io",
    last_seen: "2026-11-29", message: "Success",
  },
  internetdb: {
    ip: "45.33.32.156", ports: [22, 80, 9929, 31337], hostnames: ["scanme.nmap.org"], tags: ["cloud"],
    vulns: ["CVE-2021-23017", "CVE-2023-38408"], cpes: ["cpe:/a:nginx:nginx:1.18.0"],
  },
  otx: {
    indicator: "185.220.101.47", pulse_count: 4,
    pulses: [{ id: "65a1", name: "Cobalt Strike C2 servers", created: null, adversary: null, malware_families: ["Cobalt Strike"], tags: [] }],
    malware_families: ["Cobalt Strike"], adversaries: ["APT-Example"], validation: [],
  },
};

function assertLines(lines) {
  assert.ok(Array.isArray(lines));
  for (const line of lines) {
    assert.equal(typeof line.label, "string");
    assert.equal(typeof line.value, "string");
    assert.ok(line.label.length > 0 && line.value.length > 0);
    if ("tone" in line) assert.ok(TONES.has(line.tone), `tone ${line.tone}`);
    assert.deepEqual(Object.keys(line).filter((k) => !["label", "value", "tone"].includes(k)), []);
  }
  return lines;
}

const byLabel = (lines) => Object.fromEntries(lines.map((l) => [l.label, l]));

test("the sample facts have exactly the shape of each provider's facts schema", () => {
  for (const name of Object.keys(RENDERERS)) {
    assert.deepEqual(Object.keys(FACTS[name]).sort(), [...schema(name).required].sort(), name);
  }
});

test("AbuseIPDB: score, reports, Tor, network", () => {
  const lines = byLabel(assertLines(abuseipdb.render(FACTS.abuseipdb, { verdict: "malicious" })));
  assert.deepEqual(lines["Abuse score"], { label: "Abuse score", value: "87/100", tone: "bad" });
  assert.equal(lines.Reports.value, "412 from 97 users");
  assert.equal(lines["Last reported"].value, "2026-11-30");
  assert.equal(lines["Tor exit node"].tone, "warn");
  assert.equal(lines.ISP.value, "Zwiebelfreunde");
  const clean = byLabel(abuseipdb.render({ ...FACTS.abuseipdb, whitelisted: true, score: 0, is_tor: false }, { verdict: "clean" }));
  assert.equal(clean["Allow-listed"].tone, "good");
  assert.equal(clean["Tor exit node"], undefined);
  assert.deepEqual(abuseipdb.render({ ...FACTS.abuseipdb, is_public: false }, {}),
    [{ label: "Address", value: "not public: not looked up", tone: "muted" }]);
});

test("GreyNoise: benign scanner, malicious, not observed", () => {
  const benign = byLabel(assertLines(greynoise.render(FACTS.greynoise, { verdict: "clean" })));
  assert.deepEqual(benign.Classification, { label: "Classification", value: "benign", tone: "good" });
  assert.equal(benign["Mass scanner"].tone, "muted");
  assert.equal(benign.Actor.value, "Shodan.io");
  const bad = byLabel(greynoise.render({ ...FACTS.greynoise, classification: "malicious", name: "unknown" }, { verdict: "malicious" }));
  assert.equal(bad.Classification.tone, "bad");
  assert.equal(bad["Mass scanner"].tone, "warn");
  assert.equal(bad.Actor, undefined);
  const none = greynoise.render({ ...FACTS.greynoise, noise: false, riot: false, classification: null }, { verdict: "no_data" });
  assert.deepEqual(none, [{ label: "GreyNoise", value: "not seen scanning, not a known service", tone: "muted" }]);
});

test("InternetDB: exposure lines, never a verdict tone but CVE warnings", () => {
  const lines = assertLines(internetdb.render(FACTS.internetdb, { verdict: "no_data" }));
  const l = byLabel(lines);
  assert.equal(l["Open ports"].value, "22, 80, 9929, 31337");
  assert.deepEqual(l["Known CVEs"], { label: "Known CVEs", value: "2: CVE-2021-23017, CVE-2023-38408", tone: "warn" });
  assert.ok(lines.every((line) => line.tone !== "bad" && line.tone !== "good"));
  const many = byLabel(internetdb.render({ ...FACTS.internetdb, ports: Array.from({ length: 25 }, (_, i) => i + 1) }, {}));
  assert.equal(many["Open ports"].value, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 +15 more");
  const empty = { ip: "1.2.3.4", ports: [], hostnames: [], tags: [], vulns: [], cpes: [] };
  assert.deepEqual(internetdb.render(empty, {}), [{ label: "Shodan", value: "no information available", tone: "muted" }]);
});

test("OTX: pulses, families, allow-list, none", () => {
  const l = byLabel(assertLines(otx.render(FACTS.otx, { verdict: "malicious" })));
  assert.deepEqual(l.Pulses, { label: "Pulses", value: "in 4 pulses", tone: "bad" });
  assert.equal(l.Malware.value, "Cobalt Strike");
  assert.equal(l.Adversary.value, "APT-Example");
  assert.equal(l["Recent pulses"].value, "Cobalt Strike C2 servers");
  const allowed = byLabel(otx.render({ ...FACTS.otx, validation: [{ source: "whitelist", message: "Whitelisted domain google.com" }] }, { verdict: "clean" }));
  assert.deepEqual(allowed["Allow-listed"], { label: "Allow-listed", value: "Whitelisted domain google.com", tone: "good" });
  assert.equal(allowed.Malware.tone, undefined);
  const none = otx.render({ ...FACTS.otx, pulse_count: 0, pulses: [], malware_families: [], adversaries: [] }, { verdict: "no_data" });
  assert.deepEqual(none, [{ label: "Pulses", value: "in no OTX pulse", tone: "muted" }]);
});

test("hostile or missing facts never throw and still give plain lines", () => {
  const hostile = [
    null, undefined, 42, "facts", [], {},
    { score: "87", total_reports: -1, hostnames: "x", ports: "22", pulses: [null, 5, { name: {} }] },
    { score: Number.NaN, total_reports: Infinity, ports: [1e9, -1, 22.5, "80"], vulns: [{}, null, "CVE-2024-0001"] },
    { classification: "<img src=x onerror=alert(1)>", name: "<script>", pulse_count: 1e300, validation: [null, "x"] },
    { malware_families: new Array(10000).fill("X"), tags: new Array(5000).fill("t"), last_reported_at: "yesterday" },
  ];
  for (const [name, mod] of Object.entries(RENDERERS)) {
    for (const facts of hostile) {
      const lines = assertLines(mod.render(facts, { verdict: "malicious" }));
      for (const line of lines) assert.ok(line.value.length <= 1000, `${name}: ${line.value.length}`);
    }
  }
});
