// IOC identity, and display labels for the IOC types. Which types exist and their order come
// from the host (pong capabilities.ioc_types); these labels only make them readable, and a drift
// test (tests/extension/drift.test.mjs) checks they match the host's IOCType.

/** Stable identity of an IOC: its type and normalised value. */
export function iocKey(ioc) {
  return `${ioc.type}:${ioc.value}`;
}

export const TYPE_LABELS = Object.freeze({
  url: "URLs",
  domain: "Domains",
  ipv4: "IPv4 addresses",
  ipv6: "IPv6 addresses",
  sha256: "SHA-256 hashes",
  sha1: "SHA-1 hashes",
  md5: "MD5 hashes",
  email: "Email addresses",
  cve: "CVEs",
});

export function typeLabel(type) {
  return TYPE_LABELS[type] ?? type;
}

/** Display order of types: the host's order when known, else first-seen order. */
export function typeOrder(iocTypes, iocs) {
  const order = Array.isArray(iocTypes) ? [...iocTypes] : [];
  for (const i of iocs) if (!order.includes(i.type)) order.push(i.type);
  return order;
}
