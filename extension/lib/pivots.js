// Pivots: one-click link-outs from an IOC to other services (urlscan, Shodan, crt.sh, ...).
// No API and no request: nothing leaves the browser until the user opens a link, and opening
// one sends the value to that site (the menu must say so).
//
// API (pure functions unless marked async; no DOM):
//   PIVOT_TYPES                      the IOC types a pivot may serve
//   PIVOTS_KEY                       storage.local key of the user's pivot settings
//   refang(value) -> string          defanging removed: hxxp, [.], (.), [dot], [:], [@], [at]...
//   validateTemplate(template)       -> {ok: true, template} | {ok: false, error}
//                                     https:// only, a {value} placeholder after the host,
//                                     no credentials, no spaces or control characters
//   buildPivotUrl(template, value, {strip}?) -> string | null
//                                     the link, or null (bad template or empty value);
//                                     the value is refanged then encodeURIComponent'ed
//   parseBuiltinPivots(json)         -> services [{id, name, templates: {type: tpl}, strip?}]
//                                     (entries with a bad template are dropped, not trusted)
//   async loadBuiltinPivots(fetchFn = fetch, url = "data/pivots.json") -> services
//   sanitizePivotSettings(raw)       -> {disabled: [id], custom: [{id, name, types, template}]}
//   mergePivots(builtins, settings)  -> [{id, name, templates, strip?, builtin, enabled}]
//   pivotsFor(type, value, merged)   -> [{id, name, url}] for the enabled services of `type`
//   addCustomPivot(settings, {name, types, template}) -> {ok, settings} | {ok: false, error}
//   async loadPivotSettings(storageArea) / savePivotSettings(storageArea, settings)
//                                     browser.storage.local: these hold no secrets
// The popup builds its menu from pivotsFor() and sets each link with textContent/href only.

export const PIVOT_TYPES = Object.freeze(["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email"]);
export const PIVOTS_KEY = "sx.pivots";
export const MAX_TEMPLATE = 2048;
export const MAX_VALUE = 8192;
export const MAX_CUSTOM = 50;
const PLACEHOLDER = "{value}";
const ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

// Longest forms first so "[://]" is not half-replaced by "[:]".
const DEFANGS = [
  [/^hxxps/i, "https"], [/^hxxp/i, "http"], [/^fxp/i, "ftp"],
  [/\[:\/\/\]/g, "://"], [/\[\.\]/g, "."], [/\(\.\)/g, "."], [/\{\.\}/g, "."],
  [/\[dot\]/gi, "."], [/\(dot\)/gi, "."], [/\[:\]/g, ":"],
  [/\[@\]/g, "@"], [/\[at\]/gi, "@"], [/\(at\)/gi, "@"], [/\[\/\]/g, "/"],
];

export function refang(value) {
  let v = String(value ?? "").trim();
  for (const [pattern, plain] of DEFANGS) v = v.replace(pattern, plain);
  return v;
}

function fail(error) {
  return { ok: false, error };
}

