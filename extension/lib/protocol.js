// The wire version this extension speaks, and what to do when the helper speaks another.
// The host's pong carries `protocol` (docs/design/providers.md); a host from before wave 2 has
// none. On a mismatch the user gets one instruction instead of schema errors.

export const PROTOCOL_VERSION = 3;

/** null when the host speaks our protocol, else an error-kind object for errors.js. */
export function protocolProblem(pong) {
  const theirs = Number.isInteger(pong?.protocol) ? pong.protocol : null;
  if (theirs === PROTOCOL_VERSION) return null;
  return { kind: "host_outdated", hostProtocol: theirs, extensionProtocol: PROTOCOL_VERSION };
}
