// DOM building for the extension's pages. Page- and host-derived strings only ever reach the
// DOM as text nodes or attribute values set with setAttribute; no HTML parsing sink is used.

/** createElement with attributes and children (strings become text nodes). */
export function el(doc, tag, attrs = {}, ...children) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`event attributes are not allowed: ${name}`);
    if (name === "class") node.className = String(value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? doc.createTextNode(child) : child);
  }
  return node;
}

export function button(doc, label, onClick, attrs = {}) {
  const b = el(doc, "button", { type: "button", ...attrs }, label);
  b.addEventListener("click", onClick);
  return b;
}

/** Only https links without credentials leave the popup (host-built links to provider pages). */
export function safeLink(link) {
  if (typeof link !== "string" || link.length > 2048) return null;
  let u;
  try {
    u = new URL(link);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" || u.username || u.password || !u.hostname) return null;
  return u.href;
}
