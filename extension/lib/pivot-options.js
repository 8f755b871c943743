// The options page's pivots section: turn built-in services off, add and remove custom https
// templates. Settings live in storage.local (lib/pivots.js; no secrets). Names and templates
// reach the DOM as text and attribute values only.
import {
  PIVOT_TYPES, addCustomPivot, loadBuiltinPivots, loadPivotSettings, mergePivots, savePivotSettings,
} from "./pivots.js";
import { button, el } from "./ui/dom.js";

export async function setupPivotOptions(doc, { storage, fetchFn, url }) {
  const $ = (id) => doc.getElementById(id);
  const status = $("pivot-status");
  const say = (text, kind = "") => {
    status.textContent = text;
    status.className = kind;
  };
  const builtins = await loadBuiltinPivots(fetchFn, url);
  let settings = await loadPivotSettings(storage);

  async function save(next, message) {
    settings = await savePivotSettings(storage, next);
    draw();
    say(message, "ok");
  }

  function draw() {
    const items = mergePivots(builtins, settings).map((p) => {
      const id = `pv-on-${p.id}`;
      const box = el(doc, "input", { type: "checkbox", id, "data-name": p.name, "data-pivot": p.id });
      box.checked = p.enabled;
      box.addEventListener("change", () => {
        const off = new Set(settings.disabled);
        if (box.checked) off.delete(p.id);
        else off.add(p.id);
        save({ ...settings, disabled: [...off] }, `${p.name} ${box.checked ? "on" : "off"}.`);
      });
      const types = Object.keys(p.templates).join(", ");
      const li = el(doc, "li", {}, box, el(doc, "label", { for: id }, p.name),
        el(doc, "span", { class: "muted" }, ` (${types})`));
      if (!p.builtin) {
        li.append(" ", button(doc, "Remove", () => save({ ...settings,
          custom: settings.custom.filter((c) => c.id !== p.id),
          disabled: settings.disabled.filter((d) => d !== p.id) }, `${p.name} removed.`),
        { "aria-label": `Remove ${p.name}` }));
      }
      return li;
    });
    $("pivot-list").replaceChildren(...items);
  }

  $("pivot-types").replaceChildren(...PIVOT_TYPES.map((t) => el(doc, "label", {},
    el(doc, "input", { type: "checkbox", id: `pivot-type-${t}`, value: t }), ` ${t}`)));
  $("pivot-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const types = PIVOT_TYPES.filter((t) => $(`pivot-type-${t}`).checked);
    const got = addCustomPivot(settings, { name: $("pivot-name").value, types, template: $("pivot-template").value.trim() });
    if (!got.ok) {
      say(`Not added: ${got.error}.`, "error");
      return;
    }
    await save(got.settings, `Added ${$("pivot-name").value.trim()}.`);
    $("pivot-name").value = "";
    $("pivot-template").value = "";
    for (const t of PIVOT_TYPES) $(`pivot-type-${t}`).checked = false;
  });
  draw();
}
