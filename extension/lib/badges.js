// Every state an IOC can be in maps to one badge with a TEXT label (never colour alone).
import { iocKey } from "./keys.js";

export const BADGES = Object.freeze({
  malicious: { label: "Malicious", tone: "danger" },
  suspicious: { label: "Suspicious", tone: "warn" },
  clean: { label: "Clean", tone: "ok" },
  no_data: { label: "No data", tone: "neutral" },
  private: { label: "Private (not sent)", tone: "muted" },
  unsupported: { label: "Not supported", tone: "muted" },
  pending: { label: "Awaiting confirmation", tone: "info" },
  queued: { label: "Queued", tone: "info" },
  not_sent: { label: "Not sent", tone: "muted" },
  cancelled: { label: "Cancelled", tone: "muted" },
  error: { label: "Error", tone: "error" },
});

/** Display order of the per-verdict counts. */
export const BADGE_ORDER = [
  "malicious", "suspicious", "clean", "no_data", "queued", "pending",
  "private", "unsupported", "not_sent", "cancelled", "error",
];

const VERDICTS = new Set(["malicious", "suspicious", "clean", "no_data"]);

/** Badge key for one `result` message (status ok | skipped | error). */
export function badgeKeyForResult(result) {
  if (!result) return "queued";
  if (result.status === "ok") {
    const v = result.enrichment?.verdict;
    return VERDICTS.has(v) ? v : "error";
  }
  if (result.status === "skipped") {
    if (result.reason === "private") return "private";
    if (result.reason === "unsupported") return "unsupported";
    if (result.reason === "cancelled") return "cancelled";
    return "not_sent";
  }
  // status error
  const code = result.error?.code;
  if (code === "unsupported") return "unsupported";
  if (code === "cancelled") return "cancelled";
  return "error";
}

/**
 * Badge key for an IOC within a session state (see state.js):
 * a host result wins; otherwise the local plan (withheld reasons) and the session phase decide.
 */
export function badgeKeyFor(state, ioc) {
  const key = iocKey(ioc);
  const result = state.results?.[key];
  if (result) return badgeKeyForResult(result);
  const withheld = state.withheld?.[key];
  if (withheld === "private") return "private";
  if (withheld === "unsupported") return "unsupported";
  if (withheld) return "not_sent";
  switch (state.phase) {
    case "preview":
      return "pending";
    case "enriching":
      return "queued";
    case "cancelled":
      return "cancelled";
    default:
      return "not_sent";
  }
}

export function badge(key) {
  const b = BADGES[key] ?? BADGES.error;
  return { key: BADGES[key] ? key : "error", label: b.label, tone: b.tone };
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
