import assert from "node:assert/strict";
import { test } from "node:test";
import { HOST_NAME, HostClient, classifyDisconnect, splitByBytes } from "../../extension/lib/host.js";
import { FakePort } from "./_fakes.mjs";

function client(opts = {}) {
  const ports = [];
  let lastError;
  const c = new HostClient({
    connectNative: (name) => {
      assert.equal(name, HOST_NAME);
      const p = new FakePort(name);
      ports.push(p);
      return p;
    },
    lastError: () => lastError?.message,
    idPrefix: "t",
    ...opts,
  });
  return { c, ports, setLastError: (m) => { lastError = m === undefined ? undefined : { message: m }; } };
}

test("replies are matched to requests by id, whatever their order", async () => {
  const { c, ports } = client();
  const a = c.call("config.get");
  const b = c.call("ping");
  const [reqA, reqB] = ports[0].sent;
  assert.notEqual(reqA.id, reqB.id);
  assert.equal(ports.length, 1, "one port for all requests");
  ports[0].deliver({ id: reqB.id, type: "pong", version: "1.2.3",
    limits: { max_text_bytes: 100, max_frame_bytes: 200, max_reply_bytes: 300 } });
  ports[0].deliver({ id: "unrelated", type: "pong", version: "x" });
  ports[0].deliver({ id: reqA.id, type: "config", settings: {}, api_key: { set: false, masked: null, source: null } });
  assert.equal((await b).version, "1.2.3");
  assert.equal((await a).type, "config");
  assert.equal(c.limits.max_text_bytes, 100);
  assert.equal(c.pending.size, 0);
});

