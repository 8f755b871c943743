// The popup: a view of the background's session state, pushed over a runtime port.
import { api } from "./lib/compat.js";
import { renderPopup, statusLine } from "./lib/render.js";

const root = document.getElementById("app");
const live = document.getElementById("live");
const toast = document.getElementById("toast");
const versionEl = document.getElementById("host-version");

let state = null;
let hostVersion = null;
let lastSid = null;
const deselected = new Set();
let port = null;

function send(msg) {
  try {
    port?.postMessage(msg);
  } catch {
    // On-page highlights (lib/highlight.js): paint the session's IOCs in its tab again, or clear them.
for (const [id, op, done] of [["hl-show", "show", "Highlighted on the page"], ["hl-clear", "clear", "Highlights cleared"]]) {
  document.getElementById(id)?.addEventListener("click", async () => {
    const reply = await api.runtime.sendMessage({ cmd: "highlight", op }).catch(() => null);
    showToast(reply?.ok ? done : "Could not reach the page");
  });
}

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
  toastTimer = setTimeout(() => { toast.hidden = true; }, 1800);
}

const handlers = {
  copy,
  confirm: (keys) => send({ cmd: "confirm", keys }),
  cancel: () => send({ cmd: "cancel" }),
  retry: () => send({ cmd: "retry" }),
  refresh: () => send({ cmd: "refresh" }),
  page: () => send({ cmd: "page" }),
  options: () => api.runtime.openOptionsPage(),
  toggle: (key, on) => {
    if (on) deselected.delete(key);
    else deselected.add(key);
    render();
  },
};

function render() {
  renderPopup(document, root, { state, now: Date.now(), deselected, hostVersion }, handlers);
  root.setAttribute("aria-busy", "false");
  const line = statusLine(state);
  if (live.textContent !== line) live.textContent = line;
  versionEl.textContent = hostVersion ? `host ${hostVersion}` : "";
}

function connect() {
  try {
    port = api.runtime.connect({ name: "popup" });
  } catch {
    port = null; // the extension was reloaded; this page is stale
    return;
  }
  port.onMessage.addListener((msg) => {
    if (msg?.type !== "state") return;
    state = msg.state;
    hostVersion = msg.host?.version ?? state?.hostVersion ?? null;
    if (state?.sid !== lastSid) {
      deselected.clear();
      lastSid = state?.sid ?? null;
    }
    render();
  });
  // The background (service worker) may restart; reconnect and get the state again.
  port.onDisconnect.addListener(() => {
    port = null;
    setTimeout(connect, 200);
  });
}

// Countdowns ("next lookup in 42 s") tick while a queue waits.
setInterval(() => {
  if (state?.phase === "enriching" && state.progress?.next_slot_at) render();
}, 1000);

// On-page highlights (lib/highlight.js): paint the session's IOCs in its tab again, or clear them.
for (const [id, op, done] of [["hl-show", "show", "Highlighted on the page"], ["hl-clear", "clear", "Highlights cleared"]]) {
  document.getElementById(id)?.addEventListener("click", async () => {
    const reply = await api.runtime.sendMessage({ cmd: "highlight", op }).catch(() => null);
    showToast(reply?.ok ? done : "Could not reach the page");
  });
}

connect();
