// The popup's long list: a virtual list (only the rows in view are in the DOM) over an ordered
// model kept incrementally (a streamed result moves only its own IOC). The model is checked
// against the from-scratch ordering on random streams; the DOM against an injected viewport
// (linkedom has no layout).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHTML } from "linkedom";
import { countBadges } from "../../extension/lib/badges.js";
import { readCapabilities } from "../../extension/lib/capabilities.js";
import { newSession } from "../../extension/lib/state.js";
import { PopupApp } from "../../extension/lib/ui/app.js";
import { installKeyboard } from "../../extension/lib/ui/keyboard.js";
import { BATCH, ListModel } from "../../extension/lib/ui/list-model.js";
import { BadgeCache, viewRows } from "../../extension/lib/ui/view.js";
import { GROUP_H, Geometry, OVERSCAN, ROW_H } from "../../extension/lib/ui/virtual-list.js";
import { IOC_TYPES, combine, ioc, pongMsg, providerResult } from "./_contract.mjs";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const CAPS = readCapabilities(pongMsg("x"));
const VIEW_H = 600;

/** A fake ResizeObserver: the test says how tall an observed row became. */
class FakeRO {
  static all = [];
  constructor(cb) {
    this.cb = cb;
    this.seen = new Set();
    FakeRO.all.push(this);
  }
  observe(t) { this.seen.add(t); }
  unobserve(t) { this.seen.delete(t); }
  resize(target, px) { this.cb([{ target, borderBoxSize: [{ blockSize: px }] }]); }
}

function makeApp({ ro = false } = {}) {
  const { document } = parseHTML('<!doctype html><html><body><main id="app"></main></body></html>');
  let active = null;
  Object.defineProperty(document, "activeElement", { get: () => active, configurable: true });
  document.defaultView.HTMLElement.prototype.focus = function focus() { active = this; };
  if (ro) document.defaultView.ResizeObserver = FakeRO;
  const vp = { top: 0, height: VIEW_H };
  const log = [];
  const app = new PopupApp(document, document.getElementById("app"), {
    copy: (t) => log.push(["copy", t]), send: (m) => log.push(["send", m]), options() {}, history() {}, exportRun() {},
  }, { now: () => NOW, measure: () => ({ ...vp }) });
  return { app, document, root: document.getElementById("app"), vp, log };
}

const ok = (provider, verdict) => ({ provider, status: "ok", cached: false, result: providerResult(provider, verdict) });
const entry = (verdict, pending = 0) => {
  const outcomes = [ok("virustotal", verdict)];
  return { providers: { virustotal: outcomes[0] }, combined: combine(outcomes, pending) };
};

function bigState(n, { phase = "enriching" } = {}) {
  const s = newSession("big", { kind: "text" }, NOW);
  s.phase = phase;
  s.iocs = Array.from({ length: n }, (_, i) => (i % 3 === 2 ? ioc("ipv4", `10.${i >> 8 & 255}.${i & 255}.9`)
    : ioc("domain", `h${i}.example.com`)));
  s.send = s.iocs.map((i) => `${i.type}:${i.value}`);
  return s;
}

const show = (app, state) => app.onMessage({ type: "state", state, host: { version: "0.2.0", outdated: false, caps: CAPS } });
const rowEls = (root) => [...root.querySelectorAll("li.ioc")];
const keyOf = (li) => li.querySelector(".ioc-row").getAttribute("data-key");
const px = (li) => Number.parseFloat(li.style.top);

test("5,000 IOCs: only the rows in view and the overscan are in the DOM, placed at their row's top", () => {
  const { app, root } = makeApp();
  show(app, bigState(5000));
  const rows = rowEls(root);
  const inView = Math.ceil(VIEW_H / ROW_H);
  assert.ok(rows.length >= inView && rows.length <= inView + OVERSCAN + 2, `${rows.length} rows in the DOM`);
  assert.equal(app.list.style.height, `${5000 * ROW_H}px`, "the list is as tall as all its rows");
  rows.forEach((li, i) => {
    assert.equal(px(li), i * ROW_H);
    assert.equal(li.getAttribute("aria-posinset"), String(i + 1));
    assert.equal(li.getAttribute("aria-setsize"), "5000");
    assert.equal(li.querySelector(".ioc-row").getAttribute("role"), null, "a real button, no role override");
  });
});