test("a multi-part extracted reply is concatenated in part order, even out of order", async () => {
  const { c, ports } = client();
  const p = c.call("extract", { text: "x" });
  const req = ports[0].sent[0];
  assert.equal(req.type, "extract");
  assert.equal(req.text, "x");
  const mk = (v) => ({ type: "domain", value: v, raw: v, offset: 0, private: false });
  ports[0].deliver({ id: req.id, type: "extracted", part: 2, parts: 3, iocs: [mk("b.com")] });
  ports[0].deliver({ id: req.id, type: "extracted", part: 1, parts: 3, iocs: [mk("a.com")] });
  let settled = false;
  p.then(() => { settled = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "must wait for every part");
  ports[0].deliver({ id: req.id, type: "extracted", part: 3, parts: 3, iocs: [mk("c.com"), mk("d.com")] });
  const reply = await p;
  assert.deepEqual(reply.iocs.map((i) => i.value), ["a.com", "b.com", "c.com", "d.com"]);
});

test("a single-part extracted reply resolves at once", async () => {
  const { c, ports } = client();
  const p = c.call("extract", { text: "x" });
  const id = ports[0].sent[0].id;
  ports[0].deliver({ id, type: "extracted", part: 1, parts: 1, iocs: [] });
  assert.deepEqual((await p).iocs, []);
});

test("an enrich stream delivers results and progress with its id only, and ends on summary", async () => {
  const { c, ports } = client();
  const events = [];
  const { id, done } = c.stream("enrich", { iocs: [{ type: "domain", value: "a.com" }] }, (m) => events.push(m));
  const other = c.call("ping");
  const pingId = ports[0].sent[1].id;
  ports[0].deliver({ id, type: "progress", done: 0, total: 1, queued: 1, waiting_for_quota: false,
    quota_state: "ok", next_slot_at: null });
  ports[0].deliver({ id: pingId, type: "pong", version: "1" });
  ports[0].deliver({ id, type: "result", ioc: { type: "domain", value: "a.com", raw: "a.com", offset: 0, private: false },
    status: "ok", cached: true });
  ports[0].deliver({ id, type: "summary", total: 1, counts: {}, cancelled: false });
  ports[0].deliver({ id, type: "result", ioc: {}, status: "ok", cached: false }); // late: ignored
  const summary = await done;
  await other;
  assert.equal(summary.type, "summary");
  assert.deepEqual(events.map((e) => e.type), ["progress", "result", "summary"]);
  assert.equal(c.pending.size, 0);
});

test("an error reply rejects the request with the host's code", async () => {
  const { c, ports } = client();
  const p = c.call("extract", { text: "huge" });
  const id = ports[0].sent[0].id;
  ports[0].deliver({ id, type: "error", code: "text_too_large", message: "too big" });
  await assert.rejects(p, (e) => e.kind === "reply" && e.reply.code === "text_too_large");
  const s = c.stream("enrich", { text: "x" }, () => {});
  ports[0].deliver({ id: s.id, type: "error", code: "no_api_key", message: "no key" });
  await assert.rejects(s.done, (e) => e.kind === "reply" && e.reply.code === "no_api_key");
});

test("Chrome 'host not found' rejects everything pending as host_missing, then reconnects on demand", async () => {
  const { c, ports, setLastError } = client();
  const a = c.call("ping");
  const s = c.stream("enrich", { text: "x" }, () => {});
  setLastError("Specified native messaging host not found.");
  ports[0].hostDisconnect();
  setLastError(undefined);
  await assert.rejects(a, (e) => e.kind === "host_missing");
  await assert.rejects(s.done, (e) => e.kind === "host_missing");
  assert.equal(c.connected, false);
  const b = c.call("ping");
  assert.equal(ports.length, 2, "a new port after the old one died");
  ports[1].deliver({ id: ports[1].sent[0].id, type: "pong", version: "2" });
  assert.equal((await b).version, "2");
});

test("Firefox port.error 'No such native application' is host_missing", async () => {
  const { c, ports } = client();
  const a = c.call("ping");
  ports[0].hostDisconnect("No such native application com.sentinelx.host");
  await assert.rejects(a, (e) => e.kind === "host_missing");
});

test("a port that closes right away without a word is host_missing; after replies it is a crash", async () => {
  let t = 1000;
  const { c, ports } = client({ now: () => t });
  const a = c.call("ping");
  t += 50;
  ports[0].hostDisconnect();
  await assert.rejects(a, (e) => e.kind === "host_missing");

  const b = c.call("ping");
  ports[1].deliver({ id: ports[1].sent[0].id, type: "pong", version: "1" });
  await b;
  const d = c.call("config.get");
  t += 10;
  ports[1].hostDisconnect("Native host has exited.");
  await assert.rejects(d, (e) => e.kind === "host_crashed");
});

test("an orphan origin_forbidden error before the disconnect is host_forbidden", async () => {
  const { c, ports } = client();
  const a = c.call("ping");
  ports[0].deliver({ id: null, type: "error", code: "origin_forbidden", message: "no" });
  ports[0].hostDisconnect("Native host has exited.");
  await assert.rejects(a, (e) => e.kind === "host_forbidden");
});

test("classifyDisconnect maps the browsers' messages", () => {
  const ctx = { receivedAny: true, elapsedMs: 99999, quickFailMs: 2000, orphanCode: null };
  assert.equal(classifyDisconnect("Specified native messaging host not found.", ctx), "host_missing");
  assert.equal(classifyDisconnect("Failed to start native messaging host.", ctx), "host_missing");
  assert.equal(classifyDisconnect("Access to the specified native messaging host is forbidden.", ctx), "host_forbidden");
  assert.equal(classifyDisconnect("Native host has exited.", ctx), "host_crashed");
  assert.equal(classifyDisconnect("Native host has exited.", { ...ctx, receivedAny: false, elapsedMs: 10 }), "host_missing");
});

test("a request without a reply times out", async () => {
  const { c } = client({ callTimeoutMs: 20 });
  await assert.rejects(c.call("config.get"), (e) => e.kind === "timeout");
  assert.equal(c.pending.size, 0);
});

test("getLimits pings once per connection", async () => {
  const { c, ports } = client();
  const l1 = c.getLimits();
  ports[0].deliver({ id: ports[0].sent[0].id, type: "pong", version: "1",
    limits: { max_text_bytes: 5, max_frame_bytes: 6, max_reply_bytes: 7 } });
  assert.equal((await l1).max_text_bytes, 5);
  assert.equal((await c.getLimits()).max_text_bytes, 5);
  assert.equal(ports[0].sent.length, 1, "no second ping on the same port");
});

test("the pong is kept per connection (hello) and across reconnects (lastPong, for cli_path)", async () => {
  const { c, ports } = client();
  const h = c.hello();
  ports[0].deliver({ id: ports[0].sent[0].id, type: "pong", version: "1", protocol: 2, capabilities: { cli_path: "/x/sentinelx" } });
  assert.equal((await h).protocol, 2);
  await c.hello();
  assert.equal(ports[0].sent.length, 1);
  ports[0].hostDisconnect("Native host has exited.");
  assert.equal(c.pong, null);
  assert.equal(c.lastPong.capabilities.cli_path, "/x/sentinelx");
});

test("a preview reply in parts is concatenated like extracted", async () => {
  const { c, ports } = client();
  const p = c.call("preview", { iocs: [] });
  const id = ports[0].sent[0].id;
  const estimate = { lookups: 2, seconds: 5, providers: {} };
  ports[0].deliver({ id, type: "previewed", part: 2, parts: 2, iocs: [{ n: 2 }], estimate });
  ports[0].deliver({ id, type: "previewed", part: 1, parts: 2, iocs: [{ n: 1 }], estimate });
  const r = await p;
  assert.deepEqual(r.iocs, [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(r.estimate, estimate);
});

test("enrich: a short list is one frame without part fields; a long one is split, in order, under the budget", () => {
  const { c, ports } = client({ partBytes: 1000 });
  c.stream("enrich", { iocs: [{ type: "ipv4", value: "1.2.3.4" }], include_private: false }, () => {});
  assert.equal(ports[0].sent[0].part, undefined);
  const iocs = Array.from({ length: 300 }, (_, i) => ({ type: "domain", value: `d${i}.\u00e9xample.com` }));
  const { id } = c.stream("enrich", { iocs, include_private: true }, () => {});
  const frames = ports[0].sent.filter((m) => m.id === id);
  assert.ok(frames.length > 5);
  assert.deepEqual(frames.flatMap((f) => f.iocs), iocs);
  for (const [i, f] of frames.entries()) {
    assert.equal(f.part, i + 1);
    assert.equal(f.parts, frames.length);
    assert.equal(f.include_private, true);
    assert.ok(new TextEncoder().encode(JSON.stringify(f.iocs)).length <= 1000 + 2);
  }
});

test("splitByBytes keeps every item, in order, and never returns an empty list of chunks", () => {
  assert.deepEqual(splitByBytes([], 10), [[]]);
  const big = [{ v: "x".repeat(50) }, { v: "y" }];
  assert.deepEqual(splitByBytes(big, 10), [[big[0]], [big[1]]], "an item over the budget goes alone");
});
