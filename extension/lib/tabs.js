// Reading text from tabs: the selection (context menu, shortcut) and the whole page; and what
// of the page the IOCs came from the host may keep (historySource).

/** Runs in the page (scripting.executeScript): the selection with its line breaks. */
export function pageSelectionText() {
  const sel = globalThis.getSelection ? globalThis.getSelection() : null;
  return sel ? sel.toString() : "";
}

/** Runs in the page: all of its visible text. */
export function pageBodyText() {
  return document.body ? document.body.innerText : "";
}

export function sourceOf(kind, tab) {
  const src = { kind };
  if (tab && Number.isInteger(tab.id)) src.tabId = tab.id;
  if (tab && typeof tab.title === "string") src.title = tab.title.slice(0, 300);
  if (tab && typeof tab.url === "string") src.url = tab.url.slice(0, 2048);
  return src;
}

/**
 * The page the IOCs came from, for the host's history run: its title, and its http(s) URL
 * without credentials (the host keeps the URL only if the user turned on history.keep_page_url).
 */
export function historySource(source) {
  const out = {};
  if (typeof source?.title === "string" && source.title.trim()) out.source_title = source.title.slice(0, 2048);
  if (typeof source?.url === "string") {
    try {
      const u = new URL(source.url);
      if (u.protocol === "https:" || u.protocol === "http:") {
        u.username = "";
        u.password = "";
        out.source_url = u.href.slice(0, 2048);
      }
    } catch {
      // not a URL: nothing to keep
    }
  }
  return out;
}

export class TabReader {
  constructor({ api }) {
    this.api = api;
  }

  /** The selection in `tab` (the clicked frame first), else the menu's selectionText. */
  async selection(tab, info = {}) {
    let text = "";
    if (tab && Number.isInteger(tab.id) && this.api.scripting) {
      try {
        const target = { tabId: tab.id };
        if (Number.isInteger(info.frameId) && info.frameId >= 0) target.frameIds = [info.frameId];
        const res = await this.api.scripting.executeScript({ target, func: pageSelectionText });
        text = (res ?? []).map((r) => r?.result).find((t) => typeof t === "string" && t) ?? "";
      } catch {
        text = ""; // the PDF viewer, the web store, chrome:// and about: pages cannot be scripted
      }
    }
    if (!text && typeof info.selectionText === "string") text = info.selectionText;
    return text;
  }

  /** The page's visible text, or null when the browser does not let us read it. */
  async pageText(tab) {
    if (!tab || !Number.isInteger(tab.id)) return null;
    try {
      const res = await this.api.scripting.executeScript({ target: { tabId: tab.id }, func: pageBodyText });
      const text = res?.[0]?.result;
      return typeof text === "string" ? text : null;
    } catch {
      return null;
    }
  }

  /**
   * The tab the user is looking at now (never a remembered one): the active tab of the last
   * focused window, skipping our own pages (the popup may be a window of its own).
   */
  async currentTab() {
    const own = this.api.runtime.getURL("");
    const usable = (tabs) => (tabs ?? []).find((t) => Number.isInteger(t.id) && !(t.url ?? "").startsWith(own));
    const focused = usable(await this.api.tabs.query({ active: true, lastFocusedWindow: true }));
    if (focused) return focused;
    return usable(await this.api.tabs.query({ active: true, windowType: "normal" })) ?? null;
  }
}
