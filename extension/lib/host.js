// The one native-messaging port to com.sentinelx.host, with request/reply correlation by id.
//
// - call(): one request, one reply (ping, config.*, cancel, preview...); list replies
//   (`extracted`, `previewed`) may come in several parts (part 1..parts), concatenated in order,
//   and a `preview` request's `iocs` may be sent so (PART_REQUESTS).
// - replies(): one request, several replies in turn (`extract` with `preview`: `extracted`,
//   then `previewed`), one promise each.
// - stream(): an `enrich` request whose replies (result*, results*, progress*, then summary) are
//   passed to a callback as they arrive; `done` settles on the summary or on an error reply.
//   A long `iocs` list is sent in parts (`part`/`parts`, same id); the host assembles them.
// - The port is opened on demand and re-opened after a disconnect. A disconnect rejects every
//   pending request with a HostError whose `kind` tells the UI what to show.

import { ENRICH_PART_BYTES, PART_LISTS, PartsAssembler, requestFrames } from "./parts.js";
import { HostError, classifyDisconnect } from "./host-error.js";
import { ReplySequence } from "./reply-sequence.js";

export const HOST_NAME = "com.sentinelx.host";

export { ENRICH_PART_BYTES, PART_LISTS, PART_REQUESTS, splitByBytes } from "./parts.js";
export { HostError, classifyDisconnect } from "./host-error.js";

export class HostClient {
  /**
   * @param {object} o
   * @param {(name: string) => object} o.connectNative  runtime.connectNative
   * @param {() => (string|undefined)} [o.lastError]    reads runtime.lastError?.message
   */
  constructor({
    connectNative,
    lastError = () => undefined,
    now = () => Date.now(),
    idPrefix = Math.random().toString(36).slice(2, 10),
    quickFailMs = 2000,
    callTimeoutMs = 30000,
    extractTimeoutMs = 180000,
    timers = globalThis,
    onStatus = () => {},
    partBytes = ENRICH_PART_BYTES,
  }) {
    Object.assign(this, { connectNative, lastError, now, idPrefix, quickFailMs, callTimeoutMs,
      extractTimeoutMs, timers, onStatus, partBytes });
    this.port = null;
    this.pending = new Map(); // id -> {onMessage(msg), fail(err)}
    this.seq = 0;
    this.connectedAt = 0;
    this.receivedAny = false;
    this.orphanCode = null;
    this.limits = null; // from pong
    this.version = null;
    this.pong = null; // the last pong on the current connection
    this.lastPong = null; // the last pong ever (kept across reconnects, e.g. for cli_path)
    this.lastDisconnect = null; // {kind, message, at}
  }

  get connected() {
    return this.port !== null;
  }

  nextId() {
    this.seq += 1;
    return `${this.idPrefix}.${this.seq}`;
  }

  ensurePort() {
    if (this.port) return this.port;
    const port = this.connectNative(HOST_NAME);
    this.port = port;
    this.connectedAt = this.now();
    this.receivedAny = false;
    this.orphanCode = null;
    this.limits = null;
    this.pong = null;
    port.onMessage.addListener((msg) => this.handleMessage(port, msg));
    port.onDisconnect.addListener((p) => this.handleDisconnect(port, p));
    this.onStatus({ connected: true });
    return port;
  }

  /** Close the port (e.g. on shutdown); pending requests fail as crashed. */
  disconnect() {
    const port = this.port;
    if (!port) return;
    this.port = null;
    try {
      port.disconnect();
    } catch {
      /* already gone */
    }
    this.failAll(new HostError("host_crashed", "disconnected"));
  }

  post(msg) {
    const port = this.ensurePort();
    try {
      port.postMessage(msg);
    } catch (e) {
      // Posting on a port that has just died throws; treat it as a disconnect.
      this.handleDisconnect(port, { error: { message: String(e?.message ?? e) } });
      throw this.lastDisconnect?.error ?? new HostError("host_crashed", String(e));
    }
  }

  handleMessage(port, msg) {
    if (port !== this.port) return;
    this.receivedAny = true;
    if (!msg || typeof msg !== "object") return;
    const entry = typeof msg.id === "string" ? this.pending.get(msg.id) : undefined;
    if (entry) {
      entry.onMessage(msg);
      return;
    }
    if (msg.type === "error" && msg.id == null) {
      // Not tied to a request (framing errors, origin check); remember for the disconnect.
      this.orphanCode = msg.code;
    }
  }

  handleDisconnect(port, p) {
    if (port !== this.port) return;
    this.port = null;
    this.pong = null;
    const message = p?.error?.message ?? this.lastError() ?? "";
    const kind = classifyDisconnect(message, {
      receivedAny: this.receivedAny,
      elapsedMs: this.now() - this.connectedAt,
      quickFailMs: this.quickFailMs,
      orphanCode: this.orphanCode,
    });
    const error = new HostError(kind, message || "the native host disconnected");
    this.lastDisconnect = { kind, message, at: this.now(), error };
    this.failAll(error);
    this.onStatus({ connected: false, kind, message });
  }

