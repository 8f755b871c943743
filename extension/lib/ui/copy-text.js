// What the copy buttons put on the clipboard.
import { badge } from "../badges.js";
import { defang } from "../format.js";
import { reasonText } from "./rows.js";

function cell(v) {
  return String(v ?? "").replace(/[\t\r\n]+/g, " ");
}

/** Tab-separated, with a header row, one IOC per line in the order given. */
export function copyAllText(state, rows, { defanged = false } = {}) {
  const lines = ["value\ttype\tverdict\treason"];
  for (const r of rows) {
    const b = badge(r.badge, state.results[r.key]);
    const value = defanged ? defang(r.ioc.type, r.ioc.value) : r.ioc.value;
    lines.push([value, r.ioc.type, b.label, reasonText(state, r.key, r.badge)].map(cell).join("\t"));
  }
  return lines.join("\n");
}

/** The malicious values only, one per line (for a block list or a ticket). */
export function copyMaliciousText(rows, { defanged = false } = {}) {
  return rows.filter((r) => r.badge === "malicious")
    .map((r) => (defanged ? defang(r.ioc.type, r.ioc.value) : r.ioc.value)).join("\n");
}
