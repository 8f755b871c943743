// The history page: past lookups from the host in pages (history.query), filters, reopening a
// run (history.run), exports of any selection, delete and clear. Page-derived strings (IOC
// values, titles, provider text) only ever reach the DOM as text nodes (lib/ui/dom.js `el`).
import { api } from "./lib/compat.js";
import { describeError } from "./lib/errors.js";
import { FORMATS, copyExport, defangsByDefault, downloadExport, exportRun, hostRequest,
  pushToMisp } from "./lib/export-client.js";
import { PAGE_SIZE, filterFromForm, providerLines, rowView, runFromHash } from "./lib/history-view.js";
import { el } from "./lib/ui/dom.js";

const $ = (id) => document.getElementById(id);
const send = (request) => hostRequest(request, api.runtime);

const view = {
  rows: [], // rowView()s shown, newest first
  cursor: null,
  total: 0,
  filter: {},
  selected: new Set(), // record ids
  runId: null, // the reopened run, in the run view
  loading: 0,
};

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function showProblem(err) {
  const d = describeError(err);
  const parts = [el(document, "p", {}, `${d.title}. ${d.text}`)];
  if (d.commands?.length) {
    parts.push(el(document, "ol", {}, ...d.commands.map((c) => el(document, "li", {}, el(document, "code", {}, c)))));
  }
  $("host-problem").replaceChildren(...parts);
}

function errorText(err) {
  return err?.message ?? describeError(err).title;
}

// ------------------------------------------------------------------ the list

function formValues() {
  return {
    search: $("search").value,
    verdicts: [...document.querySelectorAll("input[name=verdict]:checked")].map((i) => i.value),
    type: $("type").value,
    provider: $("provider").value,
    since: $("since").value,
    until: $("until").value,
  };
}

function rowNode(v) {
  const checked = view.selected.has(v.id);
  const box = el(document, "input", { type: "checkbox", "aria-label": `Select ${v.value}`, checked });
  box.addEventListener("change", () => {
    if (box.checked) view.selected.add(v.id);
    else view.selected.delete(v.id);
    tr.classList.toggle("selected", box.checked);
    updateScope();
  });
  const open = el(document, "button", { type: "button", class: "small",
    "aria-label": `Open run ${v.runId}` }, `#${v.runId}`);
  open.addEventListener("click", () => openRun(v.runId));
  const source = [v.source || "(no title)"];
  if (v.url) source.push(el(document, "br"), el(document, "span", { class: "url" }, v.url));
  const tr = el(document, "tr", { class: checked ? "selected" : null, "data-id": String(v.id) },
    el(document, "td", {}, box),
    el(document, "td", {}, el(document, "time", {}, v.time)),
    el(document, "td", { class: "value" }, el(document, "span", { class: "type" }, v.type),
      el(document, "code", {}, v.value)),
    el(document, "td", {}, el(document, "span", { class: `badge ${v.badge}`, title: v.reason || null },
      v.verdictLabel)),
    el(document, "td", { class: "providers" }, v.providersText),
    el(document, "td", { class: "source" }, ...source),
    el(document, "td", {}, open));
  return tr;
}

function renderRows() {
  $("rows-body").replaceChildren(...view.rows.map(rowNode));
  $("empty").hidden = view.rows.length > 0;
  $("more").hidden = view.cursor === null;
  $("select-page").checked = view.rows.length > 0 && view.rows.every((r) => view.selected.has(r.id));
  updateScope();
}

function updateScope() {
  const n = view.selected.size;
  $("scope").textContent = n
    ? `${n} selected: export and delete act on the selection.`
    : `${view.total} matching ${view.total === 1 ? "lookup" : "lookups"} (${view.rows.length} shown): export acts on all of them.`;
  $("delete-selected").disabled = n === 0;
}

