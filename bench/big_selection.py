"""A 1 MB selection with 12,000+ IOCs, trigger to preview, in real headless Chromium.

    .venv/bin/python bench/big_selection.py [--runs 3]

The real host (installed for Chromium into the bench's profile) with all twelve providers at
their local fakes (tests/support/world.py); the real toolbar popup is open (CDP
Extensions.triggerAction). Each run hands the 1 MB page (bench/host_bench.py's generator) to
the function the context menu calls with the selection (sentinelx.enrichText) and notes when
the popup first lists the IOCs found and when it shows the privacy preview ("Review what will
be sent"), both clocks on performance.timeOrigin. Reference from the same run: in-process
`extract_iocs` on the same text. Target (issue 16): trigger -> preview <= 2 x extraction + 300 ms.

Then "Send" for all of them: the time until the host has accepted every part of the enrich
request and the first result is in, and that no error came; the run is then cancelled (the
free-tier quotas would pace 12,000 lookups over days). Peak RSS of the host process at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.host_bench import Host, median_time, page  # noqa: E402
from sentinelx.extension_ids import CHROME_EXTENSION_ID, chrome_origin  # noqa: E402
from sentinelx.pipeline.extract import extract_iocs  # noqa: E402
from tests.e2e.cdp_popup import open_real_popup  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS, EXT_URL  # noqa: E402
from tests.support.enrich_env import Dirs  # noqa: E402
from tests.support.world import World  # noqa: E402

ARM = """(() => {
  const now = () => performance.timeOrigin + performance.now();
  const when = (seen) => new Promise((resolve) => {
    if (seen()) return resolve(now());
    new MutationObserver((_, obs) => { if (seen()) { obs.disconnect(); resolve(now()); } })
      .observe(document, {subtree: true, childList: true});
  });
  document.querySelectorAll("li.ioc").forEach((li) => li.remove());
  const perf = globalThis.__sxPerf;
  window.__sxMark = {apply: perf.apply.length, frame: perf.frame.length, state: perf.state.length};
  window.__sxList = when(() => document.querySelector("li.ioc"));
  window.__sxBench = when(() => document.querySelector("#preview"));
  return true; })()"""


# When each reply frame reaches the service worker (before it is handled), for the timeline.
ARM_SW = """(() => {
  const h = globalThis.sentinelx.host;
  if (!h.__sxTimed) {
    const handle = h.handleMessage.bind(h);
    h.handleMessage = (port, msg) => {
      globalThis.__sxFrames?.push([msg?.type, msg?.part ?? 1, performance.timeOrigin + performance.now()]);
      return handle(port, msg);
    };
    const post = h.post.bind(h);
    h.post = (msg) => {  // when the request leaves the worker, and how long posting takes
      const t = performance.timeOrigin + performance.now();
      const out = post(msg);
      globalThis.__sxFrames?.push([`post ${msg?.type}`, 1, t, performance.timeOrigin + performance.now()]);
      return out;
    };
    const store = globalThis.sentinelx.controller.store;
    const flush = store.flush.bind(store);
    store.flush = async () => {  // the session backup (storage.session), for the timeline
      const t = performance.timeOrigin + performance.now();
      await flush();
      globalThis.__sxFrames?.push(["backup", 1, t, performance.timeOrigin + performance.now()]);
    };
    h.__sxTimed = true;
  }
  globalThis.__sxFrames = [];
  return true; })()"""


def host_peak_rss_kib() -> int:
    """VmHWM of the running `sentinelx host` processes (the one the browser started)."""
    peak = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"sentinelx" not in b" ".join(cmd) or b"host" not in cmd:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak


def reference_ms(text: str) -> float:
    """In-process `extract_iocs` on the text, median of 3: the issue's reference. Measured
    right before each run it is compared with, so a machine that slows down or speeds up
    between runs (a shared VM) moves both."""
    return median_time(lambda: extract_iocs(text), 3) * 1000


def host_alone(launcher: Path, env: dict[str, str], text: str,
               runs: int) -> list[tuple[float, float, float]]:
    """The host by itself through its launcher (no browser): from sending `extract` with
    `preview` to the whole `extracted` reply, and to the whole `previewed` one."""
    out = []
    h = Host([str(launcher), chrome_origin(CHROME_EXTENSION_ID)], env)
    try:
        h.send(b'{"id":"p","type":"ping"}')
        h.wait("p:pong", 30)
        body = json.dumps({"type": "extract", "text": text, "preview": {"include_private": False}})
        for n in range(runs):
            rid = f"x{n}"
            ref = reference_ms(text)
            t = time.perf_counter()
            h.send(('{"id":"' + rid + '",' + body[1:]).encode())
            listed = h.wait(f"{rid}:extracted:whole") - t
            out.append((listed * 1e3, (h.wait(f"{rid}:previewed:whole") - t) * 1e3, ref))
    finally:
        h.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed (./tests/run.sh installs it)", file=sys.stderr)
        return 2
    text = page()
    n_iocs = len(extract_iocs(text))
    refs: list[float] = []  # the reference, measured again right before each run
    tmp = Path(tempfile.mkdtemp(prefix="sx-big-"))
    dirs = Dirs(tmp / "config", tmp / "cache", tmp / "log")
    for d in (dirs.config, dirs.cache, dirs.log):
        d.mkdir()
    env = dirs.env(SENTINELX_DATA_DIR=str(tmp / "data"))
    profile = tmp / "profile"
    subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "chromium",
                    "--manifest-dir", str(profile / "NativeMessagingHosts"),
                    "--launcher-python", sys.executable, "--no-shim"],
                   env=env, check=True, capture_output=True)
    previews, lists, sends, errors = [], [], [], []
    parts: dict[str, float] = {}
    rss = 0
    alone: list[tuple[float, float, float]] = []
    timelines: list[list[tuple[str, int, float, float | None]]] = []
    popup_ms: list[dict[str, float]] = []
    try:
        with World() as world, sync_playwright() as p:
            world.configure(dirs)
            alone = host_alone(profile / "NativeMessagingHosts" / "sentinelx-host", env, text,
                               args.runs)
            ctx = p.chromium.launch_persistent_context(
                str(profile), executable_path=chromium, headless=True, env=dict(env),
                args=[*CHROMIUM_ARGS, "--enable-unsafe-extension-debugging"],
                ignore_default_args=["--disable-extensions"],
            )
            try:
                sw = next((w for w in ctx.service_workers if w.url.startswith(EXT_URL)), None)
                sw = sw or ctx.wait_for_event("serviceworker", timeout=15_000)
                sw.evaluate("() => globalThis.sentinelx.host.call('ping')")  # the port is warm
                tab = ctx.new_page()
                tab.goto("about:blank")
                tab.bring_to_front()
                popup = open_real_popup(ctx.browser.new_browser_cdp_session(), CHROME_EXTENSION_ID,
                                        tab.url)
                popup.wait_for("document.querySelector('main#app[aria-busy=false]')")
                for _ in range(args.runs):
                    refs.append(reference_ms(text))
                    popup.evaluate(ARM)
                    sw.evaluate(ARM_SW)
                    t0 = sw.evaluate("""async (text) => {
                        const t0 = performance.timeOrigin + performance.now();
                        globalThis.sentinelx.enrichText(text, {kind: "selection", title: "bench"},
                                                        {open: false});
                        return t0; }""", text)
                    t1 = popup.evaluate("window.__sxBench", timeout=120)
                    previews.append(t1 - t0)
                    lists.append(popup.evaluate("window.__sxList", timeout=120) - t0)
                    popup_ms.append(popup.evaluate("""(() => {
                        const p = globalThis.__sxPerf, m = window.__sxMark;
                        const sum = (k) => p[k].slice(m[k]).reduce((a, b) => a + b, 0);
                        return {apply: sum("apply"), frame: sum("frame"), state: sum("state"),
                                frames: p.frame.slice(m.frame).map(Math.round),
                                slow: p.slow.slice(-6)}; })()"""))
                    timelines.append([(kind, part, f[2] - t0, f[3] - t0 if len(f) > 3 else None)
                                      for f in sw.evaluate("globalThis.__sxFrames")
                                      for kind, part in [f[:2]]
                                      if kind in ("extracted", "previewed", "backup", "post extract")])
                    shown = popup.evaluate("globalThis.__sxPerf?.app?.state?.iocs?.length ?? null")
                    # Send everything; wait for every part to be accepted and a first result.
                    sent = sw.evaluate("""async () => {
                        const t0 = performance.now();
                        globalThis.sentinelx.confirm();
                        for (;;) {
                          const s = globalThis.sentinelx.getState();
                          if (s.error) return {error: s.error};
                          const got = Object.keys(s.results ?? {}).length;
                          if (s.enrichId && got > 0) return {ms: performance.now() - t0,
                                                             send: s.send.length, got};
                          if (performance.now() - t0 > 120000) return {error: "timeout"};
                          await new Promise((r) => setTimeout(r, 5));
                        }
                    }""")
                    time.sleep(1.0)  # any late error (a refused part) shows up here
                    late = sw.evaluate("() => globalThis.sentinelx.getState().error ?? null")
                    sw.evaluate("() => globalThis.sentinelx.cancel()")
                    sw.evaluate("() => globalThis.sentinelx.whenSettled()")
                    if "error" in sent or late:
                        errors.append(str(sent.get("error") or late))
                    else:
                        sends.append((sent["ms"], sent["send"], shown))
                # Where the time goes: the two host calls alone, from the service worker.
                parts = sw.evaluate("""async (text) => {
                    const h = globalThis.sentinelx.host;
                    let t = performance.now();
                    const r = await h.call("extract", {text});
                    const extract = performance.now() - t;
                    const iocs = r.iocs.filter((i) => !i.private)
                        .map((i) => ({type: i.type, value: i.value}));
                    t = performance.now();
                    await h.call("preview", {iocs, include_private: false});
                    return {extract, preview: performance.now() - t, n: iocs.length};
                }""", text)
                rss = host_peak_rss_kib()
            finally:
                ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"1 MB selection, {n_iocs:,} IOCs, real Chromium + real host, all 12 providers at fakes; "
          "reference: in-process extract_iocs on the same text, median of 3, measured right "
          "before each run; target (issue 16): trigger -> preview <= 2x reference + 300 ms")
    for i, (ms, shown, ref) in enumerate(zip(previews, lists, refs, strict=True)):
        budget = 2 * ref + 300
        print(f"run {i + 1}: reference {ref:.0f} ms, target {budget:.0f} ms; trigger -> the IOCs "
              f"listed {shown:.0f} ms (ratio {shown / budget:.2f}); -> the privacy preview "
              f"{ms:.0f} ms = {ms / ref:.2f}x extraction (ratio {ms / budget:.2f})")
    for i, (frames, work) in enumerate(zip(timelines, popup_ms, strict=True)):
        print(f"run {i + 1}, frames reaching the service worker: "
              + ", ".join(f"{kind} {part} at {ms:.0f} ms" if end is None else
                          f"{'session backup' if kind == 'backup' else kind} {ms:.0f}-{end:.0f} ms"
                          for kind, part, ms, end in frames)
              + f"; the popup's own work: merging {work['apply']:.0f} ms, drawing "
              f"{work['frame'] + work['state']:.0f} ms")
        if os.environ.get("SX_BENCH_DEBUG"):
            print("   frames", work["frames"], "slow", work["slow"])
    for i, (listed, previewed, ref) in enumerate(alone):
        print(f"host alone, run {i + 1}: reference {ref:.0f} ms; extract+preview sent -> whole "
              f"list {listed:.0f} ms, -> whole preview {previewed:.0f} ms "
              f"(ratio {previewed / (2 * ref + 300):.2f})")
    if parts:
        print(f"where it goes (service worker, host calls alone): extract round trip "
              f"{parts['extract']:.0f} ms, preview of {parts['n']:,.0f} IOCs {parts['preview']:.0f} ms")
    for ms, n_sent, shown in sends:
        print(f"send all: {n_sent:,} IOCs sent (popup holds {shown}), every part accepted and "
              f"first result in {ms:.0f} ms, no error")
    for e in errors:
        print(f"send all FAILED: {e}")
    print(f"host peak RSS: {rss / 1024:.1f} MiB")
    return 1 if errors or not previews else 0


if __name__ == "__main__":
    sys.exit(main())
