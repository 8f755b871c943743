import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  PIVOT_TYPES, PIVOTS_KEY, addCustomPivot, buildPivotUrl, loadBuiltinPivots, loadPivotSettings,
  mergePivots, parseBuiltinPivots, pivotsFor, refang, sanitizePivotSettings, savePivotSettings, validateTemplate,
} from "../../extension/lib/pivots.js";

const DATA = JSON.parse(readFileSync(new URL("../../extension/data/pivots.json", import.meta.url), "utf8"));
const BUILTINS = parseBuiltinPivots(DATA);

test("the data file: 30+ services, every template valid https, every entry sourced", () => {
  assert.ok(DATA.services.length >= 30, `${DATA.services.length} services`);
  assert.equal(BUILTINS.length, DATA.services.length, "no entry was dropped by the parser");
  const ids = new Set();
  for (const s of DATA.services) {
    assert.ok(!ids.has(s.id), `duplicate id ${s.id}`);
    ids.add(s.id);
    assert.ok(Array.isArray(s.sources) && s.sources.length > 0, `${s.id} has no source`);
    for (const src of s.sources) assert.ok(typeof src.ref === "string" && src.ref.length > 5 && src.kind, `${s.id} source`);
    for (const [type, tpl] of Object.entries(s.templates)) {
      assert.ok(PIVOT_TYPES.includes(type), `${s.id}: type ${type}`);
      assert.ok(validateTemplate(tpl).ok, `${s.id}/${type}: ${tpl}`);
      assert.ok(tpl.startsWith("https://"));
    }
  }
  for (const type of PIVOT_TYPES) {
    const n = BUILTINS.filter((s) => Object.hasOwn(s.templates, type)).length;
    assert.ok(n >= 3, `only ${n} services for ${type}`);
  }
  for (const wanted of ["urlscan", "shodan", "censys", "crtsh", "securitytrails", "abuseipdb", "otx", "greynoise",
    "virustotal", "urlhaus", "threatfox", "malwarebazaar", "hybridanalysis", "triage", "joesandbox", "mitre", "nvd",
    "cveorg", "exploitdb", "hibp"]) {
    assert.ok(ids.has(wanted), `missing ${wanted}`);
  }
});

test("refang removes the usual defanging", () => {
  assert.equal(refang("185.220.101[.]47"), "185.220.101.47");
  assert.equal(refang("hxxps[://]evil[.]com/a.php?x=1"), "https://evil.com/a.php?x=1");
  assert.equal(refang("hxxp://evil(.)com"), "http://evil.com");
  assert.equal(refang("bad[@]evil[dot]com"), "bad@evil.com");
  assert.equal(refang("user[at]evil[.]com"), "user@evil.com");
  assert.equal(refang("  evil.com  "), "evil.com");
  assert.equal(refang(null), "");
});

test("links: encoded, refanged, on the service's own host", () => {
  const shodan = BUILTINS.find((s) => s.id === "shodan");
  assert.equal(buildPivotUrl(shodan.templates.ipv4, "185.220.101[.]47"), "https://www.shodan.io/host/185.220.101.47");
  assert.equal(buildPivotUrl(shodan.templates.domain, "evil[.]com"), "https://www.shodan.io/search?query=hostname%3Aevil.com");
  const urlscan = BUILTINS.find((s) => s.id === "urlscan");
  assert.equal(buildPivotUrl(urlscan.templates.url, "hxxps[://]evil[.]com/a?b=c&d"),
    "https://urlscan.io/search/#page.url%3A%22https%3A%2F%2Fevil.com%2Fa%3Fb%3Dc%26d%22");
  const exploitdb = BUILTINS.find((s) => s.id === "exploitdb");
  assert.equal(buildPivotUrl(exploitdb.templates.cve, "CVE-2021-44228", { strip: exploitdb.strip }),
    "https://www.exploit-db.com/search?cve=2021-44228");
  const hibp = BUILTINS.find((s) => s.id === "hibp");
  assert.equal(buildPivotUrl(hibp.templates.email, "a.b+c[@]evil[.]com"), "https://haveibeenpwned.com/account/a.b%2Bc%40evil.com");
  assert.equal(buildPivotUrl("https://x.example/{value}", "   "), null);
});

