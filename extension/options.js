// Options, generated from the helper's capabilities (pong): one card per source with enable,
// key (write-only: sent to the helper with config.set_key and never kept in the browser; only
// the masked form from the reply is shown) and quota. Non-secret UI preferences live in
// storage.local. Every host setting is checked by the host, whose message is shown as is.
import { api } from "./lib/compat.js";
import { readCapabilities } from "./lib/capabilities.js";
import { describeError } from "./lib/errors.js";
import {
  hours, keyCheckText, keyInfo, keyStatusText, neverSendList, providerSettings, sendsText, wholeNumber,
} from "./lib/options-form.js";
import { setupPivotOptions } from "./lib/pivot-options.js";
import { loadPrefs, savePrefs } from "./lib/prefs.js";
import { protocolProblem } from "./lib/protocol.js";
import { button, el } from "./lib/ui/dom.js";

const $ = (id) => document.getElementById(id);
let caps = readCapabilities({});

async function host(request) {
  const res = await api.runtime.sendMessage({ cmd: "host", request });
  if (!res) throw { kind: "host_error", message: "no answer from the background" };
  if (!res.ok) throw res.error;
  return res.reply;
}

function say(node, text, tone = "") {
  node.textContent = text;
  node.classList.toggle("error", tone === "error");
  node.classList.toggle("ok", tone === "ok");
}

function problemText(err) {
  const d = describeError(err);
  return err?.kind === "host_error" && err.message ? err.message : `${d.title}. ${d.text}`;
}

function showProblem(err) {
  const d = describeError(err);
  const parts = [el(document, "p", {}, `${d.title}. ${d.text}`)];
  if (d.commands?.length) {
    parts.push(el(document, "ol", {}, ...d.commands.map((c) => el(document, "li", {}, el(document, "code", {}, c)))));
  }
  if (d.detail) parts.push(el(document, "p", { class: "muted" }, d.detail));
  $("host-problem").replaceChildren(...parts);
}

const ROLE_TEXT = { context: " (context only: never decides a verdict)", cve: " (CVE details)" };

function providerCard(p, config) {
  const d = document;
  const cur = providerSettings(config.settings, p.name, p);
  const status = el(d, "p", { class: "status", role: "status", "aria-live": "polite", id: `st-${p.name}` });
  const enabled = el(d, "input", { type: "checkbox", id: `en-${p.name}`, checked: cur.enabled });
  const rpm = el(d, "input", { type: "number", id: `rpm-${p.name}`, min: "0", step: "1",
    value: cur.perMinute ?? "" });
  const rpd = el(d, "input", { type: "number", id: `rpd-${p.name}`, min: "0", step: "1",
    value: cur.perDay ?? "" });
  const card = el(d, "fieldset", { class: "provider-card", "data-provider": p.name },
    el(d, "legend", {}, p.label + (ROLE_TEXT[p.role] ?? "")),
    el(d, "p", { class: "about" }, `Looks up: ${p.types.join(", ") || "nothing"}.`,
      Object.keys(p.sends).length ? ` Receives: ${sendsText(p.sends)}.` : ""),
    el(d, "div", { class: "row" }, enabled, el(d, "label", { for: `en-${p.name}` }, "Use this source")));
  if (p.needsKey !== "none") {
    const info = keyInfo(config, p.name);
    const keyState = el(d, "span", { class: "key-state", id: `ks-${p.name}` }, keyStatusText(info, p.needsKey));
    const input = el(d, "input", { type: "password", id: `key-${p.name}`, autocomplete: "off",
      spellcheck: "false", maxlength: "256", size: "36" });
    const form = el(d, "form", { class: "row key-form", autocomplete: "off" },
      el(d, "label", { for: `key-${p.name}` }, "New key"), input,
      el(d, "button", { type: "submit", id: `key-save-${p.name}` }, "Save key"),
      button(d, "Remove key", async () => {
        try {
          const reply = await host({ type: "config.clear_key", provider: p.name });
          keyState.textContent = keyStatusText(keyInfo(reply, p.name), p.needsKey);
          say(status, "Key removed.", "ok");
        } catch (err) {
          say(status, `Could not remove the key: ${problemText(err)}`, "error");
        }
      }, { id: `key-clear-${p.name}` }));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const key = input.value.trim();
      input.value = ""; // do not keep it in the page longer than needed
      if (!key) {
        say(status, "Paste a key first.", "error");
        return;
      }
      say(status, "Saving and checking the key\u2026");
      try {
        const reply = await host({ type: "config.set_key", provider: p.name, key });
        keyState.textContent = keyStatusText(keyInfo(reply, p.name), p.needsKey);
        const check = reply.key_check ?? null;
        say(status, keyCheckText(check), check?.status === "rejected" ? "error" : "ok");
      } catch (err) {
        // The host's validation message: what is wrong with the key (never the key itself).
        say(status, `Key not saved: ${problemText(err)}`, "error");
      }
    });
    card.append(el(d, "div", { class: "row" }, keyState), form);
  }
  card.append(el(d, "div", { class: "row" },
    el(d, "label", { for: `rpm-${p.name}` }, "Lookups per minute"), rpm,
    el(d, "label", { for: `rpd-${p.name}` }, "per day"), rpd,
    el(d, "span", { class: "muted" }, "(0 = no limit)")));
  // The provider's own settings (thresholds, MISP's base URL...), as the host lists them.
  const extras = p.settings.map((x) => {
    const id = `set-${p.name}-${x.name}`;
    const current = config.settings?.[`providers.${p.name}.${x.name}`];
    const value = current ?? x.default;
    const input = x.kind === "boolean"
      ? el(d, "input", { type: "checkbox", id, checked: value === true })
      : el(d, "input", { type: x.kind === "number" ? "number" : "text", id, size: x.kind === "number" ? undefined : "40",
        value: value === null || value === undefined ? "" : String(value) });
    card.append(el(d, "div", { class: "row" }, el(d, "label", { for: id }, x.help), input));
    return { x, input, current };
  });
  const actions = el(d, "div", { class: "row" },
    button(d, "Save", async () => {
      const changes = [[`providers.${p.name}.enabled`, enabled.checked]];
      for (const { x, input, current } of extras) {
        const name = `providers.${p.name}.${x.name}`;
        if (x.kind === "boolean") changes.push([name, input.checked]);
        else if (!input.value.trim()) {
          if (current !== undefined && current !== null && current !== "") {
            say(status, `${x.help}: enter a value.`, "error");
            return;
          }
        } else changes.push([name, x.kind === "number" ? Number(input.value) : input.value.trim()]);
      }
      for (const [input, label, name] of [[rpm, "Lookups per minute", "requests_per_minute"],
        [rpd, "Lookups per day", "requests_per_day"]]) {
        if (!input.value.trim() && cur[name === "requests_per_minute" ? "perMinute" : "perDay"] === null) continue;
        const n = wholeNumber(input.value, label);
        if (n.error) {
          say(status, n.error, "error");
          return;
        }
        changes.push([`providers.${p.name}.${name}`, n.value]);
      }
      try {
        for (const [name, value] of changes) await host({ type: "config.set", name, value });
        say(status, "Saved.", "ok");
      } catch (err) {
        say(status, `Not saved: ${problemText(err)}`, "error");
      }
    }, { id: `save-${p.name}`, class: "primary" }));
  if (p.pausedUntil && Date.parse(p.pausedUntil) > Date.now()) {
    actions.append(el(d, "span", {}, `Paused after a 429 until ${p.pausedUntil}.`),
      button(d, "Resume now", async () => {
        try {
          await host({ type: "quota.reset", provider: p.name });
          say(status, "Pause cleared.", "ok");
        } catch (err) {
          say(status, `Could not clear the pause: ${problemText(err)}`, "error");
        }
      }, { id: `reset-${p.name}` }));
  }
  card.append(actions, status);
  return card;
}