async function load({ more = false } = {}) {
  const ticket = ++view.loading;
  if (!more) view.filter = filterFromForm(formValues());
  const req = { type: "history.query", filter: view.filter, limit: PAGE_SIZE };
  if (more && view.cursor !== null) req.cursor = view.cursor;
  try {
    const page = await send(req);
    if (ticket !== view.loading) return; // a newer search is under way
    const rows = (page.rows ?? []).map(rowView);
    view.rows = more ? [...view.rows, ...rows] : rows;
    view.cursor = page.next_cursor ?? null;
    view.total = page.total ?? view.rows.length;
    $("host-problem").replaceChildren();
    say(view.total ? `${view.total} past ${view.total === 1 ? "lookup" : "lookups"}.` : "No past lookups match.");
    renderRows();
  } catch (err) {
    if (ticket !== view.loading) return;
    say(`Could not read the history: ${errorText(err)}`, true);
    showProblem(err);
  }
}

let searchTimer = null;
function reloadSoon() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => load(), 250);
}

// ------------------------------------------------------------------ exports

function selection() {
  if (view.selected.size) return { filter: { ids: [...view.selected] } };
  return { filter: view.filter };
}

function formatOptions() {
  const format = $("format").value;
  return { format, defang: $("defang").checked };
}

async function doExport(scope, how) {
  const { format, defang } = formatOptions();
  say("Preparing the export\u2026");
  try {
    const out = await exportRun({ format, defang, ...scope }, send);
    if (how === "copy") {
      await copyExport(out);
      say(`Copied ${out.count} indicators as ${format}.`);
    } else {
      downloadExport(out);
      say(`Saved ${out.count} indicators to ${out.filename}.`);
    }
    return out;
  } catch (err) {
    say(`Export failed: ${errorText(err)}`, true);
    return null;
  }
}

async function doPush(scope) {
  say("Creating the MISP event\u2026");
  try {
    const r = await pushToMisp(scope, send);
    say(`MISP event ${r.event_id} created with ${r.count} attributes: ${r.url}`);
  } catch (err) {
    say(`Push to MISP failed: ${errorText(err)}`, true);
  }
}

// ------------------------------------------------------------------ delete and clear

async function deleteSelected() {
  const ids = [...view.selected];
  if (!ids.length) return;
  try {
    const r = await send({ type: "history.delete", ids });
    view.selected.clear();
    say(`Deleted ${r.deleted} ${r.deleted === 1 ? "entry" : "entries"}.`);
    await load();
  } catch (err) {
    say(`Could not delete: ${errorText(err)}`, true);
  }
}

let clearArmed = null;
async function clearAll() {
  const b = $("clear-all");
  if (!clearArmed) { // two steps, no modal dialog: the second press within 5 s confirms
    b.classList.add("armed");
    b.textContent = "Press again to clear everything";
    clearArmed = setTimeout(disarm, 5000);
    return;
  }
  disarm();
  try {
    const r = await send({ type: "history.clear" });
    view.selected.clear();
    say(`History cleared (${r.deleted} entries).`);
    await load();
  } catch (err) {
    say(`Could not clear: ${errorText(err)}`, true);
  }
}

function disarm() {
  clearTimeout(clearArmed);
  clearArmed = null;
  $("clear-all").classList.remove("armed");
  $("clear-all").textContent = "Clear all history";
}

// ------------------------------------------------------------------ a reopened run

function showRunView(on) {
  $("run-view").hidden = !on;
  $("list-view").hidden = on;
}

