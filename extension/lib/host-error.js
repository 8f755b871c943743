// What a failed native-messaging request means, for the UI: the error every pending request
// rejects with, and how a browser's disconnect message maps to its kind.

export class HostError extends Error {
  /** kind: host_missing | host_forbidden | host_crashed | timeout | reply | abandoned (by us) */
  constructor(kind, message, reply = null) {
    super(message || kind);
    this.name = "HostError";
    this.kind = kind;
    this.reply = reply; // the host's error reply, for kind "reply"
  }
}

/**
 * Map a disconnect to an error kind.
 * Chrome: runtime.lastError.message, e.g. "Specified native messaging host not found.",
 * "Access to the specified native messaging host is forbidden.", "Native host has exited.",
 * "Failed to start native messaging host.", "Error when communicating with the native messaging host.".
 * Firefox: port.error.message, e.g. "No such native application com.sentinelx.host".
 */
export function classifyDisconnect(message, { receivedAny, elapsedMs, quickFailMs, orphanCode }) {
  const m = String(message ?? "");
  if (/not found|no such native application|failed to start/i.test(m)) return "host_missing";
  if (orphanCode === "origin_forbidden" || /forbidden/i.test(m)) return "host_forbidden";
  // A port that closes right away without ever answering: the host cannot start.
  if (!receivedAny && elapsedMs <= quickFailMs) return "host_missing";
  return "host_crashed";
}
