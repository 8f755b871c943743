// The content script's mapping, painting (wrapping fallback: linkedom has no CSS.highlights) and
// card, run on linkedom documents; the real browsers are in tests/e2e/test_highlight_*.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import vm from "node:vm";
import { parseHTML } from "linkedom";

// The files in the order the background injects them (CONTENT_SCRIPTS in lib/highlight.js).
const SRC = ["highlight-map.js", "highlight-dom.js", "highlight-card.js", "highlight.js"].map((f) =>
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "extension", "content", f),
    "utf8")).join("\n;\n");
const NAMES = { malicious: "sx-aaaaaaaa01", suspicious: "sx-aaaaaaaa02", clean: "sx-aaaaaaaa03",
  no_data: "sx-aaaaaaaa04", pending: "sx-aaaaaaaa05", other: "sx-aaaaaaaa06", card: "sx-aaaaaaaa07" };

/** Load the content script into a fresh context around a linkedom document. */
function load(html, extra = {}) {
  const { document, window } = parseHTML(`<!doctype html><html>${html}</html>`);
  const sent = [];
  const sandbox = { document, console, ...extra };
  sandbox.chrome = extra.chrome;
  vm.createContext(sandbox);
  vm.runInContext(SRC, sandbox);
  const hl = sandbox.__sentinelxHighlight;
  return { document, window, hl, sent, sandbox };
}

function item(key, raws, extra = {}) {
  return { key, type: "domain", value: raws[0], defanged: raws[0], raws, group: "pending", ...extra };
}

/** Objects made in the script's context, as plain data of this one (deepEqual checks prototypes). */
const plain = (v) => JSON.parse(JSON.stringify(v));

/** The text of a mapped point, read back from the DOM. */
function textOf(document, p) {
  return p.nodes.map((n) => n.data.slice(n === p.startNode ? p.startOffset : 0,
    n === p.endNode ? p.endOffset : n.data.length)).join("");
}

test("findAll: case-insensitive, on word boundaries, every occurrence", () => {
  const { hl } = load("<p>x</p>");
  const text = "a 1.2.3.4, 11.2.3.45 1.2.3.4.5 EVIL[.]COM evil[.]com.au x-evil[.]com (1.2.3.4)";
  const hits = hl.findAll(text, [{ s: "1.2.3.4", item: 0 }, { s: "evil[.]com", item: 1 }]);
  const got = JSON.parse(JSON.stringify(hits.map((h) => [text.slice(h.start, h.end), h.item])));
  assert.deepEqual(got, [["1.2.3.4", 0], ["EVIL[.]COM", 1], ["1.2.3.4", 0]]);
});

test("fold keeps offsets: non-ASCII case changes never shift a match", () => {
  const { hl } = load("<p>x</p>");
  const text = "\u0130\u0130\u0130 evil.com"; // "İ".toLowerCase() has length 2
  assert.equal(hl.fold(text).length, text.length);
  const [h] = hl.findAll(text, [{ s: "evil.com", item: 0 }]);
  assert.equal(text.slice(h.start, h.end), "evil.com");
});

test("a match split across elements maps onto each text node: evil[.]<b>com</b>", () => {
  const { document, hl } = load("<body><p id=p>see evil[.]<b>com</b>/<i>x</i> and 185.220.<span>101</span>[.]47.</p></body>");
  const items = [item("domain:evil.com", ["evil[.]com"]), item("ipv4:185.220.101.47", ["185.220.101[.]47"])];
  const { points } = hl.mapItems(document.body, items);
  assert.equal(points.length, 2);
  assert.equal(textOf(document, points[0]), "evil[.]com");
  assert.equal(points[0].startNode.data, "see evil[.]");
  assert.equal(points[0].endNode.parentNode.nodeName, "B");
  assert.equal(textOf(document, points[1]), "185.220.101[.]47");
  assert.equal(points[1].startNode.data.endsWith("185.220."), true);
});

