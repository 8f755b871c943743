// IOC identity and the display order of types.

/** Stable identity of an IOC: its type and normalised value. */
export function iocKey(ioc) {
  return `${ioc.type}:${ioc.value}`;
}

export const TYPE_ORDER = ["url", "domain", "ipv4", "ipv6", "sha256", "sha1", "md5", "email", "cve"];

export const TYPE_LABELS = {
  url: "URLs",
  domain: "Domains",
  ipv4: "IPv4 addresses",
  ipv6: "IPv6 addresses",
  sha256: "SHA-256 hashes",
  sha1: "SHA-1 hashes",
  md5: "MD5 hashes",
  email: "Email addresses",
  cve: "CVEs",
};
