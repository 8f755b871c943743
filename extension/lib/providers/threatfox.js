// ThreatFox facts (host/sentinelx/enrichment/providers/facts/threatfox.json) as plain lines for the
// popup: [{label, value, tone?}], no DOM. Anything of an unexpected type is skipped, never shown raw.

const str = (v) => (typeof v === "string" && v ? v : null);
const int = (v) => (Number.isInteger(v) && v >= 0 ? v : null);
const strs = (v) => (Array.isArray(v) ? v.filter((s) => typeof s === "string" && s) : []);

const THREATS = { botnet_cc: "botnet C2", payload_delivery: "payload delivery", payload: "malware payload",
  cc_skimming: "card skimming" };
const TONE = { malicious: "bad", suspicious: "warn" };

export function render(facts, result) {
  const f = facts && typeof facts === "object" && !Array.isArray(facts) ? facts : {};
  if (f.query_status === "illegal_search_term") {
    return [{ label: "ThreatFox", value: "this value cannot be searched on ThreatFox", tone: "muted" }];
  }
  const rows = Array.isArray(f.iocs) ? f.iocs.filter((r) => r && typeof r === "object") : [];
  if (result?.found === false || !rows.length) {
    const aside = int(f.other_rows);
    return [{ label: "ThreatFox", value: aside ? `no exact match (${aside} other rows set aside)` : "not listed",
      tone: "muted" }];
  }
  const best = rows[0];
  const lines = [];
  const threat = str(best.threat_type);
  if (threat) lines.push({ label: "Threat", value: THREATS[threat] ?? threat.replaceAll("_", " "),
    tone: TONE[result?.verdict] ?? "warn" });
  const malware = strs(f.malware);
  if (malware.length) lines.push({ label: "Malware", value: malware.join(", ") });
  const conf = int(f.max_confidence) ?? int(best.confidence);
  if (conf !== null) lines.push({ label: "Confidence", value: `${conf}%`, tone: TONE[result?.verdict] });
  if (f.query === "search_hash") {
    const iocs = rows.map((r) => str(r.ioc)).filter(Boolean);
    lines.push({ label: "Seen with", value: iocs.slice(0, 5).join(", ") + (iocs.length > 5 ? ", …" : "") });
  } else if (str(best.ioc)) {
    lines.push({ label: "Listed as", value: str(best.ioc_type) ? `${best.ioc} (${best.ioc_type})` : best.ioc });
  }
  if (str(best.first_seen)) lines.push({ label: "First seen", value: best.first_seen });
  if (str(best.last_seen)) lines.push({ label: "Last seen", value: best.last_seen });
  const n = int(f.matches);
  if (n && n > 1) lines.push({ label: "Entries", value: String(n) });
  const tags = strs(best.tags);
  if (tags.length) lines.push({ label: "Tags", value: tags.slice(0, 12).join(", ") });
  return lines.map((l) => (l.tone ? l : { label: l.label, value: l.value }));
}
