// The toolbar icon's badge: how many indicators are malicious in the current session.
import { badgeKeyFor } from "./badges.js";

export function maliciousCount(state) {
  return state ? state.iocs.filter((i) => badgeKeyFor(state, i) === "malicious").length : 0;
}

export function updateActionBadge(api, state) {
  const action = api.action;
  if (!action?.setBadgeText) return;
  const n = maliciousCount(state);
  try {
    const r1 = action.setBadgeText({ text: n ? String(n) : "" });
    const r2 = n ? action.setBadgeBackgroundColor?.({ color: "#b3261e" }) : null;
    for (const r of [r1, r2]) if (r && typeof r.catch === "function") r.catch(() => {});
  } catch {
    /* not important */
  }
}