test("text nodes of adjacent cells or blocks do not run together (minified tables, <br>)", () => {
  const { document, hl } = load("<body><table><tr><td>185.220.101[.]47</td><td>malicious</td></tr>"
    + "<tr><td>evil</td><td>[.]com</td></tr></table><p>bad.net<br>x</p><div>a</div><div>bad.net</div>"
    + "<p>good<b>bad.net</b></p></body>");
  const items = [item("ip", ["185.220.101[.]47"]), item("d", ["evil[.]com"]), item("b", ["bad.net"])];
  const got = plain(hl.mapItems(document.body, items).points.map((p) => [items[p.item].key, textOf(document, p)]));
  // The IP ends a cell; "evil" and "[.]com" are in different cells (the host never saw them
  // together); bad.net after <br> and in its own <div> count; "goodbad.net" inline does not.
  assert.deepEqual(got, [["ip", "185.220.101[.]47"], ["b", "bad.net"], ["b", "bad.net"]]);
});

test("script, style and textarea text is not mapped", () => {
  const { document, hl } = load("<body><script>var a='evil.com'</script><style>/* evil.com */</style>"
    + "<textarea>evil.com</textarea><p>evil.com</p></body>");
  const { points } = hl.mapItems(document.body, [item("d", ["evil.com"])]);
  assert.equal(points.length, 1);
  assert.equal(points[0].startNode.parentNode.nodeName, "P");
});

test("generated splits: every planted IOC is found whatever element boundaries cut it", () => {
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const iocs = ["185.220.101[.]47", "hxxp://evil-c2[.]example[.]com/gate.php", "CVE-2021-44228",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "bad[.]example"];
  const filler = [" lorem ", " ipsum, ", " (", ") ", "\n", " the ", "; "];
  for (let round = 0; round < 200; round += 1) {
    const { document, window, hl } = load("<body><div id=root></div></body>");
    const root = document.getElementById("root");
    const planted = [];
    let text = "";
    for (let k = 0; k < 6; k += 1) {
      text += filler[rnd(filler.length)];
      const ioc = iocs[rnd(iocs.length)];
      planted.push(ioc);
      text += ioc;
      text += filler[rnd(filler.length)];
    }
    // Cut the text at random places into nested inline elements. Appending only along the
    // rightmost path keeps document order equal to text order.
    let i = 0;
    let path = [root];
    while (i < text.length) {
      const n = 1 + rnd(9);
      const el = document.createElement(["b", "i", "span", "a", "em"][rnd(5)]);
      el.append(document.createTextNode(text.slice(i, i + n)));
      const d = rnd(path.length);
      path[d].append(el);
      path = [...path.slice(0, d + 1), el];
      i += n;
    }
    assert.equal(root.textContent, text);
    const items = iocs.map((s, k) => item(`k${k}`, [s]));
    const { points } = hl.mapItems(document.body, items);
    const found = plain(points.map((p) => textOf(document, p))).sort();
    assert.deepEqual(found, [...planted].sort(), `round ${round}: ${text}`);
    void window;
  }
});

test("flood guards: occurrences per IOC and characters mapped are capped", () => {
  const { document, hl } = load(`<body><p>${"evil.com ".repeat(1000)}</p></body>`);
  const { points } = hl.mapItems(document.body, [item("d", ["evil.com"])]);
  assert.equal(points.length, hl.LIMITS.maxPerIoc);
  const small = { ...hl.LIMITS, maxChars: 50 };
  const { points: few, truncated } = hl.mapItems(document.body, [item("d", ["evil.com"])], small);
  assert.equal(truncated, true);
  assert.equal(few.length, 5); // "evil.com " x 5 fit in the first 50 characters; nothing past them
  assert.ok(few.every((p) => p.end <= 50));
});

