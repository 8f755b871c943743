// Pure helpers of the history page (no DOM): the filter from the form, one row's display
// values, the page address. history.js builds the DOM from these with textContent only.

export const VERDICTS = ["malicious", "suspicious", "clean", "no_data"];
export const VERDICT_LABELS = { malicious: "Malicious", suspicious: "Suspicious", clean: "Clean",
  no_data: "No data" };
export const VERDICT_BADGES = { malicious: "badge-danger", suspicious: "badge-warn",
  clean: "badge-ok", no_data: "badge-neutral" };
export const IOC_TYPES = ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email"];
export const PAGE_SIZE = 100;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Local midnight of a yyyy-mm-dd day as ISO 8601 UTC, or null. */
export function dayStart(day, offsetDays = 0) {
  if (typeof day !== "string" || !DAY.test(day)) return null;
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(y, m - 1, d + offsetDays);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

/**
 * The host filter for the form's values. `until` is inclusive for the user (the whole day), so
 * the host gets the next day's midnight (its `until` is exclusive).
 */
export function filterFromForm({ search = "", verdicts = [], type = "", provider = "", since = "",
  until = "" } = {}) {
  const f = {};
  const q = String(search).trim().slice(0, 200);
  if (q) f.search = q;
  const v = verdicts.filter((x) => VERDICTS.includes(x));
  if (v.length && v.length < VERDICTS.length) f.verdicts = v;
  if (IOC_TYPES.includes(type)) f.types = [type];
  const p = String(provider).trim().toLowerCase();
  if (/^[a-z0-9_]{1,64}$/.test(p)) f.providers = [p];
  const s = dayStart(since);
  if (s) f.since = s;
  const u = dayStart(until, 1);
  if (u) f.until = u;
  return f;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** "2026-12-01 10:00" in local time for an ISO time; the ISO text itself if unparsable. */
export function localTime(iso) {
  const t = new Date(iso ?? "");
  if (Number.isNaN(t.getTime())) return String(iso ?? "");
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** What a history row shows, all plain strings. */
export function rowView(row) {
  const verdict = VERDICTS.includes(row?.verdict) ? row.verdict : "no_data";
  const providers = Object.entries(row?.providers ?? {})
    .filter(([name]) => typeof name === "string")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, state]) => ({ name, state: String(state) }));
  return {
    id: row.id,
    runId: row.run_id,
    time: localTime(row.time),
    type: String(row?.ioc?.type ?? ""),
    value: String(row?.ioc?.value ?? ""),
    verdict,
    verdictLabel: VERDICT_LABELS[verdict],
    badge: VERDICT_BADGES[verdict],
    reason: String(row?.reason || row?.label || ""),
    providers,
    providersText: providers.map((p) => `${p.name}: ${p.state.replace("_", " ")}`).join(", "),
    source: row?.source_title ? String(row.source_title) : "",
    url: typeof row?.source_url === "string" ? row.source_url : "",
  };
}

/** The run to reopen from the page address (#run=12), or null. */
export function runFromHash(hash) {
  const m = /^#run=(\d{1,15})$/.exec(String(hash ?? ""));
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** One line per provider of a full record (history.records): "VirusTotal: malicious, 12/73". */
export function providerLines(record) {
  const out = [];
  for (const r of Array.isArray(record?.results) ? record.results : []) {
    if (!r || typeof r !== "object") continue;
    const inner = r.result ?? (r.verdict ? r : null);
    const err = r.error ?? (r.code ? r : null);
    const name = String(r.provider ?? inner?.provider ?? err?.provider ?? "?");
    if (inner) {
      out.push({ name, text: [inner.verdict, inner.summary].filter(Boolean).join(", "),
        link: typeof inner.link === "string" && inner.link.startsWith("https://") ? inner.link : null });
    } else if (err) {
      out.push({ name, text: `error: ${err.code ?? "unknown"}`, link: null });
    } else if (r.status) {
      out.push({ name, text: `${r.status}${r.reason ? ` (${r.reason})` : ""}`, link: null });
    }
  }
  return out;
}
