"""Applying streamed results in the popup with 5,000 IOCs on screen, in real headless Chromium.

    .venv/bin/python bench/popup_bench.py [--iocs 5000] [--delay-ms 2] [--surface both|tab|action]

The extension runs against the wave-2 contract host (tests/e2e/contract_host.py), which extracts
N indicators and streams one result frame per (IOC, provider). Two surfaces, one after the other
in the same browser: `action`, the REAL toolbar popup (opened with CDP Extensions.triggerAction,
tests/e2e/cdp_popup.py), and `tab`, popup.html in a 460x600 tab, each open before its run.
The popup records (globalThis.__sxPerf) the work of every frame, style and layout included:
streamed results are merged at once and drawn once per animation frame, so the figure that
matters is the work of one frame, every one of them (median, p95 and max), on the wall clock
(performance.now, which also counts the time the machine gave to other processes) and as the
popup's main-thread CPU time (a Chromium trace of the same frames). Also measured: the
first frame that drew the list (the 5,000 extracted IOCs arriving), and opening the popup on the
finished session (a whole state drawn). References, same run and page: a full redraw of the
list (every IOC's row built and laid out, what a list that is not virtual redraws) and a rebuild
of the popup from scratch (caches dropped, the list ordered again, the rows in view drawn).
Target (issue 16): <= 16 ms of work per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentinelx.extension_ids import CHROME_EXTENSION_ID  # noqa: E402
from tests.e2e.cdp_popup import RealPopup, open_real_popup  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS, EXT_URL, register_contract_host  # noqa: E402

BUDGET_MS = 16.0

# Every IOC's row built into a list of the popup and laid out: the non-virtual full redraw.
FULL_REDRAW = """async (n) => {
  const { fillRow } = await import('./lib/ui/rows.js');
  const app = globalThis.__sxPerf.app;
  const ctx = app.ctx();
  const out = [];
  for (let k = 0; k < n; k += 1) {
    const t = performance.now();
    const ul = document.createElement('ul');
    ul.className = 'ioc-list-flat';
    for (const row of app.rows) {
      const li = document.createElement('li');
      fillRow(document, li, ctx, row, { open: false, active: false });
      ul.append(li);
    }
    app.list.after(ul);
    void document.body.offsetHeight;
    out.push(performance.now() - t);
    ul.remove();
  }
  return out;
}"""

# The popup's own path for a new state, from scratch: what opening it costs, measured again.
REBUILD = """(n) => {
  const app = globalThis.__sxPerf.app;
  const out = [];
  for (let k = 0; k < n; k += 1) {
    const t = performance.now();
    app.cache.clear(); app.vlist.clear(); app.stale = true; app.chipsSig = null;
    app.render();
    void document.body.offsetHeight;
    out.push(performance.now() - t);
  }
  return out;
}"""

PERF = "({frames: __sxPerf.frame, apply: __sxPerf.apply, state: __sxPerf.state, first: __sxPerf.firstList,"
PERF += " slow: __sxPerf.slow,"
PERF += " iocs: __sxPerf.app.state?.iocs.length ?? 0, rows: document.querySelectorAll('li.ioc').length,"
PERF += " height: innerHeight, width: innerWidth})"


def report_text(n: int) -> str:
    lines = [
        f"Indicator {i}: c2-{i}.bench-bad[.]com and 45.{i // 250 % 250}.{i % 250}.{i % 7 + 1}"
        for i in range(n // 2)
    ]
    return "\n".join(lines)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class Surface:
    """One way to look at the popup: evaluate script in it."""

    def __init__(self, name: str, evaluate: Any, close: Any) -> None:
        self.name, self.evaluate, self.close = name, evaluate, close


def open_tab(ctx: Any) -> Surface:
    page = ctx.new_page()
    page.set_viewport_size({"width": 460, "height": 600})
    page.goto(f"{EXT_URL}/popup.html")
    page.wait_for_selector("main#app[aria-busy=false]")
    return Surface("tab", lambda js, arg=None: page.evaluate(js, arg), page.close)


def open_action(ctx: Any, page: Any) -> Surface:
    page.bring_to_front()
    popup: RealPopup = open_real_popup(ctx.browser.new_browser_cdp_session(), CHROME_EXTENSION_ID, page.url)
    popup.wait_for("document.querySelector('main#app[aria-busy=false]')")

    def evaluate(js: str, arg: Any = None) -> Any:
        expr = f"({js})({'' if arg is None else json.dumps(arg)})"
        return popup.evaluate(expr, timeout=120)

    return Surface("action", evaluate, lambda: popup.evaluate("window.close()"))


# Scroll the list a screen at a time, one step per frame: what each step cost (rows drawn, laid out).
SCROLL = """async (n) => {
  const wait = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  __sxPerf.scroll.length = 0;
  for (let k = 0; k < n; k += 1) { scrollBy(0, innerHeight); await wait(); }
  scrollTo(0, 0);
  return __sxPerf.scroll.slice();
}"""


TASKS = ("FireAnimationFrame", "TimerFire", "FunctionCall")


def frame_cpu(trace: bytes, mark: str = "sx-frame") -> list[tuple[float, float]]:
    """(thread ms, wall ms) of each task marked by console.timeStamp(mark) in popup.js: the
    outermost FireAnimationFrame, TimerFire or FunctionCall event of the trace around the mark."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    tasks: dict[tuple[int, int], list[dict[str, Any]]] = {}
    marks = []
    for e in events:
        if e.get("name") in TASKS and e.get("ph") == "X" and "tdur" in e:
            tasks.setdefault((e["pid"], e["tid"]), []).append(e)
        elif e.get("name") == "TimeStamp" and e.get("args", {}).get("data", {}).get("message") == mark:
            marks.append(e)
    out = []
    for m in marks:
        around = [t for t in tasks.get((m["pid"], m["tid"]), []) if t["ts"] <= m["ts"] <= t["ts"] + t["dur"]]
        if around:
            task = max(around, key=lambda t: t["dur"])
            out.append((task["tdur"] / 1000, task["dur"] / 1000))
    return out