test("wrapping fallback: marks carry the group's random class; clear restores the page", () => {
  const html = "<body><p id=p>see evil[.]<b>com</b> and 1.2.3[.]4 end</p></body>";
  const { document, hl } = load(html);
  const before = document.getElementById("p").textContent;
  const h = new hl.Highlighter(document, { forceWrap: true });
  const res = h.init({ names: NAMES, items: [item("domain:evil.com", ["evil[.]com"], { group: "malicious" }),
    item("ipv4:1.2.3.4", ["1.2.3[.]4"])] });
  assert.equal(res.ok, true);
  assert.equal(res.mode, "wrap");
  const marks = [...document.querySelectorAll("mark")];
  assert.deepEqual(marks.map((m) => [m.className, m.textContent]),
    [[NAMES.malicious, "evil[.]"], [NAMES.malicious, "com"], [NAMES.pending, "1.2.3[.]4"]]);
  assert.equal(document.getElementById("p").textContent, before);
  // A verdict arrives: the same marks change class, nothing else is touched.
  h.update({ items: [item("ipv4:1.2.3.4", ["1.2.3[.]4"], { group: "clean" })] });
  assert.equal(document.querySelectorAll(`mark.${NAMES.clean}`).length, 1);
  // Nothing page-readable names a verdict: classes are the random names only.
  assert.doesNotMatch(document.body.toString(), /malicious|clean|pending|suspicious/i);
  h.clear(false);
  assert.equal(document.querySelectorAll("mark").length, 0);
  assert.equal(document.getElementById("p").textContent, before);
});

test("names from the background must be random-looking: anything else is refused", () => {
  const { document, hl } = load("<body><p>evil.com</p></body>");
  const h = new hl.Highlighter(document, { forceWrap: true });
  assert.equal(h.init({ names: { ...NAMES, malicious: "x} body{display:none" }, items: [] }).ok, false);
  assert.equal(document.querySelectorAll("mark").length, 0);
});

test("Escape closes the card first, then clears and tells the background", () => {
  const { document, hl } = load("<body><p>evil.com</p></body>");
  const sent = [];
  const h = new hl.Highlighter(document, { forceWrap: true, send: (m) => sent.push(m) });
  h.init({ names: NAMES, items: [item("d", ["evil.com"])] });
  h.showCard("d", null);
  assert.ok(h.card);
  h.key({ key: "Escape" });
  assert.equal(h.card, null);
  assert.equal(document.querySelectorAll("mark").length, 1);
  h.key({ key: "Escape" });
  assert.equal(document.querySelectorAll("mark").length, 0);
  assert.deepEqual(plain(sent), [{ sx: "hl", op: "cleared" }]);
});

test("the card: closed shadow root, hostile strings stay text, actions go to the background", () => {
  const { document, hl } = load("<body><p>evil.com</p></body>");
  const sent = [];
  const h = new hl.Highlighter(document, { forceWrap: true, send: (m) => sent.push(m) });
  const evil = "<img src=x onerror=alert(1)>";
  h.init({ names: NAMES, items: [item("d", ["evil.com"], { group: "malicious", defanged: `evil[.]com${evil}`,
    verdictLabel: "Malicious", reason: `malicious: VirusTotal 12/73 ${evil}`, label: evil,
    providers: [{ name: "virustotal", label: "VirusTotal", verdict: "malicious", summary: evil }],
    pivots: [{ id: "vt", name: evil }] })] });
  h.showCard("d", null);
  const { host, root } = h.card;
  assert.equal(host.tagName.toLowerCase(), NAMES.card);
  assert.equal(host.shadowRoot, null, "closed: the page gets no handle on it");
  assert.equal(root.querySelectorAll("img").length, 0);
  const text = root.querySelector(".card").textContent;
  assert.ok(text.includes(evil));
  assert.ok(text.includes("malicious: VirusTotal 12/73"));
  // Nothing of the card is in the light DOM the page reads.
  assert.doesNotMatch(document.documentElement.toString(), /VirusTotal|12\/73/);
  const buttons = [...root.querySelectorAll("button")];
  assert.deepEqual(buttons.map((b) => b.dataset.action),
    ["copy", "copy-defanged", "details", "pivot", "close"]);
  buttons[2].dispatchEvent(new document.defaultView.Event("click"));
  buttons[3].dispatchEvent(new document.defaultView.Event("click"));
  assert.deepEqual(plain(sent), [{ sx: "hl", op: "details", key: "d" }, { sx: "hl", op: "pivot", key: "d", id: "vt" }]);
  buttons[4].dispatchEvent(new document.defaultView.Event("click"));
  assert.equal(h.card, null);
  assert.equal(document.querySelector(NAMES.card), null, "removed, not hidden");
});