test("hostile values never move a link off its host or scheme", () => {
  const tpls = ["https://x.example/q/{value}", "https://x.example/?q={value}", "https://x.example/#{value}", "https://x.example/a/{value}/b?c={value}"];
  const nasty = ["../../admin", "//evil.com", "@evil.com", "evil.com#", "?x=1", "a\u0000b", "\r\nSet-Cookie: x", "javascript:alert(1)",
    "<script>alert(1)</script>", "%2e%2e%2f", "\\\\evil.com", "x".repeat(9000), "\u202e", "{value}", "https://evil.com/"];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 2000; i++) {
    nasty.push(Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => String.fromCharCode(Math.floor(rnd() * 0x2100))).join(""));
  }
  for (const tpl of tpls) {
    for (const v of nasty) {
      const link = buildPivotUrl(tpl, v);
      if (link === null) continue;
      const u = new URL(link);
      assert.equal(u.protocol, "https:");
      assert.equal(u.host, "x.example", `${JSON.stringify(v)} -> ${link}`);
      assert.ok(!/[\s\u0000-\u001f<>"]/.test(link), `raw character in ${link}`);
    }
  }
  assert.equal(buildPivotUrl(tpls[0], "x".repeat(9000)), null, "over-long values are refused");
});

test("templates: https only, {value} after the host, nothing hidden", () => {
  for (const good of ["https://x.example/{value}", "https://x.example/?q={value}", "https://x.example:8443/a#{value}",
    "HTTPS://x.example/{value}", "https://web.archive.org/web/*/{value}"]) {
    assert.ok(validateTemplate(good).ok, good);
  }
  const bad = {
    "http://x.example/{value}": /https/, "javascript:alert(1)//{value}": /https/, "data:text/html,{value}": /https/,
    "ftp://x.example/{value}": /https/, "//x.example/{value}": /https/, "chrome://settings/{value}": /https/,
    "https://x.example/": /placeholder/, "https://{value}.example/": /host/, "https://x.example{value}": /host/,
    "https://x.example.{value}/": /host/, "https://user:pw@x.example/{value}": /user name/,
    "https://x.example@evil.com/{value}": /user name/, "https://x .example/{value}": /spaces/, "https://x.example/{value}\n": /spaces/,
    "https://x.example/{val}": /placeholder/, "https://\\\\/\\\\{value}": /backslash/, "https://x.example\\\\{value}": /backslash/, "https://x.example/{value}{other}": /only placeholder/,
    "https://xn--exmple-cua.example/é{value}": /non-ASCII/, "": /empty/, ["https://x.example/{value}".padEnd(3000, "a")]: /over/,
  };
  for (const [tpl, why] of Object.entries(bad)) {
    const r = validateTemplate(tpl);
    assert.equal(r.ok, false, tpl);
    assert.match(r.error, why, tpl);
    assert.equal(buildPivotUrl(tpl, "evil.com"), null, tpl);
  }
  for (const junk of [null, undefined, 42, {}, ["https://x.example/{value}"]]) assert.equal(validateTemplate(junk).ok, false);
});

test("generated templates: whatever passes validation yields https links on the template's host", () => {
  let seed = 99;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const parts = ["https://", "http://", "x.example", "{value}", "/", "?", "#", "@", ":", "evil.com", "\\", "%2F", "{", "}", "a", ".", "javascript:", " "];
  let accepted = 0;
  for (let i = 0; i < 20000; i++) {
    const prefix = rnd() < 0.8 ? "https://" : "";
    const tpl = prefix + Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => parts[Math.floor(rnd() * parts.length)]).join("");
    if (!validateTemplate(tpl).ok) continue;
    accepted++;
    const link = buildPivotUrl(tpl, "evil.com/../@x?#");
    assert.ok(link, tpl);
    const u = new URL(link);
    assert.equal(u.protocol, "https:", tpl);
    assert.equal(u.host, new URL(tpl.replaceAll("{value}", "x")).host, tpl);
    assert.ok(!u.username && !u.password, tpl);
  }
  assert.ok(accepted > 100, `only ${accepted} generated templates were valid`);
});

