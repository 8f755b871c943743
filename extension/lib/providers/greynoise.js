// GreyNoise Community facts (host/sentinelx/enrichment/providers/facts/greynoise.json) as
// display lines. Plain data only: the popup turns each line into DOM with textContent.

const CLASS_TONE = { malicious: "bad", suspicious: "warn", benign: "good", unknown: "muted" };

const text = (v, max = 200) => (typeof v === "string" && v ? v.slice(0, max) : null);

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  const cls = text(f.classification, 32);
  if (!cls && f.noise !== true && f.riot !== true) {
    return [{ label: "GreyNoise", value: "not seen scanning, not a known service", tone: "muted" }];
  }
  const lines = [];
  if (cls) lines.push({ label: "Classification", value: cls, tone: CLASS_TONE[cls] ?? "muted" });
  if (f.riot === true) lines.push({ label: "Known business service", value: "yes (RIOT)", tone: "good" });
  if (f.noise === true) {
    lines.push({ label: "Mass scanner", value: "yes (internet noise)", tone: result?.verdict === "clean" ? "muted" : "warn" });
  }
  const name = text(f.name);
  if (name && name.toLowerCase() !== "unknown") lines.push({ label: "Actor", value: name });
  const seen = text(f.last_seen, 40);
  if (seen) lines.push({ label: "Last seen", value: seen });
  return lines;
}