test("a card is only shown for text that still reads as the IOC (the page may change it)", () => {
  const { document, hl } = load("<body><p id=p>x evil.com y</p></body>");
  const h = new hl.Highlighter(document, { forceWrap: true });
  h.init({ names: NAMES, items: [item("d", ["evil.com"])] });
  const mark = document.querySelector("mark");
  const node = mark.firstChild;
  assert.ok(h.entryAt(node, 2));
  node.data = "good.org";
  assert.equal(h.entryAt(node, 2), null);
});

test("injecting twice reuses the first instance", () => {
  const { sandbox } = load("<body></body>");
  const first = sandbox.__sentinelxHighlight;
  vm.runInContext(SRC, sandbox);
  assert.equal(sandbox.__sentinelxHighlight, first);
});

test("the message listener answers only our extension's messages", () => {
  const listeners = [];
  const chrome = { runtime: { id: "ours", onMessage: { addListener: (f) => listeners.push(f) }, sendMessage: () => {} } };
  const { document } = load("<body><p>evil.com</p></body>", { chrome });
  assert.equal(listeners.length, 1);
  const answers = [];
  listeners[0]({ sx: "hl", op: "init", names: NAMES, items: [item("d", ["evil.com"])], forceWrap: true },
    { id: "other" }, (r) => answers.push(r));
  assert.deepEqual(answers, []);
  assert.equal(document.querySelectorAll("mark").length, 0);
  listeners[0]({ sx: "hl", op: "init", names: NAMES, items: [item("d", ["evil.com"])], forceWrap: true },
    { id: "ours" }, (r) => answers.push(r));
  assert.equal(answers[0].ok, true);
  assert.equal(document.querySelectorAll("mark").length, 1);
});

test("copy and copy defanged write the refanged / defanged value, and only through the clipboard API", async () => {
  const written = [];
  const { document, hl, window } = load("<body><p>evil[.]com</p></body>");
  const clipboard = { writeText: async (t) => { written.push(t); } };
  const h = new hl.Highlighter(document, { forceWrap: true, clipboard });
  h.init({ names: NAMES, items: [item("d", ["evil[.]com"], { value: "evil.com", defanged: "evil[.]com" })] });
  h.showCard("d", null);
  await h.act("copy");
  await h.act("copy-defanged");
  assert.deepEqual(written, ["evil.com", "evil[.]com"]);
  assert.equal(h.card.root.querySelector(".status").textContent, "Copied");
  void window;
});

test("the Highlight API is used where it paints underlines; Firefox 140-145 and no API wrap", () => {
  const { hl } = load("<body></body>");
  const mode = (ua, api = true) => {
    const win = { navigator: { userAgent: ua }, ...(api ? { CSS: { highlights: new Map() }, Highlight: function Highlight() {} } : {}) };
    return new hl.Highlighter({ defaultView: win }, {}).supportsHighlights();
  };
  const FF = (v) => `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
  assert.equal(mode("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"), true);
  assert.equal(mode(FF(153)), true);
  assert.equal(mode(FF(146)), true);
  assert.equal(mode(FF(145)), false);
  assert.equal(mode(FF(140)), false);
  assert.equal(mode(FF(128), false), false);
});
