// Keyboard for the popup: arrow keys or j/k move between IOCs, Page Up/Down by a screen,
// Home/End jump, Enter opens the details (the row is a button), c copies the value, / focuses
// the search box, Escape clears it. A row out of view is drawn before it gets the focus.

function typing(target) {
  const tag = target?.tagName?.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || target?.isContentEditable;
}

export function installKeyboard(doc, app) {
  doc.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (ev.key === "/" && !typing(t)) {
      ev.preventDefault();
      doc.getElementById("search")?.focus();
      return;
    }
    if (t?.id === "search" && ev.key === "Escape" && t.value) {
      ev.preventDefault();
      app.setQuery("");
      t.value = "";
      return;
    }
    if (t?.id === "search" && ev.key === "ArrowDown") {
      ev.preventDefault();
      app.moveFocus(0, { absolute: true });
      return;
    }
    if (!t?.classList?.contains("ioc-row")) return;
    const key = t.getAttribute("data-key");
    switch (ev.key) {
      case "ArrowDown":
      case "j":
        ev.preventDefault();
        app.moveFocus(1, { from: key });
        break;
      case "ArrowUp":
      case "k":
        ev.preventDefault();
        app.moveFocus(-1, { from: key });
        break;
      case "PageDown":
        ev.preventDefault();
        app.moveFocus(app.pageRows(), { from: key });
        break;
      case "PageUp":
        ev.preventDefault();
        app.moveFocus(-app.pageRows(), { from: key });
        break;
      case "Home":
        ev.preventDefault();
        app.moveFocus(0, { absolute: true });
        break;
      case "End":
        ev.preventDefault();
        app.moveFocus(-1, { absolute: true });
        break;
      case "c":
        ev.preventDefault();
        app.copyKey(key);
        break;
      default:
        break;
    }
  });
}