test("scrolling draws the rows now in view, and keeps the nodes of the ones still in view", () => {
  const { app, root, vp } = makeApp();
  show(app, bigState(5000));
  vp.top = 2000 * ROW_H + 10;
  app.renderList();
  const at = rowEls(root).map((li) => Number(li.getAttribute("aria-posinset")) - 1);
  assert.ok(at.includes(2000) && at.includes(2000 + Math.floor(VIEW_H / ROW_H)), at.join(","));
  assert.ok(Math.min(...at) >= 2000 - OVERSCAN - 1 && Math.max(...at) <= 2000 + VIEW_H / ROW_H + OVERSCAN + 1);
  for (const li of rowEls(root)) assert.equal(px(li), (Number(li.getAttribute("aria-posinset")) - 1) * ROW_H);
  const before = new Map(rowEls(root).map((li) => [keyOf(li), li.firstChild]));
  vp.top += 3 * ROW_H;
  app.renderList();
  let kept = 0;
  for (const li of rowEls(root)) if (before.get(keyOf(li)) === li.firstChild) kept += 1;
  assert.ok(kept >= rowEls(root).length - 4, `${kept} rows kept their nodes`);
});

test("a streamed result out of view touches no row; one in view refills only its own row; counts follow", () => {
  const { app, root } = makeApp();
  const s = bigState(5000);
  show(app, s);
  const nodes = () => new Map(rowEls(root).map((li) => [keyOf(li), li.firstChild]));
  const before = nodes();
  const far = s.send[4000];
  app.onMessage({ type: "patch", sid: "big", fields: {}, results: { [far]: entry("clean") } });
  assert.deepEqual([...nodes()], [...before], "no row in view was rebuilt");
  assert.equal(root.querySelector('button[data-count="clean"]').textContent, "1 Clean");
  assert.equal(root.querySelector('button[data-count="queued"]').textContent, "4999 Looking up");
  // A malicious one goes to the top: the rows below move down one place but keep their nodes.
  const near = s.send[3];
  app.onMessage({ type: "patch", sid: "big", fields: {}, results: { [near]: entry("malicious") } });
  const rows = rowEls(root);
  assert.equal(keyOf(rows[0]), near);
  assert.equal(rows[0].getAttribute("data-badge"), "malicious");
  let rebuilt = 0;
  for (const li of rows.slice(1)) if (before.has(keyOf(li)) && before.get(keyOf(li)) !== li.firstChild) rebuilt += 1;
  assert.equal(rebuilt, 0, "the rows that moved down were not rebuilt");
  assert.equal(px(rows[1]), ROW_H);
  assert.equal(rows[1].querySelector(".ioc-row").getAttribute("tabindex"), "0", "the tab stop stays on its row");
});

test("keyboard: End draws and focuses the last row, Page Down moves a screen, Home comes back", () => {
  const { app, root, document, vp } = makeApp();
  installKeyboard(document, app);
  show(app, bigState(5000));
  const key = (k) => {
    const ev = new document.defaultView.Event("keydown", { bubbles: true, cancelable: true });
    Object.defineProperty(ev, "key", { value: k });
    document.activeElement.dispatchEvent(ev);
  };
  rowEls(root)[0].querySelector(".ioc-row").focus();
  key("End");
  const last = app.rows.at(-1).key;
  assert.equal(document.activeElement.getAttribute("data-key"), last);
  assert.equal(document.activeElement.getAttribute("tabindex"), "0");
  assert.ok(rowEls(root).length < 40, "the far row is drawn alone, not the rows between");
  vp.top = 4990 * ROW_H; // the browser scrolled it into view
  app.renderList();
  assert.equal(document.activeElement.getAttribute("data-key"), last, "the focus stays on its row");
  key("Home");
  vp.top = 0;
  key("PageDown");
  assert.equal(document.activeElement.getAttribute("data-key"), app.rows[app.pageRows()].key);
  assert.equal(app.pageRows(), Math.floor(VIEW_H / ROW_H) - 1);
  key("c");
  assert.ok(app.rows[app.pageRows()].ioc.value.length > 0);
});

test("the tab stop follows the view: scrolled away without focus, it moves to the first row in view", () => {
  const { app, root, vp } = makeApp();
  show(app, bigState(5000));
  vp.top = 1000 * ROW_H;
  app.renderList();
  const stops = rowEls(root).filter((li) => li.querySelector(".ioc-row").getAttribute("tabindex") === "0");
  assert.equal(stops.length, 1);
  assert.equal(stops[0].getAttribute("aria-posinset"), "1001");
});

test("an open row is measured (ResizeObserver) and the rows below it move down by its details", () => {
  FakeRO.all = [];
  const { app, root } = makeApp({ ro: true });
  show(app, bigState(5000));
  const second = rowEls(root)[1];
  second.querySelector(".ioc-row").dispatchEvent(new second.ownerDocument.defaultView.Event("click", { bubbles: true }));
  assert.equal(second.querySelector(".ioc-row").getAttribute("aria-expanded"), "true");
  assert.ok(second.querySelector(".ioc-details .details-body"), "the details panel is drawn");
  const ro = FakeRO.all[0];
  assert.ok(ro.seen.has(second), "the open row is observed");
  ro.resize(second, ROW_H + 120);
  const rows = rowEls(root);
  assert.equal(px(rows[1]), ROW_H);
  assert.equal(px(rows[2]), 2 * ROW_H + 120);
  assert.equal(app.list.style.height, `${5000 * ROW_H + 120}px`);
  second.querySelector(".ioc-row").dispatchEvent(new second.ownerDocument.defaultView.Event("click", { bubbles: true }));
  assert.equal(px(rowEls(root)[2]), 2 * ROW_H, "closed: back to its place");
  assert.ok(!ro.seen.has(second));
});

