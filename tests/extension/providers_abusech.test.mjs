// The URLhaus, ThreatFox and MalwareBazaar renderers: plain lines from the facts the host
// really produces (tests/data/providers/<name>/parsed.json, checked against the Python parser
// by tests/unit/test_provider_abusech.py), and hostile facts that must never throw or leak.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { render as urlhaus } from "../../extension/lib/providers/urlhaus.js";
import { render as threatfox } from "../../extension/lib/providers/threatfox.js";
import { render as malwarebazaar } from "../../extension/lib/providers/malwarebazaar.js";

const DATA = join(dirname(fileURLToPath(import.meta.url)), "..", "data", "providers");
const parsed = (name) => JSON.parse(readFileSync(join(DATA, name, "parsed.json"), "utf8"));
const RENDER = { urlhaus, threatfox, malwarebazaar };
const TONES = new Set(["bad", "warn", "good", "muted"]);

function run(name, c) {
  return RENDER[name](c.facts, { provider: name, found: c.found, verdict: c.verdict, summary: c.summary,
    facts: c.facts });
}

const byLabel = (lines) => Object.fromEntries(lines.map((l) => [l.label, l]));

function assertLines(lines) {
  assert.ok(Array.isArray(lines) && lines.length > 0);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l).filter((k) => !["label", "value", "tone"].includes(k)), []);
    assert.equal(typeof l.label, "string");
    assert.equal(typeof l.value, "string");
    assert.ok(l.value.length > 0 && !l.value.includes("undefined") && !l.value.includes("[object"), l.value);
    if ("tone" in l) assert.ok(TONES.has(l.tone), l.tone);
  }
}

test("every recorded shape renders to well-formed lines", () => {
  for (const name of Object.keys(RENDER)) {
    for (const [fixture, c] of Object.entries(parsed(name))) {
      const lines = run(name, c);
      assertLines(lines);
      if (!c.found) assert.equal(lines[0].tone, "muted", `${name}/${fixture}: not found reads as muted`);
    }
  }
});

test("URLhaus: URL, host and payload lines", () => {
  const cases = parsed("urlhaus");
  const url = byLabel(run("urlhaus", cases.url_online));
  assert.deepEqual(url.Status, { label: "Status", value: "online", tone: "bad" });
  assert.equal(url.Threat.value, "malware download");
  assert.equal(url.Payloads.value, "1 (Heodo)");
  assert.equal(byLabel(run("urlhaus", cases.url_offline)).Status.tone, "warn");

  const host = byLabel(run("urlhaus", cases.host_ip));
  assert.deepEqual(host["Malware URLs"], { label: "Malware URLs", value: "3 (2 online)", tone: "bad" });
  assert.equal(byLabel(run("urlhaus", cases.host_offline_domain))["Malware URLs"].value, "2, none online");
  const legit = byLabel(run("urlhaus", cases.host_abused_legit));
  assert.match(legit["Spamhaus DBL"].value, /abused legitimate service/);

  const payload = byLabel(run("urlhaus", cases.payload));
  assert.deepEqual(payload.Family, { label: "Family", value: "Heodo", tone: "bad" });
  assert.equal(payload.Size.value, "168 KB");
  assert.match(run("urlhaus", cases.no_results)[0].value, /not listed/);
});

test("ThreatFox: threat, confidence toned by the verdict, the ip:port row, a sample's IOCs", () => {
  const cases = parsed("threatfox");
  const ip = byLabel(run("threatfox", cases.search_ioc_ip));
  assert.deepEqual(ip.Threat, { label: "Threat", value: "botnet C2", tone: "bad" });
  assert.deepEqual(ip.Confidence, { label: "Confidence", value: "75%", tone: "bad" });
  assert.equal(ip["Listed as"].value, "139.180.203.104:443 (ip:port)");
  assert.equal(ip.Malware.value, "Cobalt Strike");
  const low = byLabel(run("threatfox", cases.search_ioc_domain_low));
  assert.equal(low.Confidence.tone, "warn");
  const sample = byLabel(run("threatfox", cases.search_hash));
  assert.equal(sample["Seen with"].value, "103.82.248.59:443, gaga.com");
  assert.equal(sample.Entries.value, "2");
  assert.match(run("threatfox", cases.illegal_search_term)[0].value, /cannot be searched/);
});

test("MalwareBazaar: family, file, hashes", () => {
  const cases = parsed("malwarebazaar");
  const s = byLabel(run("malwarebazaar", cases.get_info));
  assert.deepEqual(s.Family, { label: "Family", value: "CobaltStrike", tone: "bad" });
  assert.equal(s["File type"].value, "exe (application/x-dosexec)");
  assert.equal(s.Size.value, "283 KB");
  assert.equal(s.SHA256.value, cases.get_info.facts.sha256);
  assert.match(run("malwarebazaar", cases.hash_not_found)[0].value, /no sample/);
});

test("hostile facts never throw and never show raw objects", () => {
  const hostile = [
    null, undefined, 42, "text", [], [1, 2],
    { kind: "url", url_status: { toString: null }, tags: "a,b", payloads: -1, signatures: [{}] },
    { kind: "host", url_count: "9e99", urls_online: NaN, blacklists: "listed", threats: [null, 5] },
    { kind: "payload", file_size: Infinity, signature: ["x"], url_count: 1.5 },
    { kind: "nope" },
    { query: "search_ioc", iocs: [null, "x", { ioc: 5, confidence: "high", tags: {} }], matches: "2" },
    { query: "search_hash", iocs: [{}], malware: "Dridex" },
    { sha256: 7, md5: "abc", file_size: -5, tags: [1, "<b>x</b>"] },
    { __proto__: { kind: "url", url_status: "online" } },
  ];
  for (const name of Object.keys(RENDER)) {
    for (const facts of hostile) {
      for (const result of [undefined, null, { found: true, verdict: "malicious" }, { found: false }]) {
        const lines = RENDER[name](facts, result);
        assert.ok(Array.isArray(lines), `${name}: ${JSON.stringify(facts)}`);
        for (const l of lines) {
          assert.equal(typeof l.value, "string");
          assert.ok(!l.value.includes("[object") && !l.value.includes("NaN") && !l.value.includes("undefined"),
            `${name}: ${l.value}`);
        }
      }
    }
  }
});

test("text from the provider stays text (the popup uses textContent; nothing is parsed here)", () => {
  const facts = { ...parsed("malwarebazaar").get_info.facts, signature: "<img src=x onerror=alert(1)>" };
  const fam = byLabel(malwarebazaar(facts, { found: true })).Family;
  assert.equal(fam.value, "<img src=x onerror=alert(1)>");
});
