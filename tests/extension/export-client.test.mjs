import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHTML } from "linkedom";
import {
  FORMATS, copyExport, defangsByDefault, downloadExport, exportRequest, exportRun, hostRequest,
  pushToMisp,
} from "../../extension/lib/export-client.js";

test("exportRequest builds the host request and refuses what the host would", () => {
  assert.deepEqual(exportRequest({ format: "csv", runId: 12, verdicts: ["malicious", "malicious"] }),
    { type: "export", format: "csv", run_id: 12, verdicts: ["malicious"] });
  assert.deepEqual(exportRequest({ format: "text", ids: [3, -1, 2.5, 7], defang: false, title: "  T " }),
    { type: "export", format: "text", defang: false, filter: { ids: [3, 7] }, title: "T" });
  assert.deepEqual(exportRequest({ format: "json", filter: { search: "x" }, runId: 0 }),
    { type: "export", format: "json", filter: { search: "x" } });
  assert.throws(() => exportRequest({ format: "xlsx" }), /unknown export format/);
  assert.throws(() => exportRequest({ format: "csv", verdicts: ["evil"] }), /unknown verdict/);
  assert.deepEqual(FORMATS.map((f) => f.id), ["csv", "json", "stix", "misp", "markdown", "text"]);
  assert.equal(defangsByDefault("text"), true);
  assert.equal(defangsByDefault("stix"), false);
});

test("exportRun returns the content and keeps only a plain file name", async () => {
  const sent = [];
  const send = async (req) => {
    sent.push(req);
    return { type: "exported", format: "csv", content: ["a,", "b\r\n"], filename: "../../evil.sh", mime: "text/csv", count: 1 };
  };
  const out = await exportRun({ format: "markdown", runId: 4 }, send);
  assert.deepEqual(sent, [{ type: "export", format: "markdown", run_id: 4 }]);
  assert.equal(out.content, "a,b\r\n");
  assert.equal(out.filename, "sentinelx-export.md");
  const ok = await exportRun({ format: "csv" }, async () => ({ type: "exported", content: ["x"],
    filename: "sentinelx-1.csv", mime: "text/csv", count: 1 }));
  assert.equal(ok.filename, "sentinelx-1.csv");
  await assert.rejects(exportRun({ format: "csv" }, async () => ({ type: "exported", content: "x" })),
    (e) => e.kind === "host_error");
  await assert.rejects(exportRun({ format: "csv" }, async () => ({ type: "pong" })),
    (e) => e.kind === "host_error" && /did not send/.test(e.message));
});

test("hostRequest goes through the background and surfaces its errors", async () => {
  const runtime = { sendMessage: async (m) => (m.request.type === "history.clear"
    ? { ok: false, error: { kind: "reply", message: "nope" } } : { ok: true, reply: { echo: m } }) };
  const r = await hostRequest({ type: "history.query" }, runtime);
  assert.deepEqual(r.echo, { cmd: "host", request: { type: "history.query" } });
  await assert.rejects(hostRequest({ type: "history.clear" }, runtime), (e) => e.message === "nope");
  await assert.rejects(hostRequest({ type: "x" }, { sendMessage: async () => undefined }),
    (e) => e.kind === "host_error");
});

test("downloadExport clicks a temporary download link with a blob URL", () => {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const made = [];
  const revoked = [];
  const urls = { createObjectURL: (b) => { made.push(b); return "blob:x"; },
    revokeObjectURL: (u) => revoked.push(u) };
  let clicked = null;
  const orig = document.createElement.bind(document);
  document.createElement = (tag) => {
    const n = orig(tag);
    if (tag === "a") n.click = () => { clicked = { href: n.href, download: n.download }; };
    return n;
  };
  downloadExport({ content: "x\n", filename: "f.csv", mime: "text/csv" }, document, urls);
  assert.deepEqual(clicked, { href: "blob:x", download: "f.csv" });
  assert.equal(made[0].type, "text/csv;charset=utf-8");
  assert.equal(document.querySelectorAll("a").length, 0, "the link is removed");
});

test("copyExport writes the text; no clipboard is a clear error", async () => {
  let got = null;
  assert.equal(await copyExport({ content: "abc" }, { writeText: async (t) => { got = t; } }), 3);
  assert.equal(got, "abc");
  await assert.rejects(copyExport({ content: "x" }, undefined), /clipboard/);
});

test("pushToMisp sends export.push_misp without a format", async () => {
  const sent = [];
  await pushToMisp({ runId: 3, verdicts: ["malicious"] }, async (r) => { sent.push(r); return {}; });
  assert.deepEqual(sent, [{ type: "export.push_misp", run_id: 3, verdicts: ["malicious"] }]);
});