test("grouped by type: a head before each group's first row, at its place", () => {
  const { app, root, vp } = makeApp();
  show(app, bigState(300));
  app.setSort("type");
  const items = [...root.querySelectorAll("#ioc-list > li")];
  assert.equal(items[0].getAttribute("data-group"), "ipv4", "the host's type order");
  assert.match(items[0].textContent, /IPv4 addresses \(100\)/);
  assert.equal(px(items[1]), GROUP_H);
  vp.top = 95 * ROW_H;
  app.renderList();
  const head = root.querySelector('li.group-head[data-group="domain"]');
  assert.ok(head, "the second group's head is drawn when its first row is in view");
  assert.equal(px(head), 100 * ROW_H + GROUP_H);
  assert.equal(head.getAttribute("aria-posinset"), "102");
});

test("Geometry: tops with group heads and open rows; rowAt inverts top", () => {
  const g = new Geometry(100, [{ start: 0 }, { start: 40 }], [[10, 30], [50, 200]]);
  assert.equal(g.top(0), GROUP_H);
  assert.equal(g.top(11), 11 * ROW_H + GROUP_H + 30);
  assert.equal(g.top(40), 40 * ROW_H + 2 * GROUP_H + 30);
  assert.equal(g.headTop(1), 40 * ROW_H + GROUP_H + 30);
  assert.equal(g.total, 100 * ROW_H + 2 * GROUP_H + 230);
  for (let r = 0; r < 100; r += 1) {
    assert.equal(g.rowAt(g.top(r)), r);
    assert.equal(g.rowAt(g.top(r) + ROW_H - 1), r);
  }
  assert.equal(new Geometry(0).rowAt(100), 0);
});

// --- the model against the from-scratch order, on random streams ---------------------------------

function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const VERDICTS = ["malicious", "suspicious", "clean", "no_data"];

test("ListModel kept incrementally lists exactly what a from-scratch sort lists (random streams)", () => {
  for (let seed = 1; seed <= 30; seed += 1) {
    const r = rng(seed);
    const pick = (a) => a[Math.floor(r() * a.length)];
    const s = bigState(0);
    const opts = { sort: pick(["verdict", "type"]), filter: pick([null, null, "queued", "malicious"]),
      query: pick(["", "", "h1", "10."]), iocTypes: r() < 0.5 ? IOC_TYPES : [] };
    const cache = new BadgeCache();
    const model = new ListModel(cache);
    model.rebuild(s, opts);
    let n = 0;
    for (let step = 0; step < 25; step += 1) {
      const keys = [];
      const add = r() < 0.3 ? Math.floor(r() * (r() < 0.2 ? 300 : 20)) : 0;
      for (let i = 0; i < add; i += 1, n += 1) {
        const type = pick(["domain", "ipv4", "url", "sha256", "email"]);
        const value = type === "ipv4" ? `10.0.${n >> 8}.${n & 255}` : `${type}-h${n}.example`;
        s.iocs.push(ioc(type, value));
        s.send.push(`${type}:${value}`);
      }
      const changes = r() < 0.1 ? BATCH + 5 : Math.floor(r() * 6);
      for (let i = 0; i < changes && s.iocs.length; i += 1) {
        const k = pick(s.send);
        s.results[k] = entry(pick(VERDICTS), r() < 0.2 ? 1 : 0);
        keys.push(k);
      }
      if (r() < 0.1) s.phase = pick(["enriching", "done", "cancelled"]);
      model.update(s, keys);
      const want = viewRows(s, opts).rows.map((x) => x.key);
      assert.deepEqual(model.rows.map((x) => x.key), want, `seed ${seed} step ${step}`);
      const counts = Object.fromEntries(Object.entries(countBadges(s)).filter(([, v]) => v > 0));
      assert.deepEqual(cache.liveCounts(), counts, `counts, seed ${seed} step ${step}`);
      if (opts.sort === "type") {
        const groups = model.groups();
        assert.equal(groups.reduce((t, g) => t + g.count, 0), model.rows.length);
        for (const g of groups) assert.ok(model.rows.slice(g.start, g.start + g.count).every((x) => x.ioc.type === g.type));
      }
    }
  }
});

