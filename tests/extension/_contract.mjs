// A fake SentinelX host that speaks the wave-2 contract (docs/design/providers.md) at protocol 3:
// pong with protocol and capabilities, extract (with the compact `previewed` after it when asked),
// preview, enrich in parts with per-(IOC, provider) results and the combined verdict, cancel,
// quota.reset, config.*. Used behind fakeNative().

export const PROTOCOL = 3;

export const PROVIDERS = [
  { name: "virustotal", label: "VirusTotal", types: ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256"],
    needs_key: "required", key_set: true, enabled: true, role: "verdict",
    sends: { ipv4: "the address", domain: "the domain", url: "the full URL", sha256: "the hash" }, paused_until: null },
  { name: "urlhaus", label: "URLhaus", types: ["url", "domain", "ipv4", "md5", "sha256"], needs_key: "optional",
    key_set: false, enabled: true, role: "verdict", sends: { url: "the full URL", domain: "the host" }, paused_until: null },
  { name: "internetdb", label: "Shodan InternetDB", types: ["ipv4"], needs_key: "none", key_set: false,
    enabled: true, role: "context", sends: { ipv4: "the address" }, paused_until: null },
  { name: "nvd", label: "NVD", types: ["cve"], needs_key: "optional", key_set: false, enabled: true, role: "cve",
    sends: { cve: "the CVE id" }, paused_until: null },
];

export const IOC_TYPES = ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email"];

export function pongMsg(id, { protocol = PROTOCOL, maxText = 1 << 20, providers = PROVIDERS, cliPath = null } = {}) {
  const msg = { id, type: "pong", version: "0.2.0",
    limits: { max_text_bytes: maxText, max_frame_bytes: 1 << 24, max_reply_bytes: 1 << 20 },
    capabilities: { providers, exports: ["csv", "json", "stix", "misp", "markdown", "text"], ioc_types: IOC_TYPES,
      private_rule: "RFC 1918 and friends", pivots: true } };
  if (cliPath) msg.capabilities.cli_path = cliPath;
  if (protocol !== null) msg.protocol = protocol;
  return msg;
}

export function ioc(type, value, extra = {}) {
  return { type, value, raw: extra.raw ?? value, offset: extra.offset ?? 0, private: extra.private ?? false };
}

const LABEL = Object.fromEntries(PROVIDERS.map((p) => [p.name, p.label]));

/** A provider's result object. */
export function providerResult(provider, verdict, extra = {}) {
  const p = PROVIDERS.find((x) => x.name === provider);
  return {
    provider, verdict, score: extra.score ?? (verdict === "malicious" ? 0.71 : 0), severity: extra.severity ?? "benign",
    summary: extra.summary ?? (verdict === "malicious" ? "12/73 engines" : ""), found: extra.found ?? verdict !== "no_data",
    role: p?.role ?? "verdict", facts: extra.facts ?? {}, link: extra.link ?? null,
    fetched_at: "2026-12-01T10:00:00Z",
  };
}

/** The combined rule of enrichment/policy.py, for the fake. */
export function combine(outcomes, pending) {
  const deciding = outcomes.filter((o) => o.status === "ok" && o.result.role === "verdict" && o.result.found);
  let verdict = "no_data";
  for (const v of ["malicious", "suspicious", "clean"]) {
    if (deciding.some((o) => o.result.verdict === v)) {
      verdict = v;
      break;
    }
  }
  const winners = deciding.filter((o) => o.result.verdict === verdict);
  const reason = verdict === "no_data" ? "" : `${verdict}: ${winners.map((o) => `${LABEL[o.provider]} ${o.result.summary}`.trim()).join("; ")}`;
  const cve = outcomes.find((o) => o.status === "ok" && o.result.role === "cve");
  return { verdict, score: Math.max(0, ...winners.map((o) => o.result.score)), severity: cve?.result.severity ?? "benign",
    reason, providers: Object.fromEntries(outcomes.map((o) => [o.provider, o.status === "ok" ? o.result.verdict : o.status])),
    pending, label: cve ? cve.result.summary : null };
}

/** Cut a list into `n` consecutive parts (the last ones may be empty), like the host's replies. */
export function cut(list, n) {
  const size = Math.ceil(list.length / n);
  return Array.from({ length: n }, (_, i) => list.slice(i * size, (i + 1) * size));
}

/**
 * The compact `previewed` body (PROTOCOL.md "preview", protocol 3) for these IOC refs: the
 * distinct plans, each IOC once with its plan's index, and the estimate. As the real host, a
 * provider that does not take the type is not listed; a private IOC is withheld unless allowed.
 */
export function previewedBody(refs, { iocs = [], providers = PROVIDERS, includePrivate = false, eta = 30 } = {}) {
  const plans = [];
  const index = new Map(); // JSON of a plan -> its index
  const out = refs.map((ref) => {
    const full = iocs.find((i) => i.type === ref.type && i.value === ref.value) ?? ioc(ref.type, ref.value);
    const rows = providers.filter((p) => p.types.includes(ref.type)).map((p) =>
      (full.private && !includePrivate ? { provider: p.name, action: "withheld", reason: "private" }
        : { provider: p.name, action: "send", sends: p.sends?.[ref.type] ?? ref.type }));
    const sig = JSON.stringify(rows);
    if (!index.has(sig)) {
      index.set(sig, plans.length);
      plans.push(rows);
    }
    return { type: ref.type, value: ref.value, plan: index.get(sig) };
  });
  const lanes = Object.fromEntries(providers.map((p) => [p.name, { lookups: out.filter((i) =>
    plans[i.plan].some((a) => a.provider === p.name && a.action === "send")).length, seconds: eta,
  remaining_today: null, paused_until: null }]));
  return { plans, iocs: out, estimate: {
    lookups: Object.values(lanes).reduce((n, l) => n + l.lookups, 0), seconds: eta, providers: lanes } };
}

