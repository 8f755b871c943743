// Per-provider lines of an IOC's details. Each provider's renderer is one module,
// lib/providers/<name>.js, exporting render(facts, result) -> [{label, value, tone?}] (plain
// data, no DOM). It is loaded by name with a dynamic import(); a missing or broken one falls back
// to the generic renderer, so adding a provider adds files and touches nothing here.

const NAME = /^[a-z0-9_]+$/;
const TONES = new Set(["bad", "warn", "good", "muted"]);
const MAX_LINES = 12;
const loaded = new Map(); // name -> render function | null (settled)
const loading = new Map(); // name -> Promise

/** Where the renderer of `name` lives, or null for a name that is not a plain identifier. */
export function rendererPath(name) {
  return typeof name === "string" && NAME.test(name) ? `../providers/${name}.js` : null;
}

/** Load a provider's renderer once; resolves with it or null (generic fallback). */
export function loadRenderer(name, importer = (path) => import(path)) {
  if (loaded.has(name)) return Promise.resolve(loaded.get(name));
  if (loading.has(name)) return loading.get(name);
  const path = rendererPath(name);
  const p = (path ? importer(path) : Promise.reject(new Error("bad name")))
    .then((mod) => (typeof mod?.render === "function" ? mod.render : null), () => null)
    .then((fn) => {
      loaded.set(name, fn);
      loading.delete(name);
      return fn;
    });
  loading.set(name, p);
  return p;
}

/** For tests: forget what was loaded. */
export function resetRenderers() {
  loaded.clear();
  loading.clear();
}

function short(v, max = 200) {
  const s = String(v);
  return s.length > max ? `${s.slice(0, max - 1)}\u2026` : s;
}

function words(key) {
  const s = String(key).replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The fallback: scalar facts and short lists of scalars, as "Label: value" lines. */
export function genericRender(facts) {
  const lines = [];
  if (!facts || typeof facts !== "object" || Array.isArray(facts)) return lines;
  for (const [k, v] of Object.entries(facts)) {
    if (lines.length >= MAX_LINES) break;
    if (v === null || v === undefined || v === "") continue;
    if (["string", "number", "boolean"].includes(typeof v)) {
      lines.push({ label: words(k), value: typeof v === "boolean" ? (v ? "yes" : "no") : short(v) });
    } else if (Array.isArray(v) && v.length && v.every((x) => ["string", "number"].includes(typeof x))) {
      const shown = v.slice(0, 8).map(String).join(", ");
      lines.push({ label: words(k), value: short(v.length > 8 ? `${shown} (+${v.length - 8})` : shown) });
    }
  }
  return lines;
}

/** Keep only well-formed lines: strings, bounded, a known tone. */
export function cleanLines(lines) {
  if (!Array.isArray(lines)) return [];
  const out = [];
  for (const l of lines) {
    if (out.length >= MAX_LINES) break;
    if (!l || typeof l !== "object") continue;
    const label = l.label === undefined || l.label === null ? "" : short(l.label, 60);
    if (l.value === undefined || l.value === null || typeof l.value === "object") continue;
    const line = { label, value: short(l.value) };
    if (TONES.has(l.tone)) line.tone = l.tone;
    out.push(line);
  }
  return out;
}

/** Lines for one provider's result: its renderer if loaded and sane, else the generic one. */
export function providerLines(name, facts, result) {
  const fn = loaded.get(name);
  if (fn) {
    try {
      return cleanLines(fn(facts ?? {}, result ?? {}));
    } catch {
      /* a broken renderer costs its own lines only */
    }
  }
  return cleanLines(genericRender(facts));
}
