"""Peers for the extraction benchmark: ioc-extractor (npm, under node) and the peer test suites.

    .venv/bin/python bench/extract_peers.py            # the peer suites only (~5 s)

`bench/extract_bench.py` imports this for its speed ratios and prints the same tables.

* ioc-extractor 8.2.0 (the extractor behind Mitaka) is the npm package run under node: found in
  tests/node_modules, or installed once with npm into a cache folder (SENTINELX_BENCH_NPM, default
  <tmp>/sentinelx-bench-npm). Without node or npm it is skipped with a message.
* The peer suites (other extractors' test data, with a scorer) live outside the project, in
  ../shared/bench/extraction-peers/ beside the repository root (for a git worktree, beside the
  main checkout), or SENTINELX_PEERS_DIR. They are other projects' data: read at bench time,
  never copied here. Without them this part is skipped with a message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IOC_EXTRACTOR = "ioc-extractor@8.2.0"
# Figures are scored without the two pure-convention tags (see docs/extraction.md).
CONVENTION_TAGS = "no-public-tld,placeholder-hash"
PEERS = ("iocsearcher", "iocextract", "ioc-finder", "ioc-extractor")
# Each suite's own author: its figures there are its own tests passing.
AUTHOR = {"iocextract": "iocextract", "iocextract_soft": "iocextract",
          "iocextract_urlgrid": "iocextract", "iocextract_refang": "iocextract",
          "ioc_finder": "ioc-finder", "ioc_extractor": "ioc-extractor",
          "ioc_extractor_refang": "ioc-extractor", "iocsearcher_readme": "iocsearcher"}

Pair = tuple[str, str]

# --------------------------------------------------------------------------------------------
# ioc-extractor under node

_NODE_SCRIPT = r"""
import { extractIOC } from "ioc-extractor";
import { readFileSync } from "node:fs";
const [mode, path, repeat] = process.argv.slice(2);
const data = readFileSync(path, "utf8");
if (mode === "time") {
  extractIOC(data.slice(0, 4096));  // JIT warm-up outside the timed region
  let best = Infinity, bestCpu = Infinity;
  for (let i = 0; i < Number(repeat); i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    extractIOC(data);
    const c = process.cpuUsage(c0);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  console.log(JSON.stringify({ seconds: best, cpu: bestCpu }));
} else {
  console.log(JSON.stringify(JSON.parse(data).map((t) => extractIOC(t))));
}
"""
_IOCX_TYPES = {"urls": "url", "domains": "domain", "ipv4s": "ipv4", "ipv6s": "ipv6",
               "emails": "email", "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256",
               "cves": "cve"}


def _npm_dir() -> Path:
    return Path(os.environ.get("SENTINELX_BENCH_NPM",
                               Path(tempfile.gettempdir()) / "sentinelx-bench-npm"))


def ioc_extractor_dir() -> Path | None:
    """A folder whose node_modules holds ioc-extractor (installed there if needed), or None."""
    if shutil.which("node") is None:
        return None
    for base in (ROOT / "tests", _npm_dir()):
        if (base / "node_modules" / "ioc-extractor" / "package.json").is_file():
            return base
    if shutil.which("npm") is None:
        return None
    base = _npm_dir()
    base.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                           "--prefix", str(base), IOC_EXTRACTOR], capture_output=True, text=True)
    ok = done.returncode == 0 and (base / "node_modules" / "ioc-extractor").is_dir()
    return base if ok else None


def _run_node(base: Path, mode: str, data: str, repeat: int = 1) -> str:
    script = base / "sentinelx_bench_iocx.mjs"  # beside node_modules, so the import resolves
    script.write_text(_NODE_SCRIPT, encoding="utf-8")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(data)
    try:
        out = subprocess.run(["node", str(script), mode, f.name, str(repeat)], check=True,
                             capture_output=True, text=True)
        return out.stdout
    finally:
        Path(f.name).unlink()


def time_ioc_extractor(base: Path, text: str, repeat: int = 5) -> float:
    """Best of `repeat` in-process runs of extractIOC(text), node start-up excluded."""
    return time_ioc_extractor_both(base, text, repeat)[0]


def time_ioc_extractor_both(base: Path, text: str, repeat: int = 5) -> tuple[float, float]:
    """(wall, CPU) seconds, each the best of `repeat` in-process runs of extractIOC(text)."""
    out = json.loads(_run_node(base, "time", text, repeat))
    return float(out["seconds"]), float(out["cpu"])


def ioc_extractor_pairs_many(base: Path, texts: list[str]) -> list[list[Pair]]:
    """ioc-extractor's IOCs for every text, from one node process."""
    from bench.extract_bench import _norm

    results = json.loads(_run_node(base, "extract", json.dumps(texts)))
    return [[(kind, _norm(kind, v)) for key, kind in _IOCX_TYPES.items() for v in r.get(key, ())]
            for r in results]


# --------------------------------------------------------------------------------------------
# The peer suites


def _main_checkout() -> Path | None:
    """The main checkout's root when ROOT is a git worktree (its ../shared is the real one)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out.stdout.strip()).parent


def peers_dir() -> Path | None:
    """../shared/bench/extraction-peers/ beside the repository root, if it is there."""
    candidates: list[Path] = []
    if env := os.environ.get("SENTINELX_PEERS_DIR"):
        candidates.append(Path(env))
    candidates.append(ROOT.parent / "shared" / "bench" / "extraction-peers")
    if (main := _main_checkout()) is not None:
        candidates.append(main.parent / "shared" / "bench" / "extraction-peers")
    return next((c for c in candidates if (c / "score.py").is_file()), None)


def score_peer_suites(folder: Path, skip_tags: str = "") -> dict:
    """Run the suites' own scorer on sentinelx in-process; its JSON figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        cmd = [sys.executable, str(folder / "score.py"),
               "--func", "sentinelx.pipeline.extract:extract_iocs", "--json", str(out)]
        if skip_tags:
            cmd += ["--skip-tags", skip_tags]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
        return json.loads(out.read_text(encoding="utf-8"))


