// Turn failures into what the user should read and do: never a raw error string alone.
import { cliCommand } from "./capabilities.js";
import { clockUtc, formatBytes, timeUntil } from "./format.js";

export const INSTALL_COMMAND = "./install/install.sh";
export const OUTDATED_TEXT = "the helper is out of date: run ./install/install.sh";

/** Host error codes (error replies) mapped to our error kinds. */
const HOST_CODE_KIND = {
  text_too_large: "text_too_large",
  frame_too_large: "text_too_large",
  no_api_key: "no_api_key",
  origin_forbidden: "host_forbidden",
};

/** At most one readable sentence of a message: first line, no dumps (a repr of a request is not news). */
export function oneSentence(message, max = 160) {
  let m = String(message ?? "").split(/\r?\n/)[0].trim();
  // A message that quotes data ("{...}", "[...]") keeps its words, not the data.
  const open = m.search(/[[{(<]/);
  const close = Math.max(m.lastIndexOf("]"), m.lastIndexOf("}"), m.lastIndexOf(")"), m.lastIndexOf(">"));
  if (open >= 0 && close - open > 40) m = `${m.slice(0, open)}[\u2026]${m.slice(close + 1)}`.replace(/\s+/g, " ").trim();
  if (m.length > max) m = `${m.slice(0, max - 1).trimEnd()}\u2026`;
  return m;
}

/** Error-kind object for an `error` reply from the host. */
export function fromHostReply(reply) {
  const kind = HOST_CODE_KIND[reply?.code] ?? "host_error";
  return { kind, code: reply?.code ?? "internal_error", message: oneSentence(reply?.message) };
}

export function errorFromException(err) {
  if (err && err.name === "HostError") {
    if (err.kind === "reply") return fromHostReply(err.reply);
    return { kind: err.kind, message: oneSentence(err.message) };
  }
  if (err && typeof err.kind === "string") return err;
  return { kind: "host_error", message: oneSentence(err?.message ?? err) };
}

/** The doctor command as it works when pasted: the full path when the host told it. */
function doctor(e) {
  const cmd = cliCommand({ cliPath: e.cliPath }, "doctor");
  return cmd ? [cmd] : [];
}

/**
 * What the popup shows for an error kind.
 * @returns {{kind, title, text, commands?: string[], hint?: string, action?: "options"|"retry", detail?: string}}
 */
export function describeError(err, now = Date.now()) {
  const e = err ?? { kind: "host_error" };
  switch (e.kind) {
    case "host_missing":
      return {
        kind: e.kind,
        title: "The SentinelX helper is not installed",
        text: "The browser could not start the SentinelX native host (com.sentinelx.host). "
          + "Run the installer once in the SentinelX folder:",
        commands: [INSTALL_COMMAND],
        hint: "Then click Try again. Snap and Flatpak browsers cannot start it; the installer says so.",
        action: "retry",
        detail: e.message || undefined,
      };
    case "host_forbidden":
      return {
        kind: e.kind,
        title: "The SentinelX helper does not accept this extension",
        text: "The native host is installed but is not registered for this extension's id. "
          + "Run the installer again in the SentinelX folder, then click Try again:",
        commands: [INSTALL_COMMAND],
        action: "retry",
        detail: e.message || undefined,
      };
    case "host_crashed":
      return {
        kind: e.kind,
        title: "The SentinelX helper stopped unexpectedly",
        text: e.cliPath ? "Results received so far are kept. Try again; if it keeps happening, run:"
          : "Results received so far are kept. Try again; if it keeps happening, run the installer again.",
        commands: doctor(e),
        action: "retry",
        detail: e.message || undefined,
      };
    case "timeout":
      return {
        kind: e.kind,
        title: "The SentinelX helper did not answer",
        text: e.cliPath ? "It may be busy or stuck. Try again; if it keeps happening, run:"
          : "It may be busy or stuck. Try again.",
        commands: doctor(e),
        action: "retry",
      };
    case "host_outdated":
      return {
        kind: e.kind,
        title: "The SentinelX helper is out of date",
        text: `The ${OUTDATED_TEXT} in the SentinelX folder, then click Try again.`,
        commands: [INSTALL_COMMAND],
        action: "retry",
        detail: `helper protocol ${e.hostProtocol ?? "1"}, extension protocol ${e.extensionProtocol}`,
      };
    case "text_too_large": {
      const size = Number.isFinite(e.bytes) ? formatBytes(e.bytes) : "too large";
      const limit = Number.isFinite(e.limit) ? formatBytes(e.limit) : "the host's limit";
      return {
        kind: e.kind,
        title: "The selection is too large",
        text: `The text is ${size}; SentinelX accepts at most ${limit}. Nothing was sent. `
          + "Select a smaller part of the page and try again.",
      };
    }
    case "empty_selection":
      return {
        kind: e.kind,
        title: "Nothing selected",
        text: "Highlight some text on the page first, or use \u201cExtract from whole page\u201d.",
      };
    case "page_unreadable":
      return {
        kind: e.kind,
        title: "This page cannot be read",
        text: "The browser does not let extensions read this page (for example a browser page, "
          + "the extension store or a PDF). Select the text and use the context menu instead.",
      };
    case "no_api_key":
      return {
        kind: e.kind,
        title: `No API key for ${e.providerLabel ?? "this source"}`,
        text: "Add the key in the SentinelX options to look indicators up there. "
          + "Sources that need no key still answer.",
        action: "options",
      };
    case "auth":
      return {
        kind: e.kind,
        title: `${e.providerLabel ?? "A source"} rejected the API key`,
        text: "Check the key in the SentinelX options (it may be mistyped, revoked or lack access).",
        action: "options",
      };
    case "paused": {
      const at = clockUtc(e.retryAt);
      const until = timeUntil(e.retryAt, now);
      const who = e.providerLabel ?? "A source";
      return {
        kind: e.kind,
        title: `${who} is paused: it said its quota is used up`,
        text: (at ? `Lookups there resume at ${at}${until ? ` (in ${until})` : ""}. `
          : "Lookups there resume later. ") + "Other sources go on. If your quota was reset, "
          + "resume now.",
        action: "quota_reset",
        provider: e.provider ?? null,
      };
    }
    case "interrupted":
      return {
        kind: e.kind,
        title: "Interrupted",
        text: "The extension restarted while reading the text. Run it again.",
        action: "retry",
      };
    default:
      return {
        kind: "host_error",
        title: "SentinelX reported an error",
        text: e.message ? oneSentence(e.message) : "Something went wrong.",
        detail: e.code ? `code: ${e.code}` : undefined,
        action: "retry",
      };
  }
}

/**
 * A non-fatal alert derived from the streamed state: a key missing or rejected, a source paused
 * after a 429. Returns an error-kind object or null. `label(name)` gives a provider's label.
 */
export function sessionAlert(state, label = (n) => n, now = Date.now(), scan = null) {
  if (!state) return null;
  if (state.error) return state.error;
  const paused = pausedProviders(state, now, scan);
  if (paused.length) {
    const [p] = paused;
    return { kind: "paused", provider: p.name, providerLabel: label(p.name), retryAt: p.until };
  }
  if (scan) return scan.auth ? { kind: "auth", provider: scan.auth, providerLabel: label(scan.auth) } : null;
  for (const entry of Object.values(state.results ?? {})) {
    for (const [name, o] of Object.entries(entry.providers ?? {})) {
      if (o.status === "error" && o.error?.code === "auth") return { kind: "auth", provider: name, providerLabel: label(name) };
    }
  }
  return null;
}

/**
 * Providers paused by a 429: a lane of the last progress whose `quota_state` is `rate_limited`
 * (until its `next_slot_at`; the host keeps the IOC queued), `providers.NAME.paused_until` of
 * the summary, or a `rate_limited` result error with its `retry_at`.
 */
export function pausedProviders(state, now = Date.now(), scan = null) {
  const until = new Map();
  const note = (name, at) => {
    if (typeof at === "string" && Date.parse(at) > now && !(until.get(name) >= at)) until.set(name, at);
  };
  for (const [name, p] of Object.entries(state?.progress?.providers ?? {})) {
    if (p?.quota_state === "rate_limited") note(name, p.next_slot_at);
    note(name, p?.paused_until);
  }
  for (const [name, p] of Object.entries(state?.summary?.providers ?? {})) note(name, p?.paused_until);
  if (scan) {
    for (const [name, at] of scan.paused) note(name, at);
  } else {
    for (const entry of Object.values(state?.results ?? {})) {
      for (const [name, o] of Object.entries(entry.providers ?? {})) {
        if (o.status === "error" && o.error?.code === "rate_limited") note(name, o.error.retry_at);
      }
    }
  }
  return [...until].map(([name, at]) => ({ name, until: at }));
}
