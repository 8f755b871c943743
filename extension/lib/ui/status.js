// The one-line status of a session (progress area and the screen-reader live region).
import { quotaText } from "../format.js";
import { isSettled } from "../state.js";

const PHASE_TEXT = {
  reading: "Reading the selection\u2026",
  extracting: "Extracting indicators\u2026",
  preview: "Review what will be sent",
  enriching: "Looking up indicators\u2026",
  done: "Done",
  cancelled: "Cancelled",
  error: "Stopped",
};

/** How the sent IOCs fared: answered by at least one source, failed everywhere, still open. */
export function outcomeCounts(state) {
  let answered = 0;
  let failed = 0;
  let open = 0;
  for (const k of state.send) {
    const e = state.results[k];
    if (!isSettled(e)) {
      open += 1;
      continue;
    }
    const outcomes = Object.values(e.providers ?? {});
    if (outcomes.some((o) => o.status === "ok")) answered += 1;
    else if (outcomes.some((o) => o.status === "error")) failed += 1;
    else answered += 1; // skipped everywhere: nothing to report, but not a failure
  }
  return { answered, failed, open, total: state.send.length };
}

/** @param counts optional precomputed outcomeCounts (the popup keeps them per IOC). */
export function statusLine(state, now = Date.now(), counts = null) {
  if (!state) return "Nothing enriched yet.";
  const total = state.send.length;
  const { answered, failed, open } = counts ?? outcomeCounts(state);
  let head = PHASE_TEXT[state.phase] ?? state.phase;
  if (state.phase === "extracting" && state.iocs.length) {
    const n = state.iocs.length;
    head = `Found ${n} indicator${n === 1 ? "" : "s"}; checking what would be sent\u2026`;
  }
  if (state.phase === "done" && total > 0 && answered === 0 && failed > 0) head = "Stopped";
  const parts = [head];
  if (total && (state.phase === "enriching" || TERMINAL.has(state.phase))) {
    if (answered === 0 && failed > 0 && open === 0) parts.push(`none of ${total} could be looked up`);
    else parts.push(`${answered} of ${total} looked up`);
    if (failed && (answered > 0 || open > 0)) parts.push(`${failed} failed`);
  }
  const p = state.progress;
  if (state.phase === "enriching" && p) {
    const q = quotaText(p, now);
    if (q) parts.push(q);
  }
  if (state.cancelling) parts.push("cancelling\u2026");
  return parts.join(" \u00b7 ");
}

const TERMINAL = new Set(["done", "cancelled", "error"]);