def run(ctx: Any, worker: Any, surface: Surface, n: int, redraws: int) -> dict[str, Any]:
    """Stream a whole run into an open popup; measure its frames, then the references."""
    ctx.browser.start_tracing(categories=["devtools.timeline"])
    t0 = time.perf_counter()
    worker.evaluate("(t) => { globalThis.sentinelx.enrichText(t, {kind: 'text'}); }", report_text(n))
    worker.evaluate("async () => globalThis.sentinelx.whenDone()")
    elapsed = time.perf_counter() - t0
    time.sleep(0.3)
    cpu = frame_cpu(ctx.browser.stop_tracing())
    perf = surface.evaluate(f"() => ({PERF})")
    scroll = surface.evaluate(SCROLL, 60)
    full = surface.evaluate(FULL_REDRAW, max(3, redraws // 4))
    rebuild = surface.evaluate(REBUILD, redraws)
    return {"elapsed": elapsed, "perf": perf, "full": full, "rebuild": rebuild, "cpu": cpu, "scroll": scroll}


def opening(ctx: Any, surface_factory: Any) -> dict[str, Any]:
    """Open the popup on the finished session: the whole state drawn once."""
    ctx.browser.start_tracing(categories=["devtools.timeline"])
    surface = surface_factory()
    time.sleep(0.3)
    cpu = frame_cpu(ctx.browser.stop_tracing(), "sx-state")
    perf = surface.evaluate(f"() => ({PERF})")
    surface.close()
    return {**perf, "cpu": cpu}


def scroll_line(ms: list[float]) -> str:
    if not ms:
        return "no scroll frame (a page without animation frames)"
    return f"{statistics.median(ms):.2f} / {max(ms):.2f} ms ({len(ms)} steps)"


def cpu_line(cpu: list[tuple[float, float]]) -> str:
    if len(cpu) < 20:
        return f"not traced ({len(cpu)} frames found in the trace)"
    t = [c for c, _ in cpu]
    over = sum(x > BUDGET_MS for x in t)
    spread = f"{statistics.median(t):.2f} / {pct(t, 95):.2f} / {max(t):.2f} ms"
    return f"{spread} ({len(t)} traced, {over} over budget)"


def show(name: str, r: dict[str, Any], opened: dict[str, Any]) -> bool:
    p = r["perf"]
    frames: list[float] = p["frames"]
    med, p95, worst = statistics.median(frames), pct(frames, 95), max(frames)
    full, rebuild = statistics.median(r["full"]), statistics.median(r["rebuild"])
    first = p["first"] or {"ms": float("nan"), "iocs": 0}
    n_frames, over = len(frames), sum(f > BUDGET_MS for f in frames)
    lines = [
        f"--- {name}: {p['width']}x{p['height']} px, {p['iocs']} IOCs, {p['rows']} rows in the DOM",
        ("streamed messages merged", f"{len(p['apply'])} in {r['elapsed']:.1f} s, {n_frames} frames"),
        ("merge one message (median)", f"{statistics.median(p['apply']):.3f} ms"),
        ("draw one frame: median / p95 / max", f"{med:.2f} / {p95:.2f} / {worst:.2f} ms"),
        ("frames over budget", f"{over} of {n_frames}"),
        ("same frames, main-thread CPU time", cpu_line(r["cpu"])),
        ("first frame with the list", f"{first['ms']:.2f} ms ({first['iocs']} IOCs arrived)"),
        ("opening on the finished session", f"{opened['state'][0]:.2f} ms ({opened['rows']} rows drawn, "
         f"{opened['width']}x{opened['height']} px)"),
        ("  the same, main-thread CPU time", " / ".join(f"{c:.2f} ms" for c, _ in opened["cpu"]) or "-"),
        ("scroll a screen: median / max", scroll_line(r["scroll"])),
        ("reference, full redraw (median)", f"{full:.2f} ms ({p['iocs']} rows built and laid out)"),
        ("reference, rebuild from scratch", f"{rebuild:.2f} ms (caches dropped, list ordered again)"),
        ("full redraw / frame", f"{full / med:.0f}x median, {full / p95:.0f}x p95, {full / worst:.0f}x max"),
    ]
    if os.environ.get("SX_BENCH_SLOW"):
        lines += [f"  slow frame: {json.dumps(x)}" for x in p["slow"]]
    for line in lines:
        print(line if isinstance(line, str) else f"{line[0]:<37}{line[1]}")
    return worst <= BUDGET_MS and p95 <= BUDGET_MS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iocs", type=int, default=5000)
    ap.add_argument("--delay-ms", type=int, default=2)
    ap.add_argument("--redraws", type=int, default=20)
    ap.add_argument("--surface", choices=["both", "tab", "action"], default="both")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed", file=sys.stderr)
        return 2
    # The real popup first: a tab's viewport emulation (set_viewport_size) also narrows a popup
    # of the same extension opened after it (338 px instead of 460).
    surfaces = ["action", "tab"] if args.surface == "both" else [args.surface]
    tmp = Path(tempfile.mkdtemp(prefix="sx-popup-bench-"))
    results: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    try:
        profile = tmp / "profile"
        profile.mkdir()
        config = tmp / "contract.json"
        verdicts = {f"c2-{i}.bench-bad.com": {"virustotal": "malicious"} for i in range(0, args.iocs, 10)}
        config.write_text(json.dumps({"keys": {"virustotal": "f" * 64}, "delay_ms": args.delay_ms,
                                      "verdicts": verdicts}))
        register_contract_host(profile, tmp)
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(profile), executable_path=chromium, headless=True,
                args=[*CHROMIUM_ARGS, "--enable-unsafe-extension-debugging"],
                ignore_default_args=["--disable-extensions"],
                env={**os.environ, "SX_CONTRACT_CONFIG": str(config)},
            )
            try:
                workers = ctx.service_workers
                worker = workers[0] if workers else ctx.wait_for_event("serviceworker")
                worker.evaluate("chrome.storage.local.set({'sx.prefs': {previewMode: 'never'}})")
                page = ctx.new_page()
                page.goto("data:text/html,<title>bench</title><p>a page under the popup</p>")
                for name in surfaces:
                    factory = (lambda: open_tab(ctx)) if name == "tab" else (lambda: open_action(ctx, page))
                    surface = factory()
                    r = run(ctx, worker, surface, args.iocs, args.redraws)
                    surface.close()
                    results[name] = (r, opening(ctx, factory))
            finally:
                ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = cpu_ok = True
    for name, (r, opened) in results.items():
        if len(r["perf"]["frames"]) < 20:
            print(f"{name}: too few frames measured ({len(r['perf']['frames'])})", file=sys.stderr)
            return 1
        ok = show("popup.html in a tab" if name == "tab" else "the real toolbar popup", r, opened) and ok
        cpu = [c for c, _ in r["cpu"]]
        cpu_ok = cpu_ok and len(cpu) >= 20 and max(cpu) <= BUDGET_MS
    print(f"load average while measuring         {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"every frame within budget, CPU time  {'yes' if cpu_ok else 'NO'}")
    print(f"every frame within budget, wall      {'yes' if ok else 'NO'} (p95 and max)")
    return 0 if ok and cpu_ok else 1


if __name__ == "__main__":
    sys.exit(main())
