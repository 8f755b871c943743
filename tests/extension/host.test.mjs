import assert from "node:assert/strict";
import { test } from "node:test";
import { HOST_NAME, HostClient, classifyDisconnect, splitByBytes } from "../../extension/lib/host.js";
import { PartsAssembler } from "../../extension/lib/parts.js";
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
  ports[0].deliver({ id: ports[0].sent[0].id, type: "pong", version: "1", protocol: 3, capabilities: { cli_path: "/x/sentinelx" } });
  assert.equal((await h).protocol, 3);
  await c.hello();
  assert.equal(ports[0].sent.length, 1);
  ports[0].hostDisconnect("Native host has exited.");
  assert.equal(c.pong, null);
  assert.equal(c.lastPong.capabilities.cli_path, "/x/sentinelx");
});

const PLANS = [[{ provider: "virustotal", action: "send", sends: "the domain" }], []];
const ESTIMATE = { lookups: 2, seconds: 5, providers: { virustotal: { lookups: 2, seconds: 5, remaining_today: 3, paused_until: null } } };
const ref = (v, plan = 0) => ({ type: "domain", value: v, plan });

test("a standalone preview's compact reply in parts: each part's plans are its own, renumbered into one list", async () => {
  const { c, ports } = client();
  const p = c.call("preview", { iocs: [] });
  const id = ports[0].sent[0].id;
  const later = [[{ provider: "urlhaus", action: "cached" }]];
  ports[0].deliver({ id, type: "previewed", part: 2, parts: 2, plans: later, iocs: [ref("b.com"), ref("c.com", 1)], estimate: ESTIMATE });
  ports[0].deliver({ id, type: "previewed", part: 1, parts: 2, plans: PLANS, iocs: [ref("a.com", 1)], estimate: ESTIMATE });
  const r = await p;
  assert.deepEqual(r.plans, [...PLANS, ...later]);
  assert.deepEqual(r.iocs, [ref("a.com", 1), ref("b.com", 2), ref("c.com", -1)],
    "b.com names part 2's plan 0; c.com's index is outside part 2's own plans, so it names none");
  assert.deepEqual(r.estimate, ESTIMATE);
});

test("extract with preview: the extracted parts resolve first, then the previewed parts, one id", async () => {
  const { c, ports } = client();
  const { id, replies: [extracted, previewed] } = c.replies("extract", { text: "x", preview: { include_private: false } },
    ["extracted", "previewed"]);
  const req = ports[0].sent[0];
  assert.deepEqual(req, { id, type: "extract", text: "x", preview: { include_private: false } });
  const mk = (v) => ({ type: "domain", value: v, raw: v, offset: 0, private: false });
  const order = [];
  extracted.then(() => order.push("extracted"));
  previewed.then(() => order.push("previewed"));
  ports[0].deliver({ id, type: "extracted", part: 2, parts: 2, iocs: [mk("b.com")] });
  ports[0].deliver({ id, type: "previewed", part: 1, parts: 2, plans: PLANS, iocs: [ref("a.com")], estimate: ESTIMATE });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], "nothing whole yet (a previewed part before the extracted ones is not taken)");
  ports[0].deliver({ id, type: "extracted", part: 1, parts: 2, iocs: [mk("a.com")] });
  assert.deepEqual((await extracted).iocs.map((i) => i.value), ["a.com", "b.com"]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ["extracted"]);
  assert.equal(c.pending.size, 1, "still waiting for the preview");
  ports[0].deliver({ id, type: "previewed", part: 2, parts: 2, plans: PLANS, iocs: [ref("b.com", 1)], estimate: ESTIMATE });
  ports[0].deliver({ id, type: "previewed", part: 1, parts: 2, plans: PLANS, iocs: [ref("a.com")], estimate: ESTIMATE });
  const pv = await previewed;
  assert.deepEqual(order, ["extracted", "previewed"]);
  assert.deepEqual(pv.iocs, [ref("a.com"), ref("b.com", 3)]);
  assert.deepEqual(pv.plans, [...PLANS, ...PLANS]);
  assert.deepEqual(pv.estimate, ESTIMATE);
  assert.equal(c.pending.size, 0);
  ports[0].deliver({ id, type: "previewed", part: 1, parts: 1, plans: [], iocs: [], estimate: {} }); // late: ignored
});

test("an error reply after extracted rejects the preview only; a disconnect rejects what is left", async () => {
  const { c, ports } = client();
  const a = c.replies("extract", { text: "x" }, ["extracted", "previewed"]);
  ports[0].deliver({ id: a.id, type: "extracted", part: 1, parts: 1, iocs: [] });
  ports[0].deliver({ id: a.id, type: "error", code: "internal_error", message: "preview failed" });
  assert.deepEqual((await a.replies[0]).iocs, []);
  await assert.rejects(a.replies[1], (e) => e.kind === "reply" && e.reply.code === "internal_error");
  assert.equal(c.pending.size, 0);

  const b = c.replies("extract", { text: "x" }, ["extracted", "previewed"]);
  ports[0].hostDisconnect("Native host has exited.");
  await assert.rejects(b.replies[0], (e) => e.kind === "host_crashed");
  await assert.rejects(b.replies[1], (e) => e.kind === "host_crashed");
});

