import assert from "node:assert/strict";
import { test } from "node:test";
import { hours, keyCheckText, keyInfo, keyStatusText, neverSendList, providerSettings, wholeNumber } from "../../extension/lib/options-form.js";
import { oneSentence } from "../../extension/lib/errors.js";

test("per-provider settings come from the host's names; the capability fills in 'enabled'", () => {
  const s = { "providers.urlhaus.enabled": false, "providers.urlhaus.requests_per_minute": 10 };
  assert.deepEqual(providerSettings(s, "urlhaus"), { enabled: false, perMinute: 10, perDay: null });
  assert.deepEqual(providerSettings({}, "otx", { enabled: true }), { enabled: true, perMinute: null, perDay: null });
});

test("key state: masked only, per provider, with the pre-wave-2 VirusTotal field as a fallback", () => {
  assert.deepEqual(keyInfo({ keys: { otx: { set: true, masked: "****abcd", source: "file" } } }, "otx"),
    { set: true, masked: "****abcd", source: "file" });
  assert.equal(keyInfo({ api_key: { set: true, masked: "****1234" } }, "virustotal").masked, "****1234");
  assert.equal(keyInfo({ api_key: { set: true } }, "otx").set, false);
  assert.equal(keyStatusText({ set: false }, "optional"), "No key (optional: the free tier works without one)");
  assert.match(keyStatusText({ set: true, masked: "****abcd", source: "env" }, "required"), /environment/);
});

test("the key check outcome in words", () => {
  assert.match(keyCheckText({ status: "ok" }), /accepted/);
  assert.match(keyCheckText({ status: "rejected", message: "401 from the source" }), /rejected it\. 401/);
  assert.match(keyCheckText({ status: "unchecked" }), /no cheap check/);
  assert.equal(keyCheckText(undefined), "Key saved by the helper.");
});

test("numbers: blank is an error (never 0), decimals refused for counts, hours must be positive", () => {
  assert.match(wholeNumber("", "Per minute").error, /enter a number/);
  assert.match(wholeNumber("1.5", "Per minute").error, /whole number/);
  assert.match(wholeNumber("-1", "Per minute").error, /whole number/);
  assert.equal(wholeNumber(" 4 ", "x").value, 4);
  assert.match(hours("", "Cache time").error, /enter a number/);
  assert.match(hours("0", "Cache time").error, /more than 0/);
  assert.equal(hours("0.5", "x").value, 0.5);
});

test("the never-send list: one entry per line or comma, lower-cased, no duplicates", () => {
  assert.deepEqual(neverSendList("Corp.Example\n10.0.0.0/8, corp.example\n\n  vpn.corp.example "),
    ["corp.example", "10.0.0.0/8", "vpn.corp.example"]);
});

test("errors are one readable sentence, never a dump of the request", () => {
  const dump = `/iocs: [{'type': 'ipv4', 'value': '1.2.3.4'}, ${"{'type': 'domain', 'value': 'a.com'}, ".repeat(2000)}] is too long`;
  const s = oneSentence(dump);
  assert.ok(s.length <= 160, String(s.length));
  assert.doesNotMatch(s, /\{'type'/);
  assert.equal(oneSentence("line one\nTraceback (most recent call last):\n  File x"), "line one");
  assert.equal(oneSentence("the key must be 64 hex characters"), "the key must be 64 hex characters");
});

test("readCapabilities: a provider's own settings, only well-formed ones", async () => {
  const { readCapabilities } = await import("../../extension/lib/capabilities.js");
  const caps = readCapabilities({ capabilities: { providers: [{ name: "virustotal", label: "VirusTotal",
    settings: [{ name: "malicious_threshold", help: "engines", default: 1, kind: "number" },
      { name: "Bad Name", help: "x", default: 1, kind: "number" },
      { name: "x", help: "x", default: 1, kind: "html" }, null] }] } });
  assert.deepEqual(caps.providers[0].settings,
    [{ name: "malicious_threshold", kind: "number", help: "engines", default: 1 }]);
  assert.deepEqual(readCapabilities({ capabilities: { providers: [{ name: "kev" }] } }).providers[0].settings, []);
});