_ROW_RE = re.compile(r"^\|\s*(\w+)\s*\|\s*\d+\s*\|(.*)\|\s*$")
_CELL_RE = re.compile(r"([\d.]+)/([\d.]+)/([\d.]+)")


def peer_f1s(folder: Path) -> dict[str, dict[str, float]]:
    """The peers' per-suite F1, read from the suites' README (scored on every case)."""
    table: dict[str, dict[str, float]] = {}
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        m = _ROW_RE.match(line)
        if m is None:
            continue
        cells = [_CELL_RE.search(c) for c in m.group(2).split("|")]
        if len(cells) == len(PEERS) and all(cells):
            table[m.group(1)] = {p: float(c.group(3)) for p, c in zip(PEERS, cells, strict=True)
                                 if c is not None}
    return table


def peer_table(folder: Path) -> list[str]:
    """Lines of the per-suite table: ours (all cases, and without the convention tags) beside
    the peers and the best tool that is not the suite's author."""
    full = score_peer_suites(folder)
    lean = score_peer_suites(folder, CONVENTION_TAGS)
    peers = peer_f1s(folder)
    head = (f"{'suite':<22} {'ours P/R/F1 (no conv. tags)':>28} {'ours F1 all':>11} "
            + " ".join(f"{p:>13}" for p in PEERS) + f" {'best non-author':>16}")
    lines = [head, "-" * len(head)]
    for suite, fig in lean["sources"].items():
        others = {p: f for p, f in peers.get(suite, {}).items() if p != AUTHOR.get(suite)}
        best = max(others.values(), default=0.0)
        ok = "ok" if fig["f1"] + 1e-9 >= best and fig["p"] >= 0.98 else "BELOW"
        lines.append(
            f"{suite:<22} {fig['p']:>10.3f}/{fig['r']:.3f}/{fig['f1']:.3f}{'':>6}"
            f"{full['sources'][suite]['f1']:>11.3f} "
            + " ".join(f"{peers.get(suite, {}).get(p, float('nan')):>13.2f}" for p in PEERS)
            + f" {best:>10.2f} {ok}")
    lines.append(f"macro-F1: {lean['macro_f1']:.3f} without the convention tags, "
                 f"{full['macro_f1']:.3f} on every case")
    for tag, fig in full["tags"].items():
        lines.append(f"  tag {tag:<26} P {fig['p']:.3f} R {fig['r']:.3f} F1 {fig['f1']:.3f}")
    return lines


def print_peer_suites() -> None:
    folder = peers_dir()
    print("\n== the peer suites (other extractors' test data, read from outside the project) ==")
    if folder is None:
        print("skipped: ../shared/bench/extraction-peers/ is not there (a clean clone has none)")
        return
    print(f"from {folder}; peers' F1 from its README (every case)")
    for line in peer_table(folder):
        print(line)


def print_ioc_extractor_accuracy(base: Path | None, corpora: Iterable[Path]) -> None:
    """ioc-extractor on the project's corpora, scored like the other tools."""
    from bench.extract_bench import Score, load_corpus, score_case

    if base is None:
        return
    for path in corpora:
        cases = load_corpus(path)
        tp = fp = fn = 0
        for case, got in zip(cases, ioc_extractor_pairs_many(base, [c.text for c in cases]),
                             strict=True):
            s, _, _ = score_case(case, got)
            tp, fp, fn = tp + s.tp, fp + s.fp, fn + s.fn
        s = Score(tp, fp, fn)
        print(f"{'ioc-extractor':<13} on {path.name:<29} {s.tp:5d} {s.fp:5d} {s.fn:5d} "
              f"{s.precision:10.3f} {s.recall:8.3f} {s.f1:7.3f}")


def main(argv: list[str] | None = None) -> int:
    print_peer_suites()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