async function openRun(runId) {
  say(`Opening run ${runId}\u2026`);
  try {
    const reply = await send({ type: "history.run", run_id: runId });
    view.runId = runId;
    const run = reply.run ?? {};
    $("run-title").textContent = `Run #${runId}: ${run.recorded ?? 0} indicators`;
    $("run-source").textContent = [run.source_title || "(no page title)", run.source_url,
      run.started_at ? `started ${run.started_at}` : null].filter(Boolean).join(" \u00b7 ");
    $("run-records").replaceChildren(...(reply.records ?? []).map((rec) => {
      const v = rowView({ ...rec, verdict: rec.combined?.verdict, reason: rec.combined?.reason,
        providers: rec.combined?.providers });
      const lines = providerLines(rec).map((p) => el(document, "li", {}, `${p.name}: ${p.text}`));
      return el(document, "li", {},
        el(document, "span", { class: `badge ${v.badge}` }, v.verdictLabel), " ",
        el(document, "code", {}, v.value), " ", el(document, "span", { class: "muted" }, v.type),
        v.reason ? el(document, "div", { class: "muted" }, v.reason) : null,
        lines.length ? el(document, "ul", { class: "lines" }, ...lines) : null);
    }));
    if (location.hash !== `#run=${runId}`) history.replaceState(null, "", `#run=${runId}`);
    showRunView(true);
    $("run-title").focus();
    say(`Run #${runId} reopened.`);
  } catch (err) {
    say(`Could not open run ${runId}: ${errorText(err)}`, true);
  }
}

function backToList() {
  view.runId = null;
  history.replaceState(null, "", location.pathname);
  showRunView(false);
  $("search").focus();
}

// ------------------------------------------------------------------ privacy setting

async function loadKeepUrl() {
  try {
    const cfg = await send({ type: "config.get" });
    $("keep-url").checked = cfg.settings?.["history.keep_page_url"] === true;
    // "Push to MISP" only once the MISP provider has an instance to push to.
    $("push-misp").hidden = !cfg.settings?.["providers.misp.base_url"];
  } catch {
    $("keep-url").disabled = true;
    $("push-misp").hidden = true;
  }
}

// ------------------------------------------------------------------ wiring

for (const f of FORMATS) $("format").append(el(document, "option", { value: f.id }, f.label));
$("defang").checked = defangsByDefault($("format").value);
$("format").addEventListener("change", () => { $("defang").checked = defangsByDefault($("format").value); });

$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
// Text fields filter as you type; the others on change (a text field's change on blur would
// reload once more, for nothing).
$("filters").addEventListener("input", reloadSoon);
$("filters").addEventListener("change", (ev) => {
  if (!(ev.target instanceof HTMLInputElement && /^(search|text)$/.test(ev.target.type))) reloadSoon();
});
$("filters").addEventListener("reset", () => setTimeout(() => load(), 0));
$("more").addEventListener("click", () => load({ more: true }));
$("select-page").addEventListener("change", () => {
  for (const r of view.rows) {
    if ($("select-page").checked) view.selected.add(r.id);
    else view.selected.delete(r.id);
  }
  renderRows();
});
$("export-download").addEventListener("click", () => doExport(selection(), "download"));
$("export-copy").addEventListener("click", () => doExport(selection(), "copy"));
$("push-misp").addEventListener("click", () => doPush(selection()));
$("delete-selected").addEventListener("click", deleteSelected);
$("clear-all").addEventListener("click", clearAll);
$("clear-all").addEventListener("blur", disarm);
$("run-back").addEventListener("click", backToList);
$("run-download").addEventListener("click", () => doExport({ runId: view.runId }, "download"));
$("run-copy").addEventListener("click", () => doExport({ runId: view.runId }, "copy"));
$("keep-url").addEventListener("change", async () => {
  const on = $("keep-url").checked;
  try {
    await send({ type: "config.set", name: "history.keep_page_url", value: on });
    say(on ? "Page addresses will be kept from now on." : "Page addresses will not be kept.");
  } catch (err) {
    $("keep-url").checked = !on;
    say(`Could not change it: ${errorText(err)}`, true);
  }
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? "")) {
    ev.preventDefault();
    $("search").focus();
  } else if (ev.key === "Escape" && !$("run-view").hidden) {
    backToList();
  }
});
window.addEventListener("hashchange", () => {
  const run = runFromHash(location.hash);
  if (run !== null && run !== view.runId) openRun(run);
});

// For the e2e tests: resolves once the first page (and a reopened run) are shown.
globalThis.historyReady = (async () => {
  await Promise.all([load(), loadKeepUrl()]);
  const run = runFromHash(location.hash);
  if (run !== null) await openRun(run);
})();
