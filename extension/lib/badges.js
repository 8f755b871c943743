// Every state an IOC can be in maps to one badge with a TEXT label (never colour alone).
// The verdict is the host's combined verdict; "not found" (no_data) is never shown as clean,
// and context-only providers never make a verdict (the host's rule, docs/design/providers.md).
import { iocKey } from "./keys.js";
import { sendSet } from "./state.js";

export const BADGES = Object.freeze({
  malicious: { label: "Malicious", tone: "danger" },
  suspicious: { label: "Suspicious", tone: "warn" },
  cve: { label: "CVE", tone: "info" },
  clean: { label: "Clean", tone: "ok" },
  no_data: { label: "No data", tone: "neutral" },
  error: { label: "Error", tone: "error" },
  queued: { label: "Looking up", tone: "info" },
  pending: { label: "Awaiting confirmation", tone: "info" },
  no_key: { label: "No API key", tone: "muted" },
  never_send: { label: "Never sent (your list)", tone: "muted" },
  private: { label: "Private (not sent)", tone: "muted" },
  unsupported: { label: "No source for this type", tone: "muted" },
  not_sent: { label: "Not sent", tone: "muted" },
  cancelled: { label: "Cancelled", tone: "muted" },
});

/** Order of the count chips, and of the default sort (malicious first). */
export const BADGE_ORDER = [
  "malicious", "suspicious", "cve", "error", "queued", "pending", "clean", "no_data",
  "no_key", "never_send", "private", "unsupported", "not_sent", "cancelled",
];

const VERDICTS = new Set(["malicious", "suspicious", "clean", "no_data"]);
const SKIP_BADGE = { private: "private", unsupported: "unsupported", never_send: "never_send",
  no_api_key: "no_key", disabled: "not_sent", cancelled: "cancelled", deselected: "not_sent" };

/** The badge of a settled or partly answered IOC from its per-provider outcomes. */
export function badgeKeyForEntry(entry, phase = "done") {
  const c = entry?.combined;
  const v = c?.verdict;
  // First, the common case that needs no pass over the outcomes (the CVE case is a no_data one).
  if (v === "malicious" || v === "suspicious" || v === "clean") return v;
  const outcomes = Object.values(entry?.providers ?? {});
  if (c && (c.label || c.severity) && v === "no_data" && outcomes.some((o) => o.result?.role === "cve")) {
    return "cve";
  }
  if (c && c.pending > 0) return phase === "enriching" ? "queued" : "cancelled";
  if (outcomes.some((o) => o.status === "ok")) return "no_data";
  if (outcomes.length && outcomes.every((o) => o.status === "error")) {
    return outcomes.every((o) => o.error?.code === "cancelled") ? "cancelled" : "error";
  }
  const skipped = outcomes.filter((o) => o.status === "skipped");
  if (skipped.length && skipped.length === outcomes.length) {
    const reasons = new Set(skipped.map((o) => o.reason));
    for (const r of ["private", "never_send", "no_api_key", "unsupported", "disabled", "cancelled"]) {
      if (reasons.has(r) && reasons.size === 1) return SKIP_BADGE[r];
    }
    if (reasons.has("private")) return "private";
    if (reasons.has("never_send")) return "never_send";
    if (reasons.has("no_api_key")) return "no_key";
    return "not_sent";
  }
  if (outcomes.some((o) => o.status === "error")) return "error";
  if (VERDICTS.has(v)) return v;
  return phase === "enriching" ? "queued" : "not_sent";
}

/**
 * Badge key for an IOC within a session state (see state.js): host results win; otherwise the
 * local plan (withheld reasons) and the session phase decide. `key`: the IOC's key when the
 * caller has it (a 5,000-IOC list builds each key string once).
 */
export function badgeKeyFor(state, ioc, key = iocKey(ioc)) {
  const entry = state.results?.[key];
  if (entry && Object.keys(entry.providers ?? {}).length) return badgeKeyForEntry(entry, state.phase);
  const withheld = state.withheld?.[key];
  if (withheld) return SKIP_BADGE[withheld] ?? (withheld === "no_provider" ? "unsupported" : "not_sent");
  switch (state.phase) {
    case "preview":
      return "pending";
    case "enriching":
      return sendSet(state).has(key) ? "queued" : "not_sent";
    case "cancelled":
      return "cancelled";
    default:
      return "not_sent";
  }
}

/** The badge to show: label and tone; a CVE shows the host's label ("Critical 9.8 · Known exploited"). */
export function badge(key, entry = null) {
  const b = BADGES[key] ?? BADGES.error;
  const out = { key: BADGES[key] ? key : "error", label: b.label, tone: b.tone };
  if (key === "cve") {
    const c = entry?.combined;
    if (typeof c?.label === "string" && c.label) out.label = c.label.slice(0, 80);
    const sev = c?.severity;
    out.tone = sev === "critical" || sev === "high" ? "danger" : sev === "medium" ? "warn" : "info";
  }
  return out;
}

/** Counts per badge key over all IOCs of a session. */
export function countBadges(state) {
  const counts = {};
  for (const ioc of state.iocs ?? []) {
    const k = badgeKeyFor(state, ioc);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
