// Turn failures into what the user should read and do: never a raw error string alone.
import { clockUtc, formatBytes, timeUntil } from "./format.js";

export const INSTALL_COMMANDS = ["./install/install.sh", "sentinelx doctor"];

/** Host error codes (error replies) mapped to our error kinds. */
const HOST_CODE_KIND = {
  text_too_large: "text_too_large",
  frame_too_large: "text_too_large",
  no_api_key: "no_api_key",
  origin_forbidden: "host_forbidden",
};

/** Error-kind object for an `error` reply from the host. */
export function fromHostReply(reply) {
  const kind = HOST_CODE_KIND[reply?.code] ?? "host_error";
  return { kind, code: reply?.code ?? "internal_error", message: String(reply?.message ?? "") };
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
          + "Install it once from the SentinelX folder, then check it:",
        commands: INSTALL_COMMANDS,
        hint: "Then restart the browser and try again. Snap and Flatpak browsers cannot start it; "
          + "`sentinelx doctor` says so.",
        action: "retry",
        detail: e.message || undefined,
      };
    case "host_forbidden":
      return {
        kind: e.kind,
        title: "The SentinelX helper does not accept this extension",
        text: "The native host is installed but is not registered for this extension's id. "
          + "Run the installer again from the SentinelX folder, then check it:",
        commands: INSTALL_COMMANDS,
        action: "retry",
        detail: e.message || undefined,
      };
    case "host_crashed":
      return {
        kind: e.kind,
        title: "The SentinelX helper stopped unexpectedly",
        text: "Results received so far are kept. Try again; if it keeps happening, run:",
        commands: ["sentinelx doctor"],
        action: "retry",
        detail: e.message || undefined,
      };
    case "timeout":
      return {
        kind: e.kind,
        title: "The SentinelX helper did not answer",
        text: "It may be busy or stuck. Try again; if it keeps happening, run:",
        commands: ["sentinelx doctor"],
        action: "retry",
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
        title: "No VirusTotal API key",
        text: "Set your VirusTotal API key in the SentinelX options to look indicators up. "
          + "The extraction still works without it.",
        action: "options",
      };
    case "auth":
      return {
        kind: e.kind,
        title: "VirusTotal rejected the API key",
        text: "Check the key in the SentinelX options (it may be mistyped, revoked or lack access).",
        action: "options",
      };
    case "quota_daily": {
      const at = clockUtc(e.retryAt);
      const until = timeUntil(e.retryAt, now);
      return {
        kind: e.kind,
        title: "Daily VirusTotal quota reached",
        text: at
          ? `Lookups resume at ${at}${until ? ` (in ${until})` : ""}. Queued indicators stay queued.`
          : "Lookups resume at 00:00 UTC. Queued indicators stay queued.",
      };
    }
    case "quota_minute": {
      const until = timeUntil(e.retryAt, now);
      return {
        kind: e.kind,
        title: "Per-minute VirusTotal quota reached",
        text: until ? `Next lookup in ${until}.` : "Next lookup within a minute.",
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
        text: e.message ? String(e.message) : "Something went wrong.",
        detail: e.code ? `code: ${e.code}` : undefined,
        action: "retry",
      };
  }
}

/**
 * A non-fatal alert derived from the streamed state: no key, bad key, quota.
 * Returns an error-kind object or null.
 */
export function sessionAlert(state) {
  if (!state) return null;
  if (state.error) return state.error;
  const p = state.progress;
  const open = state.phase === "enriching";
  if (p && open) {
    if (p.quota_state === "no_api_key") return { kind: "no_api_key" };
    if (p.quota_state === "auth_failed") return { kind: "auth" };
    if (p.quota_state === "daily_limit") return { kind: "quota_daily", retryAt: p.next_slot_at };
    // minute_limit is ordinary pacing and is shown in the progress line; rate_limited means
    // VirusTotal itself said the quota is exhausted.
    if (p.quota_state === "rate_limited") return { kind: "quota_minute", retryAt: p.next_slot_at };
  }
  for (const r of Object.values(state.results ?? {})) {
    if (r.status === "error" && r.error?.code === "auth") return { kind: "auth" };
    if (r.status === "error" && r.error?.code === "no_api_key") return { kind: "no_api_key" };
  }
  return null;
}
