// The popup: a view of the background's session state, pushed over a runtime port (the whole
// state on connect, then keyed patches). The DOM work is lib/ui/app.js.
import { api } from "./lib/compat.js";
import { describeError } from "./lib/errors.js";
import { PopupApp } from "./lib/ui/app.js";
import { download, loadExportClient } from "./lib/ui/export-menu.js";
import { installKeyboard } from "./lib/ui/keyboard.js";
import { loadRenderer } from "./lib/ui/provider-lines.js";

const root = document.getElementById("app");
const live = document.getElementById("live");
const toast = document.getElementById("toast");
const versionEl = document.getElementById("host-version");
let port = null;
let pivotsFor = null; // from lib/pivots.js once it loads (tolerant: the popup works without it)
let userPivots = []; // the built-in services merged with the user's settings (options page)

// Timings read by bench/popup_bench.py (ms; the last 50,000 of each): `apply`, merging one
// message into the state; `frame`, drawing everything merged since the last frame; `state`,
// drawing a whole state (the popup opening); `scroll`, drawing the list after a scroll;
// `firstList`, the first frame that drew rows (with how many IOCs the session had then);
// `slow`, what the frames over 8 ms had to do (IOCs changed, full sorts so far).
const perf = (globalThis.__sxPerf = { apply: [], frame: [], state: [], scroll: [], slow: [], firstList: null });
const keep = (list, v) => {
  list.push(v);
  if (list.length > 50_000) list.shift();
};

function send(msg) {
  try {
    port?.postMessage(msg);
  } catch {
    connect();
    port?.postMessage(msg);
  }
}

async function copy(text, label) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // Fallback for contexts without the async clipboard: a temporary textarea.
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "offscreen";
    document.body.append(ta);
    ta.select();
    ok = document.execCommand("copy");
    ta.remove();
  }
  showToast(ok ? `Copied ${label}` : "Could not copy");
}

let toastTimer = null;
function showToast(text) {
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 2200);
}

async function exportRun(opts) {
  const run = await loadExportClient();
  if (!run) {
    showToast("Exports are not available in this version.");
    return;
  }
  try {
    download(document, await run(opts));
    showToast(`Exported ${opts.format}`);
  } catch (err) {
    showToast(`Export failed: ${describeError(err?.kind ? err : { kind: "host_error", message: err?.message }).text}`);
  }
}

