// Options: host settings go to the host over the background's port (config.* requests);
// non-secret UI preferences live in storage.local. The API key is sent with config.set_key and is
// never written to any extension storage; only the masked form from the reply is shown.
import { api } from "./lib/compat.js";
import { describeError } from "./lib/errors.js";
import { loadPrefs, savePrefs } from "./lib/prefs.js";
import { el } from "./lib/ui/dom.js";

const $ = (id) => document.getElementById(id);
const PUBLIC = { rpm: 4, rpd: 500 };

async function host(request) {
  const res = await api.runtime.sendMessage({ cmd: "host", request });
  if (!res) throw { kind: "host_error", message: "no answer from the background" };
  if (!res.ok) throw res.error;
  return res.reply;
}

function say(id, text, isError = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("error", isError);
}

function showProblem(err) {
  const d = describeError(err);
  const box = $("host-problem");
  const parts = [el(document, "p", {}, d.title + ". " + d.text)];
  if (d.commands?.length) {
    parts.push(el(document, "ol", {}, ...d.commands.map((c) => el(document, "li", {}, el(document, "code", {}, c)))));
  }
  if (d.detail) parts.push(el(document, "p", { class: "muted" }, d.detail));
  box.replaceChildren(...parts);
}

function showConfig(reply) {
  const k = reply.api_key ?? {};
  $("key-masked").textContent = k.set ? (k.masked ?? "****") : "not set";
  $("key-source").textContent = k.source === "env" ? "(from VT_API_KEY in the host's environment)"
    : k.source === "file" ? "(stored by the host)" : "";
  const s = reply.settings ?? {};
  const setNum = (id, v) => { if (v !== undefined && v !== null) $(id).value = String(v); };
  setNum("rpm", s["vt.requests_per_minute"]);
  setNum("rpd", s["vt.requests_per_day"]);
  setNum("malThreshold", s["vt.malicious_threshold"]);
  setNum("susThreshold", s["vt.suspicious_threshold"]);
  setNum("ttl", s["cache.ttl_hours"]);
  if (typeof s["privacy.send_private"] === "boolean") $("sendPrivate").checked = s["privacy.send_private"];
}

async function loadAll() {
  const prefs = await loadPrefs(api.storage.local);
  for (const r of document.querySelectorAll("input[name=previewMode]")) r.checked = r.value === prefs.previewMode;
  $("previewThreshold").value = String(prefs.previewThreshold);
  $("sendPrivate").checked = prefs.sendPrivate;
  for (const r of document.querySelectorAll("input[name=quotaTier]")) r.checked = r.value === prefs.quotaTier;
  try {
    const pong = await host({ type: "ping" });
    say("host-status", `Connected to the SentinelX host ${pong.version}.`);
    $("host-problem").replaceChildren();
    showConfig(await host({ type: "config.get" }));
    // The host is the source of truth for sending private IOCs; keep the local mirror in step.
    await savePrefs(api.storage.local, { sendPrivate: $("sendPrivate").checked });
  } catch (err) {
    say("host-status", "The SentinelX host is not reachable.", true);
    showProblem(err);
  }
  syncTier();
}

function syncTier() {
  const premium = document.querySelector("input[name=quotaTier][value=premium]").checked;
  $("rpm").disabled = !premium;
  $("rpd").disabled = !premium;
}

$("key-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("key-input");
  const key = input.value.trim();
  if (!key) {
    say("save-status", "Paste a key first.", true);
    return;
  }
  input.value = ""; // do not keep it in the page longer than needed
  try {
    showConfig(await host({ type: "config.set_key", key }));
    say("save-status", "API key saved by the host.");
  } catch (err) {
    say("save-status", `Could not save the key: ${describeError(err).title}. ${err?.message ?? ""}`, true);
  }
});

$("key-clear").addEventListener("click", async () => {
  try {
    showConfig(await host({ type: "config.clear_key" }));
    say("save-status", "API key removed.");
  } catch (err) {
    say("save-status", `Could not remove the key: ${err?.message ?? describeError(err).title}`, true);
  }
});

for (const r of document.querySelectorAll("input[name=previewMode]")) {
  r.addEventListener("change", () => savePrefs(api.storage.local, { previewMode: r.value }));
}
$("previewThreshold").addEventListener("change", () => {
  const n = Number($("previewThreshold").value);
  if (Number.isInteger(n) && n >= 0) savePrefs(api.storage.local, { previewThreshold: n });
});
$("sendPrivate").addEventListener("change", async () => {
  const on = $("sendPrivate").checked;
  try {
    showConfig(await host({ type: "config.set", name: "privacy.send_private", value: on }));
    await savePrefs(api.storage.local, { sendPrivate: on });
    say("save-status", on ? "Private indicators may now be sent." : "Private indicators will not be sent.");
  } catch (err) {
    $("sendPrivate").checked = !on;
    say("save-status", `Could not change it: ${err?.message ?? describeError(err).title}`, true);
  }
});
for (const r of document.querySelectorAll("input[name=quotaTier]")) {
  r.addEventListener("change", () => {
    syncTier();
    if (r.value === "public") {
      $("rpm").value = String(PUBLIC.rpm);
      $("rpd").value = String(PUBLIC.rpd);
    }
  });
}

$("host-settings").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const premium = document.querySelector("input[name=quotaTier][value=premium]").checked;
  const num = (id) => Number($(id).value);
  const changes = [
    ["vt.requests_per_minute", premium ? num("rpm") : PUBLIC.rpm],
    ["vt.requests_per_day", premium ? num("rpd") : PUBLIC.rpd],
    ["vt.malicious_threshold", num("malThreshold")],
    ["vt.suspicious_threshold", num("susThreshold")],
    ["cache.ttl_hours", num("ttl")],
  ];
  try {
    let last = null;
    for (const [name, value] of changes) {
      if (!Number.isFinite(value)) throw { message: `${name}: not a number` };
      last = await host({ type: "config.set", name, value });
    }
    if (last) showConfig(last);
    await savePrefs(api.storage.local, { quotaTier: premium ? "premium" : "public" });
    say("save-status", "Settings saved.");
  } catch (err) {
    say("save-status", `Not saved: ${err?.message ?? describeError(err).title}`, true);
  }
});

loadAll();
