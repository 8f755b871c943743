// A desktop notification when a job ends while no popup is open.
import { countBadges } from "./badges.js";

export function notificationText(state) {
  const counts = countBadges(state);
  const parts = [];
  if (state.error) parts.push("stopped with an error");
  for (const k of ["malicious", "suspicious", "clean", "no_data", "error"]) {
    if (counts[k]) parts.push(`${counts[k]} ${k === "no_data" ? "no data" : k === "error" ? "failed" : k}`);
  }
  return `${state.iocs.length} indicators: ${parts.join(", ") || "nothing to report"}`;
}

export function notifyFinished(api, state) {
  if (!api.notifications || !state) return;
  try {
    const r = api.notifications.create(`sentinelx-${state.sid}`, {
      type: "basic", iconUrl: "icons/icon-128.png", title: "SentinelX", message: notificationText(state),
    });
    if (r && typeof r.catch === "function") r.catch(() => {});
  } catch {
    /* notifications are a nicety */
  }
}
