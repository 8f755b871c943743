import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanLines, genericRender, loadRenderer, providerLines, rendererPath, resetRenderers } from "../../extension/lib/ui/provider-lines.js";

test("a renderer is loaded by name only when the name is a plain identifier", async () => {
  assert.equal(rendererPath("virustotal"), "../providers/virustotal.js");
  for (const bad of ["../secret", "VirusTotal", "a/b", "", "x.js", "a-b", null, 42, "urlhaus?x"]) {
    assert.equal(rendererPath(bad), null, String(bad));
  }
  resetRenderers();
  const asked = [];
  const fn = await loadRenderer("../evil", async (p) => { asked.push(p); return { render: () => [] }; });
  assert.equal(fn, null);
  assert.deepEqual(asked, [], "nothing is imported for a bad name");
});

test("a missing module or one without render() falls back to the generic renderer", async () => {
  resetRenderers();
  assert.equal(await loadRenderer("nosuch", async () => { throw new Error("404"); }), null);
  assert.equal(await loadRenderer("norender", async () => ({ other: 1 })), null);
  assert.deepEqual(providerLines("nosuch", { ports: [22, 80], country: "NL", nested: { a: 1 } }, {}),
    [{ label: "Ports", value: "22, 80" }, { label: "Country", value: "NL" }]);
});

test("a loaded renderer is used once, and a throwing one costs its own lines only", async () => {
  resetRenderers();
  let imports = 0;
  const importer = async () => { imports += 1; return { render: (f) => [{ label: "Status", value: f.url_status, tone: "bad" }] }; };
  await Promise.all([loadRenderer("urlhaus", importer), loadRenderer("urlhaus", importer)]);
  await loadRenderer("urlhaus", importer);
  assert.equal(imports, 1);
  assert.deepEqual(providerLines("urlhaus", { url_status: "online" }, {}), [{ label: "Status", value: "online", tone: "bad" }]);
  await loadRenderer("broken", async () => ({ render: () => { throw new Error("bug"); } }));
  assert.deepEqual(providerLines("broken", { a: "b" }, {}), [{ label: "A", value: "b" }]);
  resetRenderers();
});

test("lines are bounded plain strings with a known tone", () => {
  const long = "x".repeat(500);
  const out = cleanLines([{ label: "a", value: long, tone: "good" }, { label: "b", value: { o: 1 } }, null, "str",
    { label: "c", value: 3, tone: "<b>" }, ...Array.from({ length: 30 }, (_, i) => ({ label: `n${i}`, value: i }))]);
  assert.equal(out[0].value.length, 200);
  assert.equal(out[0].tone, "good");
  assert.deepEqual(out[1], { label: "c", value: "3" });
  assert.equal(out.length, 12);
  assert.deepEqual(genericRender(null), []);
  assert.deepEqual(genericRender({ flag: true, list: Array.from({ length: 10 }, (_, i) => i) }),
    [{ label: "Flag", value: "yes" }, { label: "List", value: "0, 1, 2, 3, 4, 5, 6, 7 (+2)" }]);
});
