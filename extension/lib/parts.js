// Lists that cross the native-messaging port in parts (part 1..parts, same id): which replies
// come that way, which requests may be sent that way, and how a long list is cut.

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
