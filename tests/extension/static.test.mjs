// Checks over the extension's files: no HTML sinks, a sound manifest, no inline script.
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const EXT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "extension");

function files(dir = EXT) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

test("no innerHTML/outerHTML/insertAdjacentHTML/document.write/eval/new Function anywhere in extension/", () => {
  const banned = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\s*\(|new\s+Function|setTimeout\(\s*["'`]|createContextualFragment|DOMParser)\b/;
  const hits = [];
  for (const f of files().filter((p) => /\.(js|mjs|html)$/.test(p))) {
    readFileSync(f, "utf8").split("\n").forEach((line, i) => {
      if (banned.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(hits, []);
});

test("HTML pages load only local module scripts: no inline script, no handlers, no remote code", () => {
  for (const f of files().filter((p) => p.endsWith(".html"))) {
    const html = readFileSync(f, "utf8");
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.equal(m[2].trim(), "", `${f}: inline script`);
      const src = /src="([^"]+)"/.exec(m[1])?.[1];
      assert.ok(src && !/^[a-z]+:|^\/\//i.test(src), `${f}: script src ${src}`);
      assert.ok(existsSync(join(EXT, src)), `${f}: ${src} missing`);
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${f}: inline event handler`);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, `${f}: remote resource`);
  }
});

test("manifest: MV3, both backgrounds as modules, key and gecko id kept, minimal permissions, CSP", () => {
  const m = JSON.parse(readFileSync(join(EXT, "manifest.json"), "utf8"));
  assert.equal(m.manifest_version, 3);
  assert.equal(m.background.service_worker, "background.js");
  assert.deepEqual(m.background.scripts, ["background.js"]);
  assert.equal(m.background.type, "module");
  assert.ok(m.key.startsWith("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlau7TABV9394RSt"));
  assert.equal(m.browser_specific_settings.gecko.id, "sentinelx@sentinelx.dev");
  // Mozilla's add-on site requires it: page text (website content) goes to the helper, and
  // indicators from it to the sources the user enabled.
  assert.deepEqual(m.browser_specific_settings.gecko.data_collection_permissions, { required: ["websiteContent"] });
  assert.deepEqual([...m.permissions].sort(),
    ["activeTab", "contextMenus", "nativeMessaging", "notifications", "scripting", "storage"]);
  assert.equal(m.host_permissions, undefined, "no host permissions: activeTab is enough");
  assert.equal(m.optional_permissions, undefined);
  assert.equal(m.content_security_policy.extension_pages, "script-src 'self'; object-src 'none'; base-uri 'none'");
  assert.equal(m.action.default_popup, "popup.html");
  assert.equal(m.options_ui.page, "options.html");
  assert.ok(m.commands["enrich-selection"].suggested_key.default);
  for (const p of [m.background.service_worker, m.action.default_popup, m.options_ui.page,
    ...Object.values(m.icons), ...Object.values(m.action.default_icon)]) {
    assert.ok(existsSync(join(EXT, p)), `${p} is missing`);
  }
});

test("the Chrome id derived from the key is the pinned one", async () => {
  const { createHash } = await import("node:crypto");
  const m = JSON.parse(readFileSync(join(EXT, "manifest.json"), "utf8"));
  const hex = createHash("sha256").update(Buffer.from(m.key, "base64")).digest("hex").slice(0, 32);
  const id = [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
  assert.equal(id, "kclaegbkmfnnnehbjbmcnomffnallgci");
});

test("every relative import in extension/ resolves to a file", () => {
  for (const f of files().filter((p) => p.endsWith(".js"))) {
    for (const m of readFileSync(f, "utf8").matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gm)) {
      assert.ok(m[1].startsWith("./") || m[1].startsWith("../"), `${f}: bare import ${m[1]}`);
      assert.ok(existsSync(join(dirname(f), m[1])), `${f}: ${m[1]} missing`);
    }
  }
});

test("nothing in extension/ writes an API key into extension storage", () => {
  for (const f of files().filter((p) => p.endsWith(".js"))) {
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/storage\.(local|sync|session)\.set\(([^)]*)\)/g)) {
      assert.doesNotMatch(m[2], /\bkey\b|api_?key|apikey/i, `${f}: ${m[0]}`);
    }
  }
});
