// Requests the extension's own pages (options, history, popup exports) may send to the host
// through the background's one native port.
import { errorFromException } from "./errors.js";

export const PAGE_REQUESTS = new Set(["ping", "config.get", "config.set", "config.set_key",
  "config.clear_key", "quota.reset", "export", "export.push_misp", "preview"]);
// The history page's requests (history.list, history.delete, ...) belong to the exports work.
const PAGE_REQUEST_PREFIXES = [/^history\.[a-z_]{1,32}$/];

export function allowedRequest(type) {
  return typeof type === "string" && (PAGE_REQUESTS.has(type) || PAGE_REQUEST_PREFIXES.some((r) => r.test(type)));
}

/** Forward one page request; answers {ok, reply} or {ok: false, error} (never throws). */
export async function forwardRequest(host, request) {
  if (!request || !allowedRequest(request.type)) {
    return { ok: false, error: { kind: "host_error", message: "request type not allowed" } };
  }
  const { type, id: _id, ...fields } = request;
  try {
    const reply = await host.call(type, fields);
    return { ok: true, reply };
  } catch (err) {
    return { ok: false, error: errorFromException(err) };
  }
}
