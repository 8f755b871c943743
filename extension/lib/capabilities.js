// What the host says it can do (pong.capabilities): providers, IOC types, export formats.
// The extension keeps no copy of per-type or per-provider knowledge; it reads it from here.

const NAME = /^[a-z0-9_]+$/;

function provider(raw) {
  if (!raw || typeof raw.name !== "string" || !NAME.test(raw.name)) return null;
  return {
    name: raw.name,
    label: typeof raw.label === "string" && raw.label ? raw.label : raw.name,
    types: Array.isArray(raw.types) ? raw.types.filter((t) => typeof t === "string") : [],
    needsKey: ["required", "optional", "none"].includes(raw.needs_key) ? raw.needs_key : "none",
    keySet: raw.key_set === true,
    enabled: raw.enabled !== false,
    role: ["verdict", "context", "cve"].includes(raw.role) ? raw.role : "verdict",
    sends: raw.sends && typeof raw.sends === "object" ? raw.sends : {},
    pausedUntil: typeof raw.paused_until === "string" ? raw.paused_until : null,
    settings: (Array.isArray(raw.settings) ? raw.settings : []).filter((x) => x && typeof x.name === "string"
      && NAME.test(x.name) && ["text", "number", "boolean"].includes(x.kind))
      .map((x) => ({ name: x.name, kind: x.kind, help: typeof x.help === "string" ? x.help : x.name, default: x.default ?? null })),
  };
}

/** Plain-JSON capabilities (they travel to the popup and into storage.session). */
export function readCapabilities(pong) {
  const c = pong?.capabilities ?? {};
  const providers = (Array.isArray(c.providers) ? c.providers : []).map(provider).filter(Boolean);
  return {
    providers,
    exports: Array.isArray(c.exports) ? c.exports.filter((f) => typeof f === "string" && NAME.test(f)) : [],
    iocTypes: Array.isArray(c.ioc_types) ? c.ioc_types.filter((t) => typeof t === "string") : [],
    privateRule: typeof c.private_rule === "string" ? c.private_rule : "",
    pivots: c.pivots !== false,
    cliPath: typeof c.cli_path === "string" && c.cli_path ? c.cli_path : null,
  };
}

export function emptyCapabilities() {
  return readCapabilities({});
}

export function providerInfo(caps, name) {
  return caps?.providers?.find((p) => p.name === name) ?? null;
}

export function providerLabel(caps, name) {
  return providerInfo(caps, name)?.label ?? name;
}

/** A command the user can paste as printed: the full path of `sentinelx` when the host gave it. */
export function cliCommand(caps, args) {
  const path = caps?.cliPath;
  if (!path) return null;
  const quoted = /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
  return `${quoted} ${args}`;
}
