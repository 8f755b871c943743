// Shodan InternetDB facts (host/sentinelx/enrichment/providers/facts/internetdb.json) as
// display lines: exposure context, never a verdict. Plain data only (textContent in the popup).

const text = (v, max = 200) => (typeof v === "string" && v ? v.slice(0, max) : null);
const texts = (v) => (Array.isArray(v) ? v.map((s) => text(s)).filter(Boolean) : []);

function some(items, n) {
  return items.slice(0, n).join(", ") + (items.length > n ? ` +${items.length - n} more` : "");
}

export function render(facts, _result) {
  const f = facts && typeof facts === "object" ? facts : {};
  const ports = Array.isArray(f.ports) ? f.ports.filter((p) => Number.isInteger(p) && p >= 0 && p <= 65535) : [];
  const vulns = texts(f.vulns);
  const tags = texts(f.tags);
  const hostnames = texts(f.hostnames);
  const cpes = texts(f.cpes);
  if (!ports.length && !vulns.length && !tags.length && !hostnames.length && !cpes.length) {
    return [{ label: "Shodan", value: "no information available", tone: "muted" }];
  }
  const lines = [];
  if (ports.length) lines.push({ label: "Open ports", value: some(ports.map(String), 10) });
  if (vulns.length) lines.push({ label: "Known CVEs", value: `${vulns.length}: ${some(vulns, 3)}`, tone: "warn" });
  if (tags.length) lines.push({ label: "Tags", value: some(tags, 5) });
  if (hostnames.length) lines.push({ label: "Hostnames", value: some(hostnames, 3) });
  if (cpes.length) lines.push({ label: "Software", value: some(cpes, 3), tone: "muted" });
  return lines;
}
