// Lists that cross the native-messaging port in parts (part 1..parts, same id): which replies
// come that way, which requests may be sent that way, how a long list is cut, and how a reply
// in parts is put back together.

/** Reply types whose list field may be split over several parts. */
export const PART_LISTS = Object.freeze({ extracted: "iocs", previewed: "iocs",
  "history.page": "rows", "history.records": "records", exported: "content" });

/** Requests whose `iocs` list may be sent in parts (the host's schemas allow `part`/`parts`). */
export const PART_REQUESTS = new Set(["enrich", "preview"]);

/** Budget of one browser->host frame carrying IOCs: far under every cap (Chrome 64 MiB, host 16 MiB). */
export const ENRICH_PART_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/**
 * Split a list into consecutive chunks whose JSON stays under `maxBytes` (UTF-8) each, so
 * every frame is far under the browser->host limit whatever the number of IOCs.
 */
export function splitByBytes(items, maxBytes) {
  const chunks = [];
  let chunk = [];
  let size = 0;
  for (const item of items) {
    const n = encoder.encode(JSON.stringify(item)).length + 1;
    if (chunk.length && size + n > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(item);
    size += n;
  }
  if (chunk.length || !chunks.length) chunks.push(chunk);
  return chunks;
}

/** The frames of a request: a long `iocs` list (PART_REQUESTS) in several, with `part`/`parts`. */
export function requestFrames(id, type, fields, maxBytes) {
  if (!PART_REQUESTS.has(type) || !Array.isArray(fields?.iocs)) return [{ id, type, ...fields }];
  const { iocs, ...rest } = fields;
  const chunks = splitByBytes(iocs, maxBytes);
  if (chunks.length === 1) return [{ id, type, ...rest, iocs }];
  return chunks.map((chunk, i) => ({ id, type, ...rest, iocs: chunk, part: i + 1, parts: chunks.length }));
}

/**
 * Puts one reply of a PART_LISTS type back together: add() every frame of it; it returns the
 * whole reply once every part 1..parts is in (the list field concatenated in part order, the
 * other fields, e.g. `estimate`, from part 1), else null. A frame whose part is not in 1..parts
 * of the first frame, or that repeats a part, is ignored. `previewed` parts are self-contained
 * (PROTOCOL.md "preview"): each one's `plan` numbers index its own `plans`, so they are
 * renumbered into the whole reply's `plans`.
 */
export class PartsAssembler {
  constructor(type) {
    this.type = type;
    this.field = PART_LISTS[type];
    this.parts = null;
    this.got = new Map(); // part -> frame
  }

  add(msg) {
    const n = Number.isInteger(msg.parts) && msg.parts > 1 ? msg.parts : 1;
    if (n === 1 && this.parts === null) return { ...msg, [this.field]: list(msg, this.field) };
    if (this.parts === null) this.parts = n;
    if (n !== this.parts || !Number.isInteger(msg.part) || msg.part < 1 || msg.part > n || this.got.has(msg.part)) {
      return null;
    }
    this.got.set(msg.part, msg);
    if (this.got.size < n) return null;
    const frames = Array.from({ length: n }, (_, i) => this.got.get(i + 1));
    if (this.type === "previewed") return { ...frames[0], ...joinPreviewed(frames), part: n, parts: n };
    const all = [];
    for (const f of frames) for (const x of list(f, this.field)) all.push(x);
    return { ...frames[0], [this.field]: all, part: n, parts: n };
  }
}

/** `plans` of every part one after the other; each IOC's `plan` moved to its part's place there. */
function joinPreviewed(frames) {
  const plans = [];
  const iocs = [];
  for (const f of frames) {
    const own = list(f, "plans");
    const base = plans.length;
    for (const p of own) plans.push(p);
    for (const item of list(f, "iocs")) {
      if (!item || typeof item !== "object") continue;
      const p = item.plan;
      // An index outside its own part's plans must not land on another part's plan.
      const ok = Number.isInteger(p) && p >= 0 && p < own.length;
      iocs.push(ok && base === 0 ? item : { ...item, plan: ok ? p + base : -1 });
    }
  }
  return { plans, iocs };
}

function list(msg, field) {
  return Array.isArray(msg[field]) ? msg[field] : [];
}
