// Background (Chrome: module service worker; Firefox: module event page).
// Owns the one native-messaging port and the session state; see lib/controller.js.
import { api } from "./lib/compat.js";
import { Controller } from "./lib/controller.js";
import { HostClient } from "./lib/host.js";
import { PageHighlights } from "./lib/highlight.js"; // on-page highlights
import { loadBuiltinPivots, loadPivotSettings, mergePivots, pivotsFor } from "./lib/pivots.js";

const MENU_SELECTION = "sentinelx-enrich-selection";
const MENU_PAGE = "sentinelx-enrich-page";
const COMMAND_ENRICH = "enrich-selection";

const host = new HostClient({
  connectNative: (name) => api.runtime.connectNative(name),
  lastError: () => api.runtime.lastError?.message,
});
const controller = new Controller({ api, host });
controller.init();
// On-page highlights (lib/highlight.js): follow the session state; popup and card messages.
// The card's pivots are the user's (options page: services off, custom templates), read per use.
let builtinPivots = null;
async function userPivots(type, value) {
  builtinPivots ??= await loadBuiltinPivots(globalThis.fetch, api.runtime.getURL("data/pivots.json"));
  return pivotsFor(type, value, mergePivots(builtinPivots, await loadPivotSettings(api.storage.local)));
}
const providerLabels = () => Object.fromEntries((host.lastPong?.capabilities?.providers ?? [])
  .filter((p) => typeof p?.name === "string" && typeof p.label === "string").map((p) => [p.name, p.label]));
const highlights = new PageHighlights({ api, openUi: () => controller.openUi(), pivots: userPivots,
  labels: providerLabels });
controller.onStateChange = (state) => highlights.onState(state);
api.runtime.onMessage.addListener((msg, sender, sendResponse) =>
  highlights.onMessage(msg, sender, sendResponse, isOwnPage));
api.tabs.onUpdated?.addListener((tabId, change) => { if (change.status === "loading") highlights.onTabGone(tabId); });
api.tabs.onRemoved?.addListener((tabId) => highlights.onTabGone(tabId));

// The functions the context menu, the shortcut and the popup use; the e2e tests call them in the
// service worker (headless browsers cannot open native context menus).
globalThis.sentinelx = {
  controller,
  host,
  highlights,
  /** Same as the "Enrich with SentinelX" menu click. info: {selectionText?, frameId?}. */
  enrichFromSelection: (tab, info = {}, opts = {}) => controller.enrichFromSelection(tab, info, opts),
  /** Same as "Extract from whole page" (the context menu on a page). */
  enrichPage: (tab, opts = {}) => controller.enrichPage(tab, opts),
  /** The popup's "Extract from whole page": the tab the user is looking at now. */
  enrichCurrentPage: (opts = {}) => controller.flow.enrichCurrentPage(opts),
  /** The same flow on a given text. */
  enrichText: (text, source = { kind: "text" }, opts = {}) => controller.enrichText(text, source, opts),
  confirm: (keys) => controller.confirm(keys),
  cancel: () => controller.cancel(),
  getState: () => controller.getState(),
  whenSettled: () => controller.whenSettled(),
  whenDone: () => controller.whenDone(),
};

function createMenus() {
  const create = (props) => {
    try {
      api.contextMenus.create(props, () => void api.runtime.lastError);
    } catch (e) {
      console.warn("SentinelX: context menu", e);
    }
  };
  const made = api.contextMenus.removeAll();
  Promise.resolve(made).finally(() => {
    create({ id: MENU_SELECTION, title: "Enrich with SentinelX", contexts: ["selection"] });
    create({ id: MENU_PAGE, title: "Extract from whole page with SentinelX", contexts: ["page"] });
  });
}

// Menus are re-created on every start of the background: cheap, and never a duplicate id.
createMenus();

api.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === MENU_SELECTION) controller.enrichFromSelection(tab, info);
  else if (info.menuItemId === MENU_PAGE) controller.enrichPage(tab);
});

api.commands?.onCommand.addListener((command, tab) => {
  if (command !== COMMAND_ENRICH) return;
  if (tab) {
    controller.enrichFromSelection(tab, {});
    return;
  }
  api.tabs.query({ active: true, lastFocusedWindow: true }).then((tabs) => {
    if (tabs?.[0]) controller.enrichFromSelection(tabs[0], {}, { open: false });
  });
});

api.runtime.onConnect.addListener((port) => {
  if (port.name !== "popup" || !isOwnPage(port.sender)) return;
  controller.attachPopup(port);
});

// The options page reaches the host through the background's port.
api.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!isOwnPage(sender) || msg?.cmd !== "host") return false;
  controller.hostRequest(msg.request).then(sendResponse);
  return true;
});

api.windows?.onRemoved?.addListener((windowId) => {
  if (windowId === controller.popupWindowId) controller.popupWindowId = null;
});

function isOwnPage(sender) {
  if (!sender || sender.id !== api.runtime.id) return false;
  const base = api.runtime.getURL("");
  return typeof sender.url === "string" && sender.url.startsWith(base);
}
