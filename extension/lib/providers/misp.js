// MISP facts -> popup lines. Facts: providers/facts/misp.json. result.summary carries the
// rule that decided (e.g. "IDS attribute in published event #42 (Emotet C2)").

function str(v, max = 200) {
  return typeof v === "string" && v ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null;
}

const count = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);
const MAX_EVENTS = 5;

export function render(facts, result) {
  const f = facts && typeof facts === "object" ? facts : {};
  const matches = count(f.matches);
  if (!result?.found || matches === 0) return [{ label: "MISP", value: "not in your MISP", tone: "muted" }];
  const tones = { malicious: "bad", suspicious: "warn", clean: "good" };
  const verdictTone = typeof result.verdict === "string" && Object.hasOwn(tones, result.verdict) ? tones[result.verdict] : "muted";
  const lines = [];
  const rule = str(result.summary, 300);
  if (rule) lines.push({ label: "Rule", value: rule, tone: verdictTone });
  lines.push({ label: "Matches", value: `${matches} attribute${matches === 1 ? "" : "s"}${f.truncated === true ? " (more not shown)" : ""}` });
  const events = Array.isArray(f.events) ? f.events.filter((e) => e && typeof e === "object") : [];
  for (const e of events.slice(0, MAX_EVENTS)) {
    const id = Number.isInteger(e.id) ? `#${e.id}` : "event";
    const parts = [e.published === true ? "published" : "not published"];
    const level = str(e.threat_level, 20);
    if (level) parts.push(`threat ${level}`);
    const org = str(e.org, 100);
    if (org) parts.push(org);
    lines.push({ label: `Event ${id}`, value: str(`${str(e.info) || "(no title)"} — ${parts.join(", ")}`, 300) });
  }
  const attrs = Array.isArray(f.attributes) ? f.attributes.filter((a) => a && typeof a === "object") : [];
  const ids = attrs.filter((a) => a.to_ids === true).length;
  lines.push({ label: "For IDS", value: `${ids} of ${attrs.length}`, tone: ids ? "warn" : "muted" });
  const tags = [...new Set(attrs.flatMap((a) => (Array.isArray(a.tags) ? a.tags : [])).filter((t) => typeof t === "string"))];
  if (tags.length) lines.push({ label: "Tags", value: str(tags.slice(0, 10).map((t) => str(t, 60)).join(", "), 300), tone: "muted" });
  const lists = [...new Set(attrs.flatMap((a) => (Array.isArray(a.warninglists) ? a.warninglists : [])).filter((t) => typeof t === "string"))];
  if (lists.length) lines.push({ label: "Warninglist", value: str(lists.slice(0, 3).map((t) => str(t, 100)).join("; "), 300), tone: "good" });
  const fps = attrs.reduce((n, a) => n + count(a.false_positives), 0);
  if (fps) lines.push({ label: "False positives", value: `${fps} sighting${fps === 1 ? "" : "s"}`, tone: "good" });
  const seen = attrs.reduce((n, a) => n + count(a.sightings), 0);
  if (seen) lines.push({ label: "Sightings", value: String(seen), tone: "muted" });
  return lines;
}
