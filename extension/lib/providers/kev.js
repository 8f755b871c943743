// CISA KEV facts -> popup lines. Facts: providers/facts/kev.json. Absence is not
// "not exploited": it only means CISA has not listed it.

function str(v, max = 300) {
  return typeof v === "string" && v ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null;
}

const day = (v) => (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  if (!result?.found || f.known_exploited !== true) {
    const version = str(f.catalog_version, 40);
    return [{ label: "CISA KEV", value: `not listed${version ? ` (catalog ${version})` : ""}`, tone: "muted" }];
  }
  const lines = [];
  const added = day(f.date_added);
  lines.push({ label: "Known exploited", value: added ? `yes, listed ${added}` : "yes", tone: "bad" });
  const due = day(f.due_date);
  if (due) lines.push({ label: "Due date", value: due, tone: "warn" });
  lines.push(f.ransomware === true
    ? { label: "Ransomware", value: "known use in campaigns", tone: "bad" }
    : { label: "Ransomware", value: "unknown", tone: "muted" });
  const name = str(f.vulnerability_name, 200);
  if (name) lines.push({ label: "Vulnerability", value: name });
  const action = str(f.required_action, 300);
  if (action) lines.push({ label: "Required action", value: action, tone: "muted" });
  return lines;
}