test("a streamed result updates the progress and the chip numbers in place (same nodes, new text)", () => {
  const { app, root } = makeApp();
  const s = bigState(50);
  show(app, s);
  app.onMessage({ type: "patch", sid: "big", fields: {}, results: { [s.send[0]]: entry("clean") } });
  const progress = root.querySelector("section.progress");
  const chip = root.querySelector('button[data-count="queued"]');
  const cancel = root.querySelector("#cancel");
  app.onMessage({ type: "patch", sid: "big", fields: { progress: { done: 2, total: 50 } },
    results: { [s.send[1]]: entry("clean") } });
  assert.equal(root.querySelector("section.progress"), progress, "the panel keeps its node");
  assert.equal(root.querySelector("#cancel"), cancel, "and Cancel (and so its focus)");
  assert.equal(progress.querySelector("progress").getAttribute("value"), "2");
  assert.match(progress.querySelector(".status-line").textContent, /2 of 50 looked up/);
  assert.equal(root.querySelector('button[data-count="queued"]'), chip);
  assert.equal(chip.textContent, "48 Looking up");
  assert.equal(root.querySelector('button[data-count="clean"]').textContent, "2 Clean");
  app.onMessage({ type: "patch", sid: "big", fields: { phase: "done" }, results: {} });
  assert.equal(root.querySelector("#cancel"), null, "a new shape is drawn anew");
});

test("random streams, scrolls, chips, searches, sorts and opened rows: the DOM always shows the model's rows in view, in order", () => {
  for (let seed = 1; seed <= 8; seed += 1) {
    const r = rng(seed * 7919);
    const pick = (a) => a[Math.floor(r() * a.length)];
    const { app, root, vp } = makeApp();
    const s = bigState(400 + Math.floor(r() * 800));
    show(app, s);
    for (let step = 0; step < 40; step += 1) {
      const what = r();
      if (what < 0.5) {
        const results = {};
        for (let i = 0; i < 1 + Math.floor(r() * (r() < 0.1 ? 120 : 6)); i += 1) results[pick(s.send)] = entry(pick(VERDICTS), r() < 0.3 ? 1 : 0);
        const iocs = r() < 0.2 ? [ioc("url", `http://new-${seed}-${step}.example/x`)] : undefined;
        if (iocs) s.send.push(`url:${iocs[0].value}`);
        app.onMessage({ type: "patch", sid: "big", fields: { phase: r() < 0.05 ? "done" : app.state.phase }, results, iocs });
      } else if (what < 0.65) {
        vp.top = Math.floor(r() * app.rows.length * ROW_H);
        app.renderList();
      } else if (what < 0.75) {
        const chip = pick([...root.querySelectorAll("button[data-count]")]);
        chip?.dispatchEvent(new chip.ownerDocument.defaultView.Event("click", { bubbles: true }));
      } else if (what < 0.82) {
        app.setQuery(pick(["", "", "10.", "h1", "new-"]));
      } else if (what < 0.9) {
        app.setSort(pick(["verdict", "type"]));
      } else {
        const row = pick(rowEls(root));
        row?.querySelector(".ioc-row").dispatchEvent(new row.ownerDocument.defaultView.Event("click", { bubbles: true }));
      }
      const opts = { sort: app.view.sort, filter: app.view.filter, query: app.view.query, iocTypes: CAPS.iocTypes };
      const want = viewRows(app.state, opts).rows.map((x) => x.key);
      assert.deepEqual(app.rows.map((x) => x.key), want, `seed ${seed} step ${step}: the model's order`);
      const drawn = rowEls(root).map((li) => [keyOf(li), Number(li.getAttribute("aria-posinset")), px(li)]);
      assert.equal(new Set(drawn.map((d) => d[0])).size, drawn.length, "each row once");
      let last = -1;
      for (const [key, pos, top] of drawn) {
        const i = want.indexOf(key);
        assert.ok(i >= 0, `${key} is listed`);
        assert.ok(i > last, "in the list's order");
        last = i;
        assert.equal(top, app.vlist.geo.top(i), "at its row's top");
        assert.equal(pos, i + app.vlist.geo.headsUpTo(i) + 1);
      }
      if (want.length) {
        const first = app.vlist.geo.rowAt(vp.top);
        assert.ok(drawn.some((d) => d[0] === want[first]), `seed ${seed} step ${step}: the row at the top of the view is drawn`);
      }
      const stops = rowEls(root).filter((li) => li.querySelector(".ioc-row").getAttribute("tabindex") === "0");
      assert.ok(stops.length === (want.length ? 1 : 0), `one tab stop (${stops.length})`);
      const counts = Object.fromEntries(Object.entries(countBadges(app.state)).filter(([, v]) => v > 0));
      const chips = Object.fromEntries([...root.querySelectorAll("button[data-count]")]
        .map((b) => [b.getAttribute("data-count"), Number.parseInt(b.textContent, 10)]));
      assert.deepEqual(chips, counts, `seed ${seed} step ${step}: the chips`);
    }
  }
});
