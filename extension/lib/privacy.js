// What may go to VirusTotal, and whether to ask first.
import { iocKey } from "./keys.js";

/** IOC types VirusTotal can look up (ip_addresses, domains, urls, files). CVEs and emails are not. */
export const VT_SUPPORTED = new Set(["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256"]);

export const PREVIEW_MODES = ["always", "threshold", "never"];

/**
 * Split extracted IOCs into what would be sent and what is withheld (with the reason).
 * @returns {{send: string[], withheld: Object<string,string>, ask: boolean}}
 */
export function planEnrichment(iocs, prefs) {
  const send = [];
  const withheld = {};
  for (const ioc of iocs) {
    const key = iocKey(ioc);
    if (!VT_SUPPORTED.has(ioc.type)) withheld[key] = "unsupported";
    else if (ioc.private && !prefs.sendPrivate) withheld[key] = "private";
    else send.push(key);
  }
  let ask;
  if (send.length === 0) ask = false;
  else if (prefs.previewMode === "never") ask = false;
  else if (prefs.previewMode === "threshold") ask = send.length > prefs.previewThreshold;
  else ask = true;
  return { send, withheld, ask };
}

/** The `iocs` list of an enrich request for the given keys (only type and value leave). */
export function iocRefs(iocs, keys) {
  const wanted = new Set(keys);
  return iocs.filter((i) => wanted.has(iocKey(i))).map((i) => ({ type: i.type, value: i.value }));
}