export function validateTemplate(template) {
  if (typeof template !== "string" || !template) return fail("the template is empty");
  if (template.length > MAX_TEMPLATE) return fail(`the template is over ${MAX_TEMPLATE} characters`);
  // Printable ASCII only, no spaces: anything else is hiding something.
  if (!/^[\x21-\x7e]+$/.test(template)) return fail("the template has spaces, control or non-ASCII characters");
  if (!/^https:\/\//i.test(template)) return fail("only https:// templates are allowed");
  // URL parsers read "\\" as "/" in http(s) URLs: it could shift where the host ends.
  if (template.includes("\\")) return fail("the template cannot contain a backslash");
  if (!template.includes(PLACEHOLDER)) return fail("the template needs a {value} placeholder");
  const authority = /^https:\/\/([^/?#]*)/i.exec(template)[1];
  // The value must never decide where the link goes: it comes after the host, behind / ? or #.
  if (!authority || authority.includes("{") || authority.includes("}")) {
    return fail("{value} cannot be part of the host");
  }
  if (authority.includes("@")) return fail("the template cannot carry a user name or password");
  if (template.replaceAll(PLACEHOLDER, "").includes("{") || template.replaceAll(PLACEHOLDER, "").includes("}")) {
    return fail("{value} is the only placeholder");
  }
  let url;
  try {
    url = new URL(template.replaceAll(PLACEHOLDER, "x"));
  } catch {
    return fail("the template is not a valid URL");
  }
  if (url.protocol !== "https:" || !url.hostname || url.username || url.password) {
    return fail("the template must be a plain https:// address");
  }
  // Whatever the parser makes of it, the value must not change the host.
  if (hostOf(template) !== new URL(template.replaceAll(PLACEHOLDER, "y")).host) {
    return fail("{value} cannot be part of the host");
  }
  return { ok: true, template };
}

function hostOf(template) {
  return new URL(template.replaceAll(PLACEHOLDER, "x")).host;
}

export function buildPivotUrl(template, value, { strip } = {}) {
  if (!validateTemplate(template).ok) return null;
  let v = refang(value);
  if (typeof strip === "string" && strip && v.toLowerCase().startsWith(strip.toLowerCase())) v = v.slice(strip.length);
  if (!v || v.length > MAX_VALUE) return null;
  const link = template.replaceAll(PLACEHOLDER, encodeURIComponent(v));
  let url;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  // Belt and braces: encoding keeps the host, but never hand out a link that moved.
  if (url.protocol !== "https:" || url.host !== hostOf(template)) return null;
  return link;
}

function validTypes(types) {
  return Array.isArray(types) ? [...new Set(types.filter((t) => PIVOT_TYPES.includes(t)))] : [];
}

function cleanName(name) {
  return typeof name === "string" ? name.replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 60) : "";
}

export function parseBuiltinPivots(json) {
  const services = json && Array.isArray(json.services) ? json.services : [];
  const out = [];
  const seen = new Set();
  for (const s of services) {
    if (!s || typeof s !== "object" || typeof s.id !== "string" || !ID.test(s.id) || seen.has(s.id)) continue;
    const name = cleanName(s.name);
    const templates = {};
    for (const type of PIVOT_TYPES) {
      const tpl = s.templates && Object.hasOwn(s.templates, type) ? s.templates[type] : undefined;
      if (validateTemplate(tpl).ok) templates[type] = tpl;
    }
    if (!name || !Object.keys(templates).length) continue;
    seen.add(s.id);
    const entry = { id: s.id, name, templates };
    if (typeof s.strip === "string" && /^[A-Za-z-]{1,10}$/.test(s.strip)) entry.strip = s.strip;
    out.push(entry);
  }
  return out;
}

export async function loadBuiltinPivots(fetchFn = globalThis.fetch, url = "data/pivots.json") {
  try {
    const resp = await fetchFn(url);
    return parseBuiltinPivots(await resp.json());
  } catch {
    return [];
  }
}

export const DEFAULT_PIVOT_SETTINGS = Object.freeze({ disabled: [], custom: [] });

function sanitizeCustom(c) {
  if (!c || typeof c !== "object") return null;
  const name = cleanName(c.name);
  const types = validTypes(c.types);
  if (!name || !types.length || !validateTemplate(c.template).ok) return null;
  const id = typeof c.id === "string" && /^custom-[a-z0-9]{1,24}$/.test(c.id) ? c.id : null;
  return id ? { id, name, types, template: c.template } : null;
}

export function sanitizePivotSettings(raw) {
  const r = raw && typeof raw === "object" ? raw : {};
  const disabled = Array.isArray(r.disabled)
    ? [...new Set(r.disabled.filter((d) => typeof d === "string" && (ID.test(d) || /^custom-[a-z0-9]{1,24}$/.test(d))))].slice(0, 500)
    : [];
  const custom = [];
  const ids = new Set();
  for (const c of Array.isArray(r.custom) ? r.custom : []) {
    const clean = sanitizeCustom(c);
    if (clean && !ids.has(clean.id) && custom.length < MAX_CUSTOM) {
      ids.add(clean.id);
      custom.push(clean);
    }
  }
  return { disabled, custom };
}

export function mergePivots(builtins, settings) {
  const s = sanitizePivotSettings(settings);
  const off = new Set(s.disabled);
  const merged = (Array.isArray(builtins) ? builtins : []).map((b) => ({ ...b, builtin: true, enabled: !off.has(b.id) }));
  for (const c of s.custom) {
    const templates = Object.fromEntries(c.types.map((t) => [t, c.template]));
    merged.push({ id: c.id, name: c.name, templates, builtin: false, enabled: !off.has(c.id) });
  }
  return merged;
}

export function pivotsFor(type, value, merged) {
  if (!PIVOT_TYPES.includes(type)) return [];
  const out = [];
  for (const s of Array.isArray(merged) ? merged : []) {
    if (!s?.enabled || !s.templates || !Object.hasOwn(s.templates, type)) continue;
    const url = buildPivotUrl(s.templates[type], value, { strip: s.strip });
    if (url) out.push({ id: s.id, name: s.name, url });
  }
  return out;
}

export function addCustomPivot(settings, { name, types, template }) {
  const s = sanitizePivotSettings(settings);
  const check = validateTemplate(template);
  if (!check.ok) return check;
  if (!cleanName(name)) return fail("give the service a name");
  if (!validTypes(types).length) return fail("pick at least one IOC type");
  if (s.custom.length >= MAX_CUSTOM) return fail(`at most ${MAX_CUSTOM} custom services`);
  const used = new Set(s.custom.map((c) => c.id));
  let n = s.custom.length + 1;
  while (used.has(`custom-${n}`)) n += 1;
  const entry = { id: `custom-${n}`, name: cleanName(name), types: validTypes(types), template };
  return { ok: true, settings: { ...s, custom: [...s.custom, entry] } };
}

export async function loadPivotSettings(storageArea) {
  try {
    const got = await storageArea.get(PIVOTS_KEY);
    return sanitizePivotSettings(got?.[PIVOTS_KEY]);
  } catch {
    return { disabled: [], custom: [] };
  }
}

export async function savePivotSettings(storageArea, settings) {
  const clean = sanitizePivotSettings(settings);
  await storageArea.set({ [PIVOTS_KEY]: clean });
  return clean;
}
