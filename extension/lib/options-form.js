// The options page's logic without the DOM: reading the host's settings per provider, checking
// what the user typed before it goes to the host, and the words for a key's state.

/** A provider's current settings from a config reply (names as `sentinelx config set` takes them). */
export function providerSettings(settings, name, cap = null) {
  const s = settings ?? {};
  const get = (k) => s[`providers.${name}.${k}`];
  const enabled = get("enabled");
  return {
    enabled: typeof enabled === "boolean" ? enabled : cap?.enabled !== false,
    perMinute: Number.isInteger(get("requests_per_minute")) ? get("requests_per_minute") : null,
    perDay: Number.isInteger(get("requests_per_day")) ? get("requests_per_day") : null,
  };
}

/** The key state of a provider from a config reply; `api_key` is the pre-wave-2 VirusTotal field. */
export function keyInfo(reply, name) {
  const k = reply?.keys?.[name] ?? (name === "virustotal" ? reply?.api_key : null);
  if (!k || typeof k !== "object") return { set: false, masked: null, source: null };
  return { set: k.set === true, masked: typeof k.masked === "string" ? k.masked : null,
    source: typeof k.source === "string" ? k.source : null };
}

export function keyStatusText(info, needsKey) {
  if (info.set) {
    const where = info.source === "env" ? " (from the helper's environment)" : " (stored by the helper)";
    return `Key set: ${info.masked ?? "****"}${where}`;
  }
  return needsKey === "optional" ? "No key (optional: the free tier works without one)" : "No key set";
}

/** What the host said about the saved key (its cheap check), in words. */
export function keyCheckText(check) {
  if (!check || typeof check !== "object") return "Key saved by the helper.";
  const msg = typeof check.message === "string" && check.message ? ` ${check.message.slice(0, 200)}` : "";
  switch (check.status) {
    case "ok":
      return "Key saved and accepted by the source.";
    case "rejected":
      return `Key saved, but the source rejected it.${msg}`;
    case "unchecked":
      return `Key saved. This source offers no cheap check; the first lookup will tell.${msg}`;
    default:
      return `Key saved; the check could not run.${msg}`;
  }
}

/** A whole number in [min, max], or an error sentence; blank is an error, never 0. */
export function wholeNumber(raw, label, { min = 0, max = 1e9 } = {}) {
  const text = String(raw ?? "").trim();
  if (!text) return { error: `${label}: enter a number.` };
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) return { error: `${label}: a whole number from ${min} to ${max}.` };
  return { value: n };
}

/** A positive number of hours (decimals allowed); blank is an error (it would turn the cache off). */
export function hours(raw, label) {
  const text = String(raw ?? "").trim();
  if (!text) return { error: `${label}: enter a number of hours.` };
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 8760) return { error: `${label}: more than 0 and at most 8760.` };
  return { value: n };
}

/** The never-send list from the text box: one domain, address or network per line. */
export function neverSendList(text) {
  return [...new Set(String(text ?? "").split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean))];
}

/** Human words for what a provider receives, per IOC type (its `sends`). */
export function sendsText(sends) {
  const parts = Object.entries(sends ?? {}).map(([type, what]) => `${type}: ${what}`);
  return parts.join("; ");
}
