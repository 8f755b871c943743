// Small pure formatting helpers used by the popup and the background.

export function utf8Bytes(text) {
  return new TextEncoder().encode(String(text ?? "")).length;
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return "?";
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function plural(n, unit) {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** "3 days ago" for an ISO date; null when there is no (valid) date. */
export function timeAgo(iso, now = Date.now()) {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return "just now";
  if (s < 60) return "just now";
  const m = Math.floor(s / 60);
  if (m < 60) return `${plural(m, "minute")} ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${plural(h, "hour")} ago`;
  const d = Math.floor(h / 24);
  if (d < 31) return `${plural(d, "day")} ago`;
  const mo = Math.floor(d / 30.44);
  if (mo < 12) return `${plural(Math.max(1, mo), "month")} ago`;
  return `${plural(Math.floor(d / 365.25), "year")} ago`;
}

/** "42 s", "3 min 5 s", "5 h 3 min" until an ISO time; null when unknown. */
export function timeUntil(iso, now = Date.now()) {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const s = Math.max(0, Math.ceil((t - now) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** "14:05 UTC" for an ISO time. */
export function clockUtc(iso) {
  const t = Date.parse(iso ?? "");
  if (Number.isNaN(t)) return null;
  const d = new Date(t);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")} UTC`;
}

/**
 * One line for the progress area, from the last `progress` message.
 * Examples: "next lookup in 42 s", "daily quota reached - resumes at 00:00 UTC (in 5 h)".
 */
export function quotaText(progress, now = Date.now()) {
  if (!progress) return "";
  const until = timeUntil(progress.next_slot_at, now);
  const when = until ? ` in ${until}` : "";
  switch (progress.quota_state) {
    case "daily_limit": {
      const at = clockUtc(progress.next_slot_at);
      return `daily quota reached${at ? ` - resumes at ${at}${until ? ` (in ${until})` : ""}` : ""}`;
    }
    case "minute_limit":
      return `per-minute quota reached - next lookup${when || " soon"}`;
    case "rate_limited":
      return `a source reported its quota exceeded - next try${when || " soon"}`;
    case "no_api_key":
      return "an API key is missing";
    case "auth_failed":
      return "an API key was rejected";
    default:
      if (progress.waiting_for_quota && until) return `next lookup in ${until}`;
      if (progress.queued > 0) return "looking up";
      return "";
  }
}

/** Defanged form for safe pasting into reports and chats. Hashes and CVEs are unchanged. */
export function defang(type, value) {
  const v = String(value);
  switch (type) {
    case "url": {
      const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(v);
      if (!m) return v.replace(/\./g, "[.]");
      const scheme = m[1].toLowerCase().replace(/^http/, "hxxp").replace(/^ftp/, "fxp");
      return `${scheme}[://]${m[2].replace(/\./g, "[.]").replace(/:/g, "[:]")}${m[3]}`;
    }
    case "domain":
    case "ipv4":
      return v.replace(/\./g, "[.]");
    case "ipv6":
      return v.replace(/:/g, "[:]");
    case "email":
      return v.replace(/@/g, "[@]").replace(/\./g, "[.]");
    default:
      return v;
  }
}