function showConfig(config) {
  const s = config.settings ?? {};
  if (typeof s["privacy.send_private"] === "boolean") $("sendPrivate").checked = s["privacy.send_private"];
  const never = s["privacy.never_send"];
  if (Array.isArray(never)) $("neverSend").value = never.join("\n");
  if (Number.isFinite(s["cache.ttl_hours"])) $("ttl").value = String(s["cache.ttl_hours"]);
  $("providers").replaceChildren(...caps.providers.map((p) => providerCard(p, config)));
  if (!caps.providers.length) $("providers").replaceChildren(el(document, "p", { class: "muted" }, "The helper lists no sources."));
}

async function loadAll() {
  const prefs = await loadPrefs(api.storage.local);
  for (const r of document.querySelectorAll("input[name=previewMode]")) r.checked = r.value === prefs.previewMode;
  $("previewThreshold").value = String(prefs.previewThreshold);
  $("sendPrivate").checked = prefs.sendPrivate;
  try {
    const pong = await host({ type: "ping" });
    const outdated = protocolProblem(pong);
    if (outdated) {
      say($("host-status"), "The helper is out of date: run ./install/install.sh", "error");
      showProblem(outdated);
      return;
    }
    caps = readCapabilities(pong);
    say($("host-status"), `Connected to the SentinelX helper ${pong.version}.`);
    $("host-problem").replaceChildren();
    showConfig(await host({ type: "config.get" }));
    // The host is the source of truth for sending private IOCs; keep the local mirror in step.
    await savePrefs(api.storage.local, { sendPrivate: $("sendPrivate").checked });
  } catch (err) {
    say($("host-status"), "The SentinelX helper is not reachable.", "error");
    showProblem(err);
  }
}

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
    await host({ type: "config.set", name: "privacy.send_private", value: on });
    await savePrefs(api.storage.local, { sendPrivate: on });
    say($("save-status"), on ? "Private indicators may now be sent." : "Private indicators will not be sent.", "ok");
  } catch (err) {
    $("sendPrivate").checked = !on;
    say($("save-status"), `Could not change it: ${problemText(err)}`, "error");
  }
});
$("never-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const list = neverSendList($("neverSend").value);
  try {
    await host({ type: "config.set", name: "privacy.never_send", value: list });
    $("neverSend").value = list.join("\n");
    say($("save-status"), `Never-send list saved (${list.length} entr${list.length === 1 ? "y" : "ies"}).`, "ok");
  } catch (err) {
    say($("save-status"), `Not saved: ${problemText(err)}`, "error");
  }
});
$("cache-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const h = hours($("ttl").value, "Cache time");
  if (h.error) {
    say($("save-status"), h.error, "error");
    return;
  }
  try {
    await host({ type: "config.set", name: "cache.ttl_hours", value: h.value });
    say($("save-status"), "Cache time saved.", "ok");
  } catch (err) {
    say($("save-status"), `Not saved: ${problemText(err)}`, "error");
  }
});

loadAll();
setupPivotOptions(document, { storage: api.storage.local, fetchFn: globalThis.fetch,
  url: api.runtime.getURL("data/pivots.json") }).catch((err) => {
  say($("pivot-status"), `Pivots unavailable: ${String(err?.message ?? err)}`, "error");
});
