// EPSS facts -> popup lines. Facts: providers/facts/epss.json (epss, percentile: 0..1).

function ordinal(n) {
  const suffix = n % 100 >= 10 && n % 100 <= 20 ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return `${n}${suffix}`;
}

const unit = (v) => Number.isFinite(v) && v >= 0 && v <= 1;

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  if (!result?.found || !unit(f.epss) || !unit(f.percentile)) {
    return [{ label: "EPSS", value: "no EPSS score", tone: "muted" }];
  }
  const pct = Math.floor(f.percentile * 100);
  // Display only: FIRST defines no "high" threshold; the top decile is worth a look.
  const tone = f.percentile >= 0.9 ? "warn" : "muted";
  const lines = [
    { label: "EPSS", value: `${(f.epss * 100).toFixed(1)}% chance of exploitation in 30 days`, tone },
    { label: "Percentile", value: `${ordinal(pct)} percentile`, tone },
  ];
  if (typeof f.date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(f.date)) {
    lines.push({ label: "Scored on", value: f.date, tone: "muted" });
  }
  return lines;
}