  failAll(error) {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const e of entries) e.fail(error);
  }

  register(id, entry, timeoutMs) {
    let timer = null;
    const clear = () => {
      if (timer !== null) this.timers.clearTimeout(timer);
      this.pending.delete(id);
    };
    if (timeoutMs > 0) {
      timer = this.timers.setTimeout(() => {
        if (!this.pending.has(id)) return;
        clear();
        entry.fail(new HostError("timeout", `no reply to ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    this.pending.set(id, {
      onMessage: entry.onMessage,
      fail: (err) => {
        clear();
        entry.fail(err);
      },
    });
    return clear;
  }

  /**
   * Send one request and resolve with its reply. An error reply rejects with HostError("reply").
   * A reply in parts (PART_LISTS) resolves once, with its list field holding every part's items.
   */
  call(type, fields = {}, { timeoutMs } = {}) {
    const id = this.nextId();
    return new Promise((resolve, reject) => {
      let assembler = null;
      const clear = this.register(id, {
        fail: reject,
        onMessage: (msg) => {
          if (msg.type === "error") {
            clear();
            reject(new HostError("reply", msg.message, msg));
            return;
          }
          let whole = msg;
          if (PART_LISTS[msg.type]) {
            assembler ??= new PartsAssembler(msg.type);
            whole = assembler.add(msg);
            if (!whole) return;
          }
          clear();
          if (msg.type === "pong") {
            this.version = msg.version ?? null;
            this.limits = msg.limits ?? null;
            this.pong = msg;
            this.lastPong = msg;
          }
          resolve(whole);
        },
      }, this.timeoutFor(type, timeoutMs));
      try {
        this.postInParts(id, type, fields);
      } catch (e) {
        clear();
        reject(e instanceof HostError ? e : new HostError("host_crashed", String(e)));
      }
    });
  }

  /**
   * One request answered by several replies in turn under its id, e.g. `extract` with `preview`:
   * kinds ["extracted", "previewed"]. `replies` has one promise per kind, resolving with that
   * reply put together from its parts. An error reply, a disconnect or the timeout (for the whole
   * sequence; extract's for `extract`) rejects every promise not resolved yet. `abandon()`: the
   * caller wants no more of them (later frames are dropped); harmless once all are in.
   * @returns {{id: string, replies: Promise<object>[], abandon: () => void}}
   */
  replies(type, fields, kinds, { timeoutMs } = {}) {
    const id = this.nextId();
    const seq = new ReplySequence(kinds);
    const clear = this.register(id, {
      fail: (err) => seq.fail(err),
      onMessage: (msg) => {
        if (msg.type === "error") {
          clear();
          seq.fail(new HostError("reply", msg.message, msg));
        } else if (seq.take(msg)) {
          clear();
        }
      },
    }, this.timeoutFor(type, timeoutMs));
    try {
      this.postInParts(id, type, fields);
    } catch (e) {
      clear();
      seq.fail(e instanceof HostError ? e : new HostError("host_crashed", String(e)));
    }
    const abandon = () => {
      clear();
      seq.fail(new HostError("abandoned", `${id} abandoned`));
    };
    return { id, replies: seq.promises, abandon };
  }

  timeoutFor(type, given) {
    return given ?? (type === "extract" ? this.extractTimeoutMs : this.callTimeoutMs);
  }

  /** Post a request; a long `iocs` list (enrich, preview) goes in frames with `part`/`parts`. */
  postInParts(id, type, fields) {
    for (const frame of requestFrames(id, type, fields, this.partBytes)) this.post(frame);
  }

  /**
   * Send a streaming request (enrich). onEvent gets every reply with that id. A long `iocs`
   * list goes in several frames with `part` (1-based) and `parts`.
   * @returns {{id: string, done: Promise<object>}} done resolves with the summary.
   */
  stream(type, fields, onEvent) {
    const id = this.nextId();
    let clear = () => {};
    const done = new Promise((resolve, reject) => {
      clear = this.register(id, {
        fail: reject,
        onMessage: (msg) => {
          try {
            onEvent(msg);
          } finally {
            if (msg.type === "summary") {
              clear();
              resolve(msg);
            } else if (msg.type === "error") {
              clear();
              reject(new HostError("reply", msg.message, msg));
            }
          }
        },
      }, 0);
    });
    try {
      this.postInParts(id, type, fields);
    } catch {
      // post() already failed the pending entry through handleDisconnect/failAll, or:
      const entry = this.pending.get(id);
      if (entry) entry.fail(new HostError("host_crashed", "could not send"));
    }
    return { id, done };
  }

  /** The pong of the current connection (pings once per connection). */
  async hello() {
    if (this.port && this.pong) return this.pong;
    return this.call("ping", {}, { timeoutMs: 10000 });
  }

  /** Limits from a pong on the current connection. */
  async getLimits() {
    return (await this.hello()).limits ?? null;
  }
}
