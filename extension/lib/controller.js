// The background's wiring: one session store, the enrich flow, open popups, the options and
// history pages' host requests, the toolbar badge and notifications. Every browser API comes in
// through `api`, so node tests drive it with fakes and the e2e tests drive the real thing
// through globalThis.sentinelx (background.js).
import { updateActionBadge } from "./action-badge.js";
import { readCapabilities } from "./capabilities.js";
import { EnrichFlow } from "./enrich-flow.js";
import { forwardRequest } from "./host-requests.js";
import { notifyFinished } from "./notify.js";
import { PopupHub } from "./popup-port.js";
import { protocolProblem } from "./protocol.js";
import { SessionStore } from "./session-store.js";
import { TabReader } from "./tabs.js";

/** The longest text the popup's lookup box sends (the host's own cap applies as well). */
export const MAX_TYPED_CHARS = 1024 * 1024;

export class Controller {
  constructor({ api, host, now = () => Date.now(), timers = globalThis, persistDelayMs = 250,
    popupUrl = "popup.html" }) {
    Object.assign(this, { api, host, popupUrl });
    this.popupWindowId = null;
    this.store = new SessionStore({ storage: api.storage.session, now, timers, persistDelayMs });
    this.flow = new EnrichFlow({ api, host, store: this.store, tabs: new TabReader({ api }), now,
      onFinished: (sid) => this.finished(sid), openUi: () => this.openUi() });
    this.hub = new PopupHub({ store: this.store, hostInfo: () => this.hostInfo(),
      onCommand: (msg) => this.onPopupMessage(msg) });
    // The toolbar badge counts over every IOC: at most a few times a second, not per result.
    let badgeTimer = null;
    this.store.subscribe(({ state }) => {
      if (badgeTimer !== null) return;
      badgeTimer = timers.setTimeout(() => {
        badgeTimer = null;
        updateActionBadge(api, this.store.state);
      }, state && state.phase !== "enriching" ? 0 : 250);
    });
    // Hook for the on-page highlights (lib/highlight.js): every state change, keyed.
    this.store.subscribe(({ state }) => this.onStateChange?.(state));
    this.ready = Promise.resolve();
  }

  /** Restore the session after a (service-worker) restart; resume an interrupted enrich. */
  init() {
    this.ready = (async () => {
      const saved = await this.store.restore();
      if (this.store.state === null && saved) this.flow.resume(saved);
    })();
    return this.ready;
  }

  getState() {
    return this.store.state;
  }

  get state() {
    return this.store.state;
  }

  get popups() {
    return this.hub;
  }

  whenSettled() {
    return this.store.whenSettled();
  }

  whenDone() {
    return this.store.whenDone();
  }

  enrichFromSelection(tab, info = {}, opts = {}) {
    return this.flow.enrichFromSelection(tab, info, opts);
  }

  enrichPage(tab, opts = {}) {
    return this.flow.enrichPage(tab, opts);
  }

  enrichText(text, source = { kind: "text" }, opts = {}) {
    return this.flow.enrichText(text, source, opts);
  }

  confirm(keys) {
    return this.flow.confirm(keys);
  }

  cancel() {
    return this.flow.cancel();
  }

  retry() {
    return this.flow.retry();
  }

  refresh() {
    return this.flow.refresh();
  }

  finished(sid) {
    const s = this.store.state;
    if (!s || s.sid !== sid || this.hub.size > 0) return;
    notifyFinished(this.api, s);
  }

  /** What popups are told about the host: version, protocol check, capabilities. */
  hostInfo() {
    const pong = this.host.lastPong;
    return {
      version: this.host.version ?? null,
      outdated: pong ? protocolProblem(pong) !== null : false,
      caps: readCapabilities(pong),
    };
  }

  /** Open the popup: the toolbar popup where possible, else a small popup window. */
  openUi() {
    if (this.hub.size > 0) return Promise.resolve("already-open");
    const api = this.api;
    const openWindow = async () => {
      if (this.popupWindowId !== null) {
        try {
          await api.windows.update(this.popupWindowId, { focused: true });
          return "window";
        } catch {
          this.popupWindowId = null;
        }
      }
      const w = await api.windows.create({ url: api.runtime.getURL(this.popupUrl), type: "popup",
        width: 480, height: 640 });
      this.popupWindowId = w?.id ?? null;
      return "window";
    };
    let attempt;
    try {
      // Must be called synchronously within the click handler (Firefox's user-action rule).
      attempt = api.action?.openPopup ? Promise.resolve(api.action.openPopup()) : Promise.reject();
    } catch (e) {
      attempt = Promise.reject(e);
    }
    return attempt.then(() => "popup", () => openWindow()).catch((e) => {
      console.warn("SentinelX: could not open the popup", e);
      return "none";
    });
  }

  /** A popup connected (runtime.onConnect, port name "popup"). */
  attachPopup(port) {
    // A popup wants the host's capabilities (labels, exports): ping once if we never did.
    const caps = this.host.lastPong ? Promise.resolve() : this.host.hello().catch(() => {});
    this.hub.attach(port, Promise.all([this.ready, caps]));
  }

  onPopupMessage(msg) {
    switch (msg?.cmd) {
      case "confirm":
        this.confirm(Array.isArray(msg.keys) ? msg.keys.filter((k) => typeof k === "string") : undefined);
        break;
      case "cancel":
        this.cancel();
        break;
      case "retry":
        this.retry();
        break;
      case "refresh":
        this.refresh();
        break;
      case "page":
        this.flow.enrichCurrentPage();
        break;
      case "lookup":
        if (typeof msg.text === "string" && msg.text.trim() && msg.text.length <= MAX_TYPED_CHARS) {
          this.flow.enrichText(msg.text, { kind: "typed" });
        }
        break;
      case "quota_reset":
        this.flow.resetQuota(msg.provider ?? null).then(() => this.hub.refreshAll());
        break;
      default:
        break;
    }
  }

  /** The options and history pages' requests, forwarded over the one native port. */
  hostRequest(request) {
    return forwardRequest(this.host, request);
  }
}
