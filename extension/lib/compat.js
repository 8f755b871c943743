// One code base for Chrome and Firefox: Firefox exposes promise-based `browser`, Chrome MV3
// exposes promise-based `chrome`. Entry points (background.js, popup.js, options.js) import this;
// the logic modules take the API object as a parameter so node tests can pass fakes.
export const api = globalThis.browser ?? globalThis.chrome;
