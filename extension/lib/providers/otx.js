// AlienVault OTX facts (host/sentinelx/enrichment/providers/facts/otx.json) as display lines.
// Plain data only: the popup turns each line into DOM with textContent.

const TONE = { malicious: "bad", suspicious: "warn", clean: "good" };

const text = (v, max = 200) => (typeof v === "string" && v ? v.slice(0, max) : null);
const texts = (v) => (Array.isArray(v) ? v.map((s) => text(s)).filter(Boolean) : []);

function some(items, n) {
  return items.slice(0, n).join(", ") + (items.length > n ? ` +${items.length - n} more` : "");
}

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  const lines = [];
  const allow = Array.isArray(f.validation) ? f.validation.filter((v) => v && typeof v === "object") : [];
  if (allow.length) {
    const why = allow.map((v) => text(v.message) ?? text(v.source)).filter(Boolean);
    lines.push({ label: "Allow-listed", value: why.length ? some(why, 2) : "yes", tone: "good" });
  }
  const n = Number.isSafeInteger(f.pulse_count) && f.pulse_count >= 0 ? f.pulse_count : 0;
  if (n === 0) {
    lines.push({ label: "Pulses", value: "in no OTX pulse", tone: "muted" });
    return lines;
  }
  lines.push({ label: "Pulses", value: `in ${n} pulse${n === 1 ? "" : "s"}`, tone: TONE[result?.verdict] ?? "muted" });
  const families = texts(f.malware_families);
  if (families.length) {
    const line = { label: "Malware", value: some(families, 3) };
    lines.push(result?.verdict === "clean" ? line : { ...line, tone: "bad" });
  }
  const adversaries = texts(f.adversaries);
  if (adversaries.length) lines.push({ label: "Adversary", value: some(adversaries, 3) });
  const names = Array.isArray(f.pulses) ? f.pulses.map((p) => text(p?.name, 120)).filter(Boolean) : [];
  if (names.length) lines.push({ label: "Recent pulses", value: some(names, 2) });
  return lines;
}
