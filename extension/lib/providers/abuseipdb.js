// AbuseIPDB facts (host/sentinelx/enrichment/providers/facts/abuseipdb.json) as display lines.
// Plain data only: the popup turns each line into DOM with textContent.

const TONE = { malicious: "bad", suspicious: "warn", clean: "good" };

const text = (v, max = 200) => (typeof v === "string" && v ? v.slice(0, max) : null);
const count = (v) => (Number.isSafeInteger(v) && v >= 0 ? v : null);
const day = (v) => (text(v, 40) && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null);

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  if (f.is_public === false) return [{ label: "Address", value: "not public: not looked up", tone: "muted" }];
  const lines = [];
  const score = count(f.score);
  if (score !== null) {
    lines.push({ label: "Abuse score", value: `${Math.min(score, 100)}/100`, tone: TONE[result?.verdict] ?? "muted" });
  }
  const reports = count(f.total_reports);
  if (reports !== null) {
    const users = count(f.distinct_users);
    const from = users ? ` from ${users} user${users === 1 ? "" : "s"}` : "";
    lines.push(reports ? { label: "Reports", value: `${reports}${from}` } : { label: "Reports", value: "none", tone: "muted" });
  }
  const last = day(f.last_reported_at);
  if (last) lines.push({ label: "Last reported", value: last });
  if (f.whitelisted === true) lines.push({ label: "Allow-listed", value: "yes (AbuseIPDB whitelist)", tone: "good" });
  if (f.is_tor === true) lines.push({ label: "Tor exit node", value: "yes", tone: "warn" });
  for (const [key, label] of [["isp", "ISP"], ["usage_type", "Usage"], ["country_code", "Country"], ["domain", "Domain"]]) {
    const v = text(f[key]);
    if (v) lines.push({ label, value: v });
  }
  const hosts = Array.isArray(f.hostnames) ? f.hostnames.map((h) => text(h)).filter(Boolean) : [];
  if (hosts.length) lines.push({ label: "Hostnames", value: hosts.slice(0, 3).join(", ") + (hosts.length > 3 ? ` +${hosts.length - 3} more` : "") });
  return lines;
}
