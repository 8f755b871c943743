// NVD facts -> popup lines (plain data; the popup sets them with textContent only).
// Facts: providers/facts/nvd.json. Values are checked here too: a renderer never throws.

const SEVERITY_TONE = { critical: "bad", high: "bad", medium: "warn", low: "muted", none: "muted" };

function str(v, max = 300) {
  return typeof v === "string" && v ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null;
}

function day(v) {
  const s = str(v, 40);
  return s && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : null;
}

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  if (!result?.found) return [{ label: "NVD", value: "not in NVD", tone: "muted" }];
  const lines = [];
  const sev = typeof f.cvss_severity === "string" && Object.hasOwn(SEVERITY_TONE, f.cvss_severity) ? f.cvss_severity : null;
  const score = Number.isFinite(f.cvss_score) ? f.cvss_score : null;
  if (f.rejected === true) {
    lines.push({ label: "Status", value: "Rejected (withdrawn CVE id)", tone: "muted" });
  } else if (sev && score !== null) {
    const version = str(f.cvss_version, 8);
    lines.push({
      label: "CVSS",
      value: `${sev[0].toUpperCase()}${sev.slice(1)} ${score.toFixed(1)}${version ? ` (v${version})` : ""}`,
      tone: SEVERITY_TONE[sev],
    });
  } else {
    lines.push({ label: "CVSS", value: "not scored yet", tone: "muted" });
  }
  const status = str(f.vuln_status, 64);
  if (status && f.rejected !== true) lines.push({ label: "Status", value: status, tone: "muted" });
  const published = day(f.published);
  if (published) lines.push({ label: "Published", value: published });
  const description = str(f.description, 300);
  if (description) lines.push({ label: "Description", value: description });
  const vector = str(f.cvss_vector, 200);
  if (vector) lines.push({ label: "Vector", value: vector, tone: "muted" });
  const cwes = Array.isArray(f.cwes) ? f.cwes.filter((c) => typeof c === "string" && c).slice(0, 5).map((c) => str(c, 24)) : [];
  if (cwes.length) lines.push({ label: "Weakness", value: cwes.join(", "), tone: "muted" });
  return lines;
}