/**
 * Send a `previewed` body in `parts` parts as the host does: `iocs` split, each part
 * self-contained (only the plans its IOCs use, numbered from 0 in it), `estimate` in every part.
 */
function sendPreviewed(reply, body, parts) {
  cut(body.iocs, parts).forEach((chunk, i) => {
    const own = new Map(); // plan index in body -> in this part
    const iocs = chunk.map((it) => {
      if (!own.has(it.plan)) own.set(it.plan, own.size);
      return { ...it, plan: own.get(it.plan) };
    });
    reply({ type: "previewed", part: i + 1, parts, plans: [...own.keys()].map((p) => body.plans[p]), iocs,
      estimate: body.estimate });
  });
}

/**
 * The host's behaviour for fakeNative(). verdicts: value -> {provider: verdict | result object}.
 * enrich: "all" | "first" (one IOC, then stop) | "none" (never answers).
 * extractParts / previewParts: how many parts those replies come in. previewError: an `error`
 * reply (this object) instead of the `previewed` that follows `extracted`.
 */
export function contractHost({ iocs = [], verdicts = {}, enrich = "all", log = [], maxText, protocol, cliPath,
  providers = PROVIDERS, previewEta = 30, extractParts = 1, previewParts = 1, previewError = null } = {}) {
  const partsById = new Map();
  // A request's whole `iocs` list (enrich, preview), or null while parts are still missing.
  const assembled = (req) => {
    if (!(Number.isInteger(req.parts) && req.parts > 1)) return req.iocs;
    const got = partsById.get(req.id) ?? new Map();
    got.set(req.part, req.iocs);
    partsById.set(req.id, got);
    if (got.size < req.parts) return null;
    partsById.delete(req.id);
    const all = [];
    for (let i = 1; i <= req.parts; i += 1) all.push(...got.get(i));
    return all;
  };
  return (req, port) => {
    log.push(req);
    const reply = (m) => port.deliver({ id: req.id, ...m });
    switch (req.type) {
      case "ping":
        port.deliver(pongMsg(req.id, { maxText, protocol, cliPath, providers }));
        break;
      case "extract": {
        cut(iocs, extractParts).forEach((chunk, i) =>
          reply({ type: "extracted", part: i + 1, parts: extractParts, iocs: chunk }));
        if (!req.preview) break;
        // Protocol 3: the preview of what an enrich would offer follows under the same id.
        if (previewError) {
          reply({ type: "error", ...previewError });
          break;
        }
        const includePrivate = req.preview.include_private === true;
        const offered = iocs.filter((i) => !i.private || includePrivate);
        sendPreviewed(reply, previewedBody(offered, { iocs, providers, includePrivate, eta: previewEta }), previewParts);
        break;
      }
      case "preview": {
        const asked = assembled(req);
        if (!asked) break;
        sendPreviewed(reply, previewedBody(asked, { iocs, providers, includePrivate: req.include_private === true,
          eta: previewEta }), previewParts);
        break;
      }
      case "enrich": {
        const refs = assembled(req);
        if (!refs) break;
        if (enrich === "none") break;
        const list = enrich === "first" ? refs.slice(0, 1) : refs;
        for (const ref of list) {
          const full = iocs.find((i) => i.type === ref.type && i.value === ref.value) ?? ioc(ref.type, ref.value);
          const asked = providers.filter((p) => p.types.includes(ref.type));
          const outcomes = [];
          asked.forEach((p, n) => {
            const v = verdicts[ref.value]?.[p.name] ?? "no_data";
            const outcome = typeof v === "object" && v.status ? { provider: p.name, ...v }
              : { provider: p.name, status: "ok", result: typeof v === "object" ? v : providerResult(p.name, v) };
            outcomes.push(outcome);
            reply({ type: "result", ioc: full, provider: p.name, status: outcome.status, reason: outcome.reason,
              cached: false, result: outcome.result, error: outcome.error, combined: combine(outcomes, asked.length - n - 1) });
          });
          if (!asked.length) {
            reply({ type: "result", ioc: full, provider: "virustotal", status: "skipped", reason: "unsupported",
              cached: false, combined: combine([], 0) });
          }
          reply({ type: "progress", done: 1, total: refs.length, queued: 0, waiting_for_quota: false,
            quota_state: "ok", next_slot_at: null });
        }
        if (enrich === "all") {
          reply({ type: "summary", total: list.length, cached: 0, cancelled: false, run_id: "run-1",
            counts: { malicious: 0, suspicious: 0, clean: 0, no_data: 0, skipped: 0, error: 0 }, providers: {} });
        }
        break;
      }
      case "cancel":
        reply({ type: "cancelled", target: req.target, found: true });
        port.deliver({ id: req.target, type: "summary", total: 0, cancelled: true,
          counts: { malicious: 0, suspicious: 0, clean: 0, no_data: 0, skipped: 0, error: 0 }, providers: {} });
        break;
      case "quota.reset":
        reply({ type: "quota", reset: req.provider ?? null });
        break;
      case "config.get":
        reply({ type: "config", settings: { "providers.virustotal.enabled": true }, keys: {} });
        break;
      default:
        reply({ type: "error", code: "unknown_type", message: `unknown type ${req.type}` });
    }
  };
}