test("user settings: services turned off, custom ones added, junk dropped", () => {
  const added = addCustomPivot({ disabled: ["shodan"] }, { name: "Our wiki", types: ["domain", "ipv4", "nonsense"], template: "https://wiki.corp.example/search?q={value}" });
  assert.equal(added.ok, true);
  const settings = added.settings;
  assert.deepEqual(settings.custom, [{ id: "custom-1", name: "Our wiki", types: ["domain", "ipv4"], template: "https://wiki.corp.example/search?q={value}" }]);
  const merged = mergePivots(BUILTINS, settings);
  const ip = pivotsFor("ipv4", "8.8.8[.]8", merged);
  assert.ok(!ip.some((p) => p.id === "shodan"), "shodan is off");
  assert.ok(ip.some((p) => p.id === "abuseipdb" && p.url === "https://www.abuseipdb.com/check/8.8.8.8"));
  assert.deepEqual(ip.find((p) => p.id === "custom-1"), { id: "custom-1", name: "Our wiki", url: "https://wiki.corp.example/search?q=8.8.8.8" });
  assert.equal(pivotsFor("md5", "d41d8cd98f00b204e9800998ecf8427e", merged).some((p) => p.id === "custom-1"), false);
  assert.deepEqual(pivotsFor("asn", "AS13335", merged), []);
  assert.equal(addCustomPivot(settings, { name: "x", types: ["ipv4"], template: "http://x.example/{value}" }).ok, false);
  assert.equal(addCustomPivot(settings, { name: "", types: ["ipv4"], template: "https://x.example/{value}" }).ok, false);
  assert.equal(addCustomPivot(settings, { name: "x", types: [], template: "https://x.example/{value}" }).ok, false);
  const second = addCustomPivot(settings, { name: "Two", types: ["cve"], template: "https://two.example/{value}" });
  assert.equal(second.settings.custom[1].id, "custom-2");

  const hostile = sanitizePivotSettings({
    disabled: ["shodan", 5, "<b>", "shodan", "custom-1"],
    custom: [
      { id: "custom-9", name: "ok", types: ["url"], template: "https://ok.example/{value}" },
      { id: "custom-9", name: "dup", types: ["url"], template: "https://dup.example/{value}" },
      { id: "shodan", name: "override", types: ["ipv4"], template: "https://evil.example/{value}" },
      { id: "custom-3", name: "js", types: ["url"], template: "javascript:alert(1)//{value}" },
      { id: "custom-4", name: "\u0000\u0007", types: ["url"], template: "https://x.example/{value}" },
      null, "junk", { id: "custom-5", name: "n", types: "url", template: "https://x.example/{value}" },
    ],
    extra: "dropped",
  });
  assert.deepEqual(hostile, { disabled: ["shodan", "custom-1"], custom: [{ id: "custom-9", name: "ok", types: ["url"], template: "https://ok.example/{value}" }] });
  assert.deepEqual(sanitizePivotSettings("nonsense"), { disabled: [], custom: [] });
  const many = { custom: Array.from({ length: 80 }, (_, i) => ({ id: `custom-${i}`, name: `n${i}`, types: ["url"], template: "https://x.example/{value}" })) };
  assert.equal(sanitizePivotSettings(many).custom.length, 50);
});

test("a data file with bad entries: those entries are dropped, not trusted", () => {
  const parsed = parseBuiltinPivots({ services: [
    { id: "good", name: "Good", templates: { ipv4: "https://good.example/{value}", bogus: "https://good.example/{value}" } },
    { id: "bad", name: "Bad", templates: { ipv4: "http://bad.example/{value}" } },
    { id: "Bad Id", name: "x", templates: { ipv4: "https://x.example/{value}" } },
    { id: "good", name: "Dup", templates: { ipv4: "https://dup.example/{value}" } },
    { id: "proto", name: "P", templates: Object.assign(Object.create({ ipv4: "https://inherited.example/{value}" }), {}) },
  ] });
  assert.deepEqual(parsed, [{ id: "good", name: "Good", templates: { ipv4: "https://good.example/{value}" } }]);
  assert.deepEqual(parseBuiltinPivots(null), []);
});

test("settings live in storage.local and round-trip sanitized", async () => {
  const store = {};
  const area = { get: async (k) => ({ [k]: store[k] }), set: async (o) => Object.assign(store, o) };
  assert.deepEqual(await loadPivotSettings(area), { disabled: [], custom: [] });
  const saved = await savePivotSettings(area, { disabled: ["censys"], custom: [], secret: "nope" });
  assert.deepEqual(store[PIVOTS_KEY], { disabled: ["censys"], custom: [] });
  assert.deepEqual(await loadPivotSettings(area), saved);
  const broken = { get: async () => { throw new Error("storage gone"); } };
  assert.deepEqual(await loadPivotSettings(broken), { disabled: [], custom: [] });
});

test("loadBuiltinPivots reads the data file and never throws", async () => {
  const ok = await loadBuiltinPivots(async () => ({ json: async () => DATA }));
  assert.equal(ok.length, BUILTINS.length);
  assert.deepEqual(await loadBuiltinPivots(async () => { throw new Error("offline"); }), []);
  assert.deepEqual(await loadBuiltinPivots(async () => ({ json: async () => { throw new SyntaxError("bad"); } })), []);
});
