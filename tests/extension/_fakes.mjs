// Small fakes of the chrome.* / browser.* APIs the extension uses, for node's test runner.

export class FakeEvent {
  constructor() {
    this.listeners = [];
  }
  addListener(fn) {
    this.listeners.push(fn);
  }
  removeListener(fn) {
    this.listeners = this.listeners.filter((f) => f !== fn);
  }
  hasListeners() {
    return this.listeners.length > 0;
  }
  emit(...args) {
    let out;
    for (const fn of this.listeners) out = fn(...args);
    return out;
  }
}

/** A runtime.Port (native or extension-internal). */
export class FakePort {
  constructor(name = "") {
    this.name = name;
    this.onMessage = new FakeEvent();
    this.onDisconnect = new FakeEvent();
    this.sent = [];
    this.closed = false;
    this.error = null;
    this.peer = null; // for paired extension ports
  }
  postMessage(msg) {
    if (this.closed) throw new Error("Attempting to use a disconnected port object");
    // structured clone like the browser does (JSON for native messaging)
    const copy = JSON.parse(JSON.stringify(msg));
    this.sent.push(copy);
    if (this.peer) this.peer.onMessage.emit(copy, this.peer);
  }
  disconnect() {
    if (this.closed) return;
    this.closed = true;
    if (this.peer && !this.peer.closed) {
      this.peer.closed = true;
      this.peer.onDisconnect.emit(this.peer);
    }
  }
  /** Host side: deliver a message to the extension. */
  deliver(msg) {
    this.onMessage.emit(JSON.parse(JSON.stringify(msg)), this);
  }
  /** Host side: close the port, optionally with a Firefox-style port.error. */
  hostDisconnect(errorMessage) {
    this.closed = true;
    if (errorMessage !== undefined) this.error = { message: errorMessage };
    this.onDisconnect.emit(this);
  }
}

/** Two connected ports, like runtime.connect() from a popup. Returns [popupSide, backgroundSide]. */
export function portPair(name, sender) {
  const a = new FakePort(name);
  const b = new FakePort(name);
  a.peer = b;
  b.peer = a;
  b.sender = sender;
  return [a, b];
}

export class FakeStorageArea {
  constructor() {
    this.data = {};
    this.writes = 0;
  }
  async get(keys) {
    const out = {};
    const list = keys == null ? Object.keys(this.data) : Array.isArray(keys) ? keys : [keys];
    for (const k of list) if (k in this.data) out[k] = structuredClone(this.data[k]);
    return out;
  }
  async set(items) {
    this.writes += 1;
    for (const [k, v] of Object.entries(items)) this.data[k] = structuredClone(v);
  }
  async remove(keys) {
    for (const k of Array.isArray(keys) ? keys : [keys]) delete this.data[k];
  }
  async clear() {
    this.data = {};
  }
}

/**
 * A fake native host behind runtime.connectNative. `behaviour(request, port)` answers requests;
 * by default it implements ping, extract (from a table), enrich (one result per IOC) and cancel.
 */
export function fakeNative({ behaviour, missing = false, lastErrorMessage } = {}) {
  const ports = [];
  let lastError;
  const connectNative = (name) => {
    const port = new FakePort(name);
    ports.push(port);
    if (missing) {
      // Chrome: the port disconnects right away with lastError set during the callback.
      queueMicrotask(() => {
        lastError = { message: lastErrorMessage ?? "Specified native messaging host not found." };
        port.hostDisconnect();
        lastError = undefined;
      });
      return port;
    }
    const original = port.postMessage.bind(port);
    port.postMessage = (msg) => {
      original(msg);
      queueMicrotask(() => behaviour?.(JSON.parse(JSON.stringify(msg)), port));
    };
    return port;
  };
  return { connectNative, ports, get lastError() { return lastError; } };
}

export const ALL_SENT = () => true;

export function makeApi({ native, tabs = {}, executeScript } = {}) {
  const extOrigin = "chrome-extension://kclaegbkmfnnnehbjbmcnomffnallgci/";
  const api = {
    runtime: {
      id: "kclaegbkmfnnnehbjbmcnomffnallgci",
      getURL: (p) => extOrigin + p,
      connectNative: (name) => native.connectNative(name),
      get lastError() {
        return native?.lastError;
      },
      onConnect: new FakeEvent(),
      onMessage: new FakeEvent(),
      openOptionsPage: async () => {},
    },
    storage: { session: new FakeStorageArea(), local: new FakeStorageArea(),
      sync: new FakeStorageArea(), onChanged: new FakeEvent() },
    scripting: {
      calls: [],
      async executeScript(details) {
        api.scripting.calls.push(details);
        if (executeScript) return executeScript(details);
        throw new Error("Cannot access contents of the page");
      },
    },
    tabs: {
      async get(id) {
        if (tabs[id]) return tabs[id];
        throw new Error("No tab with id");
      },
      async query() {
        return Object.values(tabs);
      },
      async create(props) {
        return { id: 999, ...props };
      },
    },
    action: {
      popupOpens: 0,
      badgeText: "",
      async openPopup() {
        api.action.popupOpens += 1;
      },
      async setBadgeText({ text }) {
        api.action.badgeText = text;
      },
      async setBadgeBackgroundColor() {},
    },
    windows: {
      created: [],
      async create(props) {
        api.windows.created.push(props);
        return { id: 77 };
      },
      async update() {},
      onRemoved: new FakeEvent(),
    },
    notifications: {
      created: [],
      async create(id, opts) {
        api.notifications.created.push({ id, opts });
        return id;
      },
    },
    contextMenus: {
      items: [],
      async removeAll() {
        api.contextMenus.items = [];
      },
      create(props, cb) {
        api.contextMenus.items.push(props);
        cb?.();
        return props.id;
      },
      onClicked: new FakeEvent(),
    },
    commands: { onCommand: new FakeEvent() },
  };
  return api;
}

/** Wait until `pred()` is true (polling the microtask/timer queues). */
export async function until(pred, { timeoutMs = 2000, what = "condition" } = {}) {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
