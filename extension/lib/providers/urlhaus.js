// URLhaus facts (host/sentinelx/enrichment/providers/facts/urlhaus.json) as plain lines for the
// popup: [{label, value, tone?}], no DOM. Facts are validated by the host; still, anything of an
// unexpected type is skipped here, never shown raw.

import { formatBytes } from "../format.js";

const str = (v) => (typeof v === "string" && v ? v : null);
const int = (v) => (Number.isInteger(v) && v >= 0 ? v : null);
const strs = (v) => (Array.isArray(v) ? v.filter((s) => typeof s === "string" && s) : []);
const words = (s) => s.replaceAll("_", " ");

const STATUS_TONE = { online: "bad", offline: "warn", unknown: "muted" };

function blacklistLines(b) {
  const out = [];
  const dbl = str(b?.spamhaus_dbl);
  if (dbl && dbl !== "not listed") {
    const legit = dbl.startsWith("abused_legit") || dbl === "abused_redirector";
    out.push({ label: "Spamhaus DBL", value: legit ? `${words(dbl)} (abused legitimate service)` : words(dbl),
      tone: legit ? "muted" : "bad" });
  }
  if (str(b?.surbl) === "listed") out.push({ label: "SURBL", value: "listed", tone: "warn" });
  return out;
}

function urlLines(f) {
  const lines = [];
  const status = str(f.url_status);
  if (status) lines.push({ label: "Status", value: status, tone: STATUS_TONE[status] ?? "muted" });
  if (str(f.threat)) lines.push({ label: "Threat", value: words(f.threat) });
  if (str(f.date_added)) lines.push({ label: "Added", value: f.date_added });
  if (str(f.last_online)) lines.push({ label: "Last online", value: f.last_online });
  const n = int(f.payloads);
  if (n) {
    const sigs = strs(f.signatures);
    lines.push({ label: "Payloads", value: sigs.length ? `${n} (${sigs.join(", ")})` : String(n) });
  }
  return lines;
}

function hostLines(f) {
  const lines = [];
  const total = int(f.url_count) ?? 0;
  const online = int(f.urls_online) ?? 0;
  lines.push({ label: "Malware URLs", value: online ? `${total} (${online} online)` : `${total}, none online`,
    tone: online ? "bad" : "warn" });
  if (str(f.firstseen)) lines.push({ label: "First seen", value: f.firstseen });
  const threats = strs(f.threats);
  if (threats.length) lines.push({ label: "Threats", value: threats.map(words).join(", ") });
  return lines;
}

function payloadLines(f) {
  const lines = [];
  if (str(f.signature)) lines.push({ label: "Family", value: f.signature, tone: "bad" });
  if (str(f.file_type)) lines.push({ label: "File type", value: f.file_type });
  if (int(f.file_size) !== null) lines.push({ label: "Size", value: formatBytes(f.file_size) });
  if (str(f.firstseen)) lines.push({ label: "First seen", value: f.firstseen });
  if (int(f.url_count)) lines.push({ label: "Served by", value: `${f.url_count} URLs` });
  return lines;
}

export function render(facts, result) {
  const f = facts && typeof facts === "object" && !Array.isArray(facts) ? facts : {};
  if (result?.found === false || !f.kind) {
    return [{ label: "URLhaus", value: "not listed (URLhaus tracks malware distribution only)", tone: "muted" }];
  }
  const body = f.kind === "url" ? urlLines(f) : f.kind === "host" ? hostLines(f)
    : f.kind === "payload" ? payloadLines(f) : [];
  const tags = strs(f.tags);
  if (tags.length) body.push({ label: "Tags", value: tags.slice(0, 12).join(", ") });
  return [...body, ...blacklistLines(f.blacklists)];
}