const app = new PopupApp(document, root, {
  copy,
  send,
  options: () => api.runtime.openOptionsPage(),
  history: () => api.tabs.create({ url: api.runtime.getURL("history.html") }),
  exportRun,
  pivots: (ioc) => {
    if (!pivotsFor) return [];
    try {
      const list = pivotsFor(ioc.type, ioc.value, userPivots);
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  },
});
installKeyboard(document, app);
perf.app = app;

// The live region speaks the status line: at once when the phase changes, else at most every
// LIVE_MS while results stream in (a screen reader would otherwise be handed a line per frame).
const LIVE_MS = 3000;
let liveAt = 0;
let livePhase = null;

function afterRender() {
  if (root.getAttribute("aria-busy") !== "false") root.setAttribute("aria-busy", "false");
  const line = app.statusText();
  const phase = app.state?.phase ?? null;
  const now = performance.now();
  if (live.textContent !== line && (phase !== livePhase || now - liveAt >= LIVE_MS)) {
    live.textContent = line;
    liveAt = now;
    livePhase = phase;
  }
  const v = app.host.version;
  const text = v ? `helper ${v}` : "";
  if (versionEl.textContent !== text) versionEl.textContent = text;
}

let frameQueued = 0; // the pending frame's number, 0 when none

/** Streamed results are merged at once and drawn once per animation frame, whatever their rate. */
let frames = 0;
function scheduleFrame() {
  if (frameQueued) return;
  const mine = (frameQueued = ++frames);
  const draw = () => {
    if (frameQueued !== mine) return; // drawn already (by the other of the two timers)
    frameQueued = 0;
    console.timeStamp?.("sx-frame"); // marks this task in a Chromium trace (the bench reads its CPU time)
    const t0 = performance.now();
    const before = app.rows.length;
    app.render();
    afterRender();
    void document.body.offsetHeight; // include style and layout in the measured cost
    const ms = performance.now() - t0;
    keep(perf.frame, ms);
    if (ms > 8) keep(perf.slow, { ms, at: perf.frame.length, phase: app.state?.phase, ...app.lastSync });
    if (!before && app.rows.length && !perf.firstList) perf.firstList = { ms, iocs: app.state.iocs.length };
  };
  requestAnimationFrame(draw);
  setTimeout(draw, 100); // a hidden page gets no animation frames
}

function onMessage(msg) {
  const t0 = performance.now();
  if (msg?.type === "patch") {
    if (!app.applyPatch(msg, { render: false })) {
      send({ cmd: "get" });
      return;
    }
    scheduleFrame();
    keep(perf.apply, performance.now() - t0);
  } else if (msg?.type === "state") {
    console.timeStamp?.("sx-state");
    app.onMessage(msg);
    afterRender();
    void document.body.offsetHeight;
    keep(perf.state, performance.now() - t0);
    if (app.rows.length && !perf.firstList) perf.firstList = { ms: perf.state.at(-1), iocs: app.state.iocs.length };
    preload();
  }
}

let preloaded = "";
/** Load the renderers of the host's providers, then redraw the open details with them. */
function preload() {
  const names = app.caps.providers.map((p) => p.name).join(",");
  if (names === preloaded) return;
  preloaded = names;
  Promise.all(app.caps.providers.map((p) => loadRenderer(p.name))).then(() => {
    app.refreshOpen(); // only open details show provider lines
  });
}

function connect() {
  try {
    port = api.runtime.connect({ name: "popup" });
  } catch {
    port = null; // the extension was reloaded; this page is stale
    return;
  }
  port.onMessage.addListener(onMessage);
  // The background (service worker) may restart; reconnect and get the state again.
  port.onDisconnect.addListener(() => {
    port = null;
    setTimeout(connect, 200);
  });
}

// Pivots are the extension's own (data/pivots.json + the user's settings), whatever the host says.
import("./lib/pivots.js").then(async (m) => {
  const builtins = await m.loadBuiltinPivots(globalThis.fetch, api.runtime.getURL("data/pivots.json"));
  const refresh = async () => {
    userPivots = m.mergePivots(builtins, await m.loadPivotSettings(api.storage.local));
    pivotsFor = m.pivotsFor;
    if (app.state) app.renderSession();
  };
  await refresh();
  api.storage.onChanged?.addListener((changes, area) => {
    if (area === "local" && changes[m.PIVOTS_KEY]) refresh();
  });
}, () => {});

// Countdowns ("next lookup in 42 s") tick while a queue waits.
setInterval(() => {
  if (app.state?.phase === "enriching" && app.state.progress?.next_slot_at) {
    app.render();
    afterRender();
  }
}, 1000);

// The list draws only the rows in view: scrolling draws the next ones, once per frame.
let scrollQueued = false;
function onScroll() {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    const t0 = performance.now();
    app.renderList();
    void document.body.offsetHeight;
    keep(perf.scroll, performance.now() - t0);
  });
}
addEventListener("scroll", onScroll, { passive: true });
addEventListener("resize", onScroll, { passive: true });

// On-page highlights (lib/highlight.js): paint the session's IOCs in its tab again, or clear them.
for (const [id, op, done] of [["hl-show", "show", "Highlighted on the page"], ["hl-clear", "clear", "Highlights cleared"]]) {
  document.getElementById(id)?.addEventListener("click", async () => {
    const reply = await api.runtime.sendMessage({ cmd: "highlight", op }).catch(() => null);
    showToast(reply?.ok ? done : "Could not reach the page");
  });
}

connect();
