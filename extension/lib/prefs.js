// Non-secret UI preferences, kept in storage.local under PREFS_KEY.
// API keys are NEVER stored here (or anywhere in extension storage): they go to the host with
// config.set_key. sanitizePrefs drops every field it does not know, so nothing else can
// be persisted through this module by accident.
import { PREVIEW_MODES } from "./privacy.js";

export const PREFS_KEY = "sx.prefs";

export const DEFAULT_PREFS = Object.freeze({
  previewMode: "always", // always | threshold | never
  previewThreshold: 10, // with "threshold": ask only when more than this many values would be sent
  sendPrivate: false, // mirror of the host's privacy.send_private
});

export function sanitizePrefs(raw) {
  const p = { ...DEFAULT_PREFS };
  if (!raw || typeof raw !== "object") return p;
  if (PREVIEW_MODES.includes(raw.previewMode)) p.previewMode = raw.previewMode;
  const n = Number(raw.previewThreshold);
  if (Number.isInteger(n) && n >= 0 && n <= 100000) p.previewThreshold = n;
  if (typeof raw.sendPrivate === "boolean") p.sendPrivate = raw.sendPrivate;
  return p;
}

export async function loadPrefs(storageArea) {
  try {
    const got = await storageArea.get(PREFS_KEY);
    return sanitizePrefs(got?.[PREFS_KEY]);
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export async function savePrefs(storageArea, changes) {
  const current = await loadPrefs(storageArea);
  const next = sanitizePrefs({ ...current, ...changes });
  await storageArea.set({ [PREFS_KEY]: next });
  return next;
}