test("the sequence has the extract timeout; abandon() drops later frames and the pending entry", async () => {
  const timers = [];
  const fakeTimers = { setTimeout: (fn, ms) => timers.push({ fn, ms }) - 1, clearTimeout: (n) => { timers[n].fn = null; } };
  const { c, ports } = client({ timers: fakeTimers, extractTimeoutMs: 777, callTimeoutMs: 11 });
  const a = c.replies("extract", { text: "x" }, ["extracted", "previewed"]);
  assert.equal(timers[0].ms, 777);
  ports[0].deliver({ id: a.id, type: "extracted", part: 1, parts: 1, iocs: [] });
  await a.replies[0];
  timers[0].fn();
  await assert.rejects(a.replies[1], (e) => e.kind === "timeout");

  const b = c.replies("extract", { text: "y" }, ["extracted", "previewed"]);
  ports[0].deliver({ id: b.id, type: "extracted", part: 1, parts: 1, iocs: [] });
  await b.replies[0];
  b.abandon();
  assert.equal(c.pending.size, 0);
  assert.equal(timers[1].fn, null, "its timer is cleared");
  ports[0].deliver({ id: b.id, type: "previewed", part: 1, parts: 1, plans: [], iocs: [], estimate: {} });
  await assert.rejects(b.replies[1], (e) => e.kind === "abandoned");
  b.abandon(); // twice is harmless
});

test("parts of a reply: a part out of range, repeated, of another count or not an integer is not taken", async () => {
  const frames = [
    { part: 2, parts: 3, iocs: ["b"] },
    { part: 2, parts: 3, iocs: ["B again"] },
    { part: 4, parts: 3, iocs: ["four"] },
    { part: 0, parts: 3, iocs: ["zero"] },
    { part: "1", parts: 3, iocs: ["string"] },
    { part: 1.5, parts: 3, iocs: ["half"] },
    { part: 1, parts: 2, iocs: ["other count"] },
    { part: 1, parts: 1, iocs: ["single"] },
    { part: 3, parts: 3, iocs: "not a list" },
  ];
  const asm = new PartsAssembler("extracted");
  for (const f of frames) assert.equal(asm.add({ type: "extracted", ...f }), null, JSON.stringify(f));
  const whole = asm.add({ type: "extracted", part: 1, parts: 3, iocs: ["a"], note: "from part 1" });
  assert.deepEqual(whole.iocs, ["a", "b"], "a part that is not a list adds nothing");
  assert.equal(whole.note, "from part 1");
  assert.deepEqual([whole.part, whole.parts], [3, 3]);
});

test("parts of a reply in any order, with junk frames between, give every item once in part order", () => {
  let seed = 11;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let round = 0; round < 300; round += 1) {
    const parts = 1 + rnd(6);
    // A previewed part: its own plans, and IOCs naming them (or, hostile, an index out of its range).
    const mk = (i) => {
      const plans = Array.from({ length: rnd(3) }, (_, k) => [{ provider: `p${i}_${k}`, action: "send" }]);
      const iocs = Array.from({ length: rnd(4) }, (_, j) => ({ type: "domain", value: `${i}.${j}`,
        plan: rnd(5) === 0 ? plans.length + rnd(3) : rnd(Math.max(plans.length, 1)) }));
      return { type: "previewed", part: i + 1, parts, plans, iocs, estimate: { seconds: i } };
    };
    const ordered = Array.from({ length: parts }, (_, i) => mk(i));
    const frames = [...ordered];
    for (let i = frames.length - 1; i > 0; i -= 1) {
      const j = rnd(i + 1);
      [frames[i], frames[j]] = [frames[j], frames[i]];
    }
    const asm = new PartsAssembler("previewed");
    let whole = null;
    frames.forEach((f, n) => {
      // Junk around the real frames; a repeat of the first frame must not count twice.
      if (n > 0 && parts > 1) assert.equal(asm.add({ ...frames[0], iocs: [{ value: "dup" }] }), null);
      if (parts > 1) assert.equal(asm.add({ ...f, part: parts + 1 + rnd(3) }), null);
      const out = asm.add(f);
      if (n < frames.length - 1) assert.equal(out, null, `round ${round}`);
      else whole = out;
    });
    // Every IOC once, in part order, naming the same plan it named in its own part (or none).
    const want = ordered.flatMap((f) => f.iocs.map((i) => ({ value: i.value,
      plan: i.plan < f.plans.length ? f.plans[i.plan] : undefined })));
    const got = whole.iocs.map((i) => ({ value: i.value, plan: i.plan >= 0 ? whole.plans[i.plan] : undefined }));
    assert.deepEqual(got, want, `round ${round}`);
    assert.deepEqual(whole.plans, ordered.flatMap((f) => f.plans));
    assert.deepEqual(whole.estimate, { seconds: 0 }, "estimate of part 1");
  }
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
