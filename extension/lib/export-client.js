// Exports for the extension's pages: the host renders (request `export`), the page downloads or
// copies what comes back. Used by the history page and the popup's export menu.
//
//   const out = await exportRun({ format: "csv", runId: 12, verdicts: ["malicious"] });
//   downloadExport(out);            // or: await copyExport(out);

export const FORMATS = [
  { id: "csv", label: "CSV (Splunk lookup)" },
  { id: "json", label: "JSON" },
  { id: "stix", label: "STIX 2.1" },
  { id: "misp", label: "MISP event" },
  { id: "markdown", label: "Markdown table" },
  { id: "text", label: "Defanged text" },
];
const FORMAT_IDS = new Set(FORMATS.map((f) => f.id));
const VERDICTS = new Set(["malicious", "suspicious", "clean", "no_data"]);

/** Formats that are defanged unless the user says otherwise (the host's default too). */
export function defangsByDefault(format) {
  return format === "markdown" || format === "text";
}

/** One request to the host through the background (which holds the native port). */
export async function hostRequest(request, runtime = globalThis.browser?.runtime ?? globalThis.chrome?.runtime) {
  const res = await runtime.sendMessage({ cmd: "host", request });
  if (!res) throw { kind: "host_error", message: "no answer from the background" };
  if (!res.ok) throw res.error;
  return res.reply;
}

/**
 * The `export` request for these options; throws on an unknown format or verdict.
 * @param {{format: string, runId?: number, verdicts?: string[], defang?: boolean,
 *          filter?: object, ids?: number[], title?: string}} o
 */
export function exportRequest({ format, runId, verdicts, defang, filter, ids, title }) {
  if (!FORMAT_IDS.has(format)) throw new Error(`unknown export format: ${format}`);
  const req = { type: "export", format };
  if (Number.isInteger(runId) && runId > 0) req.run_id = runId;
  if (Array.isArray(verdicts) && verdicts.length) {
    const bad = verdicts.filter((v) => !VERDICTS.has(v));
    if (bad.length) throw new Error(`unknown verdict: ${bad.join(", ")}`);
    req.verdicts = [...new Set(verdicts)];
  }
  if (typeof defang === "boolean") req.defang = defang;
  const f = { ...(filter ?? {}) };
  if (Array.isArray(ids) && ids.length) f.ids = ids.filter((i) => Number.isInteger(i) && i > 0);
  if (Object.keys(f).length) req.filter = f;
  if (typeof title === "string" && title.trim()) req.title = title.trim().slice(0, 256);
  return req;
}

/** Render an export on the host: {content, filename, mime, count, format}. */
export async function exportRun(options, send = hostRequest) {
  const reply = await send(exportRequest(options));
  // `content` is the file in pieces (a big export comes in parts; host.js joins the lists).
  const pieces = Array.isArray(reply?.content) ? reply.content : null;
  if (!reply || reply.type !== "exported" || !pieces || pieces.some((p) => typeof p !== "string")) {
    throw { kind: "host_error", message: "the host did not send an export" };
  }
  // The host builds the name; keep only a plain file name whatever it says.
  const filename = /^[A-Za-z0-9._-]{1,128}$/.test(reply.filename ?? "") ? reply.filename
    : `sentinelx-export.${options.format === "markdown" ? "md" : "txt"}`;
  return { content: pieces.join(""), filename, mime: String(reply.mime || "text/plain"),
    count: reply.count ?? 0, format: reply.format };
}

/** Save an export as a file: a Blob behind a temporary object URL and an <a download>. */
export function downloadExport({ content, filename, mime }, doc = globalThis.document,
  urls = globalThis.URL) {
  const blob = new Blob([content], { type: `${mime};charset=utf-8` });
  const href = urls.createObjectURL(blob);
  const a = doc.createElement("a");
  a.href = href;
  a.download = filename;
  a.hidden = true;
  doc.body.append(a);
  try {
    a.click();
  } finally {
    a.remove();
    // Revoke later: the download starts asynchronously.
    setTimeout(() => urls.revokeObjectURL(href), 10_000);
  }
  return filename;
}

/** Copy an export's text to the clipboard. */
export async function copyExport({ content }, clipboard = globalThis.navigator?.clipboard) {
  if (!clipboard?.writeText) throw new Error("the clipboard is not available here");
  await clipboard.writeText(content);
  return content.length;
}

/** Create the export as a MISP event on the MISP provider's instance: {event_id, url, count}. */
export async function pushToMisp({ runId, verdicts, filter, ids, title }, send = hostRequest) {
  const req = exportRequest({ format: "misp", runId, verdicts, filter, ids, title });
  delete req.format;
  req.type = "export.push_misp";
  return send(req);
}
