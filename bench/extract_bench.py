"""Extraction benchmark: sentinelx vs iocsearcher, iocextract and ioc-extractor, speed and accuracy.

    .venv/bin/python bench/extract_bench.py [--quick]

Prints, in one run: seconds and MB/s for each tool at 64 KB, 256 KB, 1 MB and 4 MB of
report-like text (iocextract only where it finishes within a minute; ioc-extractor, the npm
package, under node when node is there), the speed ratios, the 4 MB / 1 MB cost ratio,
`sentinelx extract` end to end, precision/recall/F1 on the labelled corpora in tests/data/,
and the peer suites when ../shared/bench/extraction-peers/ is there (bench/extract_peers.py).
The helpers here (report generator, corpus scoring) are also used by the unit tests, so the
figures and the tests measure the same thing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "ioc_corpus.jsonl"
SIZES = (64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024)
IOCEXTRACT_LIMIT_S = 60.0

Pair = tuple[str, str]  # (type, normalised value)

# --------------------------------------------------------------------------------------------
# Report-like text: prose, ~15% of paragraphs carrying IOCs, mixed defanged and plain.

_PROSE = (
    "the of and to in is that for on with as by this from at be are was it or an have not "
    "attacker payload malware campaign threat actor loader beacon persistence registry key "
    "analysis sample observed infrastructure server network traffic encrypted command control "
    "version build report team figure table section dropper stage execution process windows "
    "linux powershell script module update configuration credential phishing email document "
    "macro victim organisation sector government financial lateral movement exfiltration "
    "archive password service scheduled task privilege escalation exploit vulnerability patch"
)
_WORDS = _PROSE.split()
# Things that look like IOCs to a naive extractor but are not: they must cost nothing.
_DISTRACTORS = (
    "e.g.", "i.e.", "setup.py", "report.docx", "v2.3.1", "1.2.3-beta", "Fig. 3", "3.5",
    "Trojan.Win32.Agent", "os.path.join", "invoice.zip", "README.md", "(see above)", "2024-01-12",
    "10:45", "No. 7", "U.S.", "run.sh", "config.json", "section 4.2", "50%",
)
_TLDS = ("com", "net", "org", "ru", "xyz", "top", "info", "io", "biz", "cc", "online", "site")


def _ioc_snippet(r: random.Random) -> str:
    name = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(5, 12)))
    domain = f"{name}.{r.choice(_TLDS)}"
    ip = ".".join(str(r.randint(1, 223)) for _ in range(4))
    defang = r.random() < 0.5
    if defang:
        domain = domain.replace(".", "[.]")
        ip = ip[: ip.rfind(".")] + "[.]" + ip[ip.rfind(".") + 1 :]
    kind = r.randrange(7)
    if kind == 0:
        return f"{'hxxps' if defang else 'https'}://{domain}/{name}/index.php?id={r.randint(1, 99)}"
    if kind == 1:
        return f"the C2 {ip} on port {r.choice((443, 8080, 4444))}"
    if kind == 2:
        return f"the domain {domain}"
    if kind == 3:
        return f"SHA256 {r.getrandbits(256):064x}"
    if kind == 4:
        return f"CVE-{r.randint(2015, 2025)}-{r.randint(1000, 49999)}"
    if kind == 5:
        return f"{name}{'[@]' if defang else '@'}{domain}"
    return f"MD5 {r.getrandbits(128):032X}"


def make_report(size: int, seed: int = 1337) -> str:
    """Deterministic report-like text of exactly `size` characters (ASCII)."""
    r = random.Random(seed)
    paragraphs: list[str] = []
    total = 0
    while total < size:
        sentences = []
        for _ in range(r.randint(3, 7)):
            words = [r.choice(_WORDS) for _ in range(r.randint(8, 22))]
            if r.random() < 0.3:
                words.insert(r.randrange(len(words)), r.choice(_DISTRACTORS))
            sentences.append(" ".join(words).capitalize() + r.choice(".....?!;"))
        if r.random() < 0.15:
            for _ in range(r.randint(1, 3)):
                sentences.insert(r.randrange(len(sentences) + 1),
                                 f"We saw {_ioc_snippet(r)} in the logs.")
        paragraph = " ".join(sentences) + "\n\n"
        paragraphs.append(paragraph)
        total += len(paragraph)
    return "".join(paragraphs)[:size]


# --------------------------------------------------------------------------------------------
# The labelled corpus and its scoring.

@dataclass(frozen=True, slots=True)
class Case:
    id: str
    category: str
    text: str
    expected: frozenset[Pair]
    private: frozenset[str]


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_corpus(path: Path = CORPUS) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            cases.append(Case(d["id"], d["category"], d["text"],
                              frozenset((t, v) for t, v in d["expected"]),
                              frozenset(d.get("private", ()))))
    return cases


def _host_of(kind: str, value: str) -> str | None:
    if kind == "email":
        return value.rpartition("@")[2].lower()
    if kind == "url":
        rest = value.partition("://")[2]
        for sep in "/?#":
            rest = rest.split(sep, 1)[0]
        return rest.rpartition("@")[2].split(":")[0].lower()
    return None


def _ignored_domains(pairs: Iterable[Pair]) -> set[str]:
    """Hosts of URLs and emails (and their parent domains): optional as separate domains."""
    ignored: set[str] = set()
    for kind, value in pairs:
        host = _host_of(kind, value)
        while host and "." in host:
            ignored.add(host)
            host = host.split(".", 1)[1]
    return ignored


def score_case(case: Case, predicted: Iterable[Pair]) -> tuple[Score, set[Pair], set[Pair]]:
    """Score one case; also return its false positives and false negatives."""
    got = set(predicted)
    ignored = _ignored_domains(case.expected | got)

    def keep(pair: Pair) -> bool:
        return not (pair[0] == "domain" and pair[1] in ignored and pair not in case.expected)

    got = {p for p in got if keep(p)}
    fps, fns = got - case.expected, set(case.expected - got)
    return Score(len(got & case.expected), len(fps), len(fns)), fps, fns


def score_corpus(cases: list[Case], extract: Callable[[str], Iterable[Pair]]) -> Score:
    tp = fp = fn = 0
    for case in cases:
        s, _, _ = score_case(case, extract(case.text))
        tp, fp, fn = tp + s.tp, fp + s.fp, fn + s.fn
    return Score(tp, fp, fn)


# --------------------------------------------------------------------------------------------
# The three extractors, each reduced to (type, normalised value) pairs.

def sentinelx_pairs(text: str) -> list[Pair]:
    from sentinelx.pipeline.extract import extract_iocs

    return [(i.type.value, i.value) for i in extract_iocs(text)]


def _norm(kind: str, value: str) -> str:
    """Apply DESIGN.md normalisation to library output so only extraction is compared."""
    import ipaddress

    if kind in ("domain", "email"):
        return value.lower().rstrip(".")
    if kind in ("md5", "sha1", "sha256"):
        return value.lower()
    if kind == "cve":
        return value.upper()
    if kind == "ipv6":
        try:
            addr = ipaddress.IPv6Address(value)
        except ValueError:
            return value
        return f"::ffff:{addr.ipv4_mapped}" if addr.ipv4_mapped else addr.compressed
    if kind == "url":
        scheme, sep, rest = value.partition("://")
        if not sep:
            return value
        host_end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
        return f"{scheme.lower()}://{rest[:host_end].lower()}{rest[host_end:]}"
    return value


_SEARCHER = None
_IOCSEARCHER_TYPES = {"url": "url", "fqdn": "domain", "ip4": "ipv4", "ip6": "ipv6", "md5": "md5",
                      "sha1": "sha1", "sha256": "sha256", "cve": "cve", "email": "email"}


def iocsearcher_pairs(text: str) -> list[Pair]:
    global _SEARCHER
    if _SEARCHER is None:
        from iocsearcher.searcher import Searcher

        _SEARCHER = Searcher()
    out = []
    try:
        found = _SEARCHER.search_data(text)
    except ValueError:  # iocsearcher 3.1 raises on URLs with an out-of-range port
        return []
    for ioc in found:
        kind = _IOCSEARCHER_TYPES.get(ioc.name)
        if kind:
            out.append((kind, _norm(kind, ioc.value)))
    return out


def iocextract_pairs(text: str) -> list[Pair]:
    import iocextract as ie

    typed: list[tuple[str, Iterable[str]]] = [
        ("url", ie.extract_urls(text, refang=True)),
        ("ipv4", ie.extract_ipv4s(text, refang=True)),
        ("ipv6", ie.extract_ipv6s(text)),
        ("email", ie.extract_emails(text, refang=True)),
        ("md5", ie.extract_md5_hashes(text)),
        ("sha1", ie.extract_sha1_hashes(text)),
        ("sha256", ie.extract_sha256_hashes(text)),
    ]
    return [(kind, _norm(kind, v)) for kind, values in typed for v in values]


# --------------------------------------------------------------------------------------------
# Timing.

def _time_sentinelx(text: str, repeat: int) -> float:
    """Best of `repeat` runs: the least noisy estimate on a shared machine."""
    return _time_sentinelx_both(text, repeat)[0]


def _time_sentinelx_both(text: str, repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds, each the best of `repeat` runs. CPU time is what a busy shared
    machine disturbs least; the ratio against ioc-extractor is given in both."""
    from sentinelx.pipeline.extract import extract_iocs

    extract_iocs(text[:4096])  # load the TLD list outside the timed region
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        extract_iocs(text)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


ROUNDS = 3


def _min2(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return min(a[0], b[0]), min(a[1], b[1])


def _time_iocsearcher(text: str) -> float:
    iocsearcher_pairs("warm up")  # construct Searcher outside the timed region
    t0 = time.perf_counter()
    iocsearcher_pairs(text)
    return time.perf_counter() - t0


def _iocextract_child(text: str, conn) -> None:  # type: ignore[no-untyped-def]
    import iocextract

    t0 = time.perf_counter()
    for _ in iocextract.extract_iocs(text, refang=True):
        pass
    conn.send(time.perf_counter() - t0)


def _time_iocextract(text: str, limit: float) -> float | None:
    """Seconds for iocextract.extract_iocs(refang=True), or None if over `limit` (killed)."""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_iocextract_child, args=(text, child))
    proc.start()
    ready = parent.poll(limit)
    result = parent.recv() if ready else None
    if proc.is_alive():
        proc.kill()
    proc.join()
    return result


def _time_cli(text: str) -> float:
    """`sentinelx extract FILE` end to end (best of 3), interpreter start-up included."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text)
    try:
        cmd = [sys.executable, "-m", "sentinelx", "extract", f.name]
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - t0)
        return best
    finally:
        Path(f.name).unlink()


def _label(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 4 MB library runs")
    args = ap.parse_args(argv)

    from bench import extract_peers

    iocx = extract_peers.ioc_extractor_dir()
    if iocx is None:
        print("ioc-extractor: skipped (needs node, and npm once to install "
              f"{extract_peers.IOC_EXTRACTOR})")
    tools = ("sentinelx", "iocsearcher", "iocextract", *(("ioc-extractor",) if iocx else ()))
    print(f"== speed (report-like text, ~15% of paragraphs carry IOCs; {ROUNDS} interleaved rounds "
          "of sentinelx best of 3 and ioc-extractor best of 3 in a warm node process, the best "
          "of each kept; the others one run) ==")
    print(f"{'size':>7}  {'tool':<13} {'seconds':>9} {'MB/s':>8}")
    rows: dict[tuple[int, str], float | None] = {}
    cpu: dict[tuple[int, str], float] = {}
    prev_ie: tuple[int, float] | None = None
    for size in SIZES:
        text = make_report(size)
        mb = size / 1e6
        # sentinelx and ioc-extractor take turns, so a burst of load on the shared machine
        # cannot fall on one of them only: the ratio is of the best of each over all rounds.
        best = {"sentinelx": (float("inf"), float("inf")),
                "ioc-extractor": (float("inf"), float("inf"))}
        for _ in range(ROUNDS):
            best["sentinelx"] = _min2(best["sentinelx"], _time_sentinelx_both(text, 3))
            if iocx is not None:
                best["ioc-extractor"] = _min2(best["ioc-extractor"],
                                              extract_peers.time_ioc_extractor_both(iocx, text, 3))
        rows[(size, "sentinelx")], cpu[(size, "sentinelx")] = best["sentinelx"]
        if iocx is not None:
            rows[(size, "ioc-extractor")], cpu[(size, "ioc-extractor")] = best["ioc-extractor"]
        if not (args.quick and size > 1 << 20):
            rows[(size, "iocsearcher")] = _time_iocsearcher(text)
        # iocextract is superlinear: run it only where it can finish within the limit.
        if prev_ie is None or prev_ie[1] * (size / prev_ie[0]) ** 2 < 3 * IOCEXTRACT_LIMIT_S:
            t = _time_iocextract(text, IOCEXTRACT_LIMIT_S)
            rows[(size, "iocextract")] = t
            prev_ie = (size, t) if t is not None else (size, float("inf"))
        for tool in tools:
            if (size, tool) not in rows:
                print(f"{_label(size):>7}  {tool:<13} {'skipped':>9}")
                continue
            t = rows[(size, tool)]
            if t is None:
                print(f"{_label(size):>7}  {tool:<13} {'>60 s':>9} {'(killed)':>8}")
            else:
                print(f"{_label(size):>7}  {tool:<13} {t:9.3f} {mb / t:8.2f}")

    print("\n== speed ratios (how many times faster sentinelx is) ==")
    for size in SIZES:
        sx = rows[(size, "sentinelx")]
        parts = []
        for tool in tools[1:]:
            t = rows.get((size, tool))
            parts.append(f"vs {tool}: {t / sx:7.1f}x" if t and sx else f"vs {tool}:     n/a")
        if (size, "ioc-extractor") in cpu:
            ratio = cpu[(size, "ioc-extractor")] / max(cpu[(size, "sentinelx")], 1e-9)
            parts.append(f"(CPU time: {ratio:.1f}x)")
        print(f"{_label(size):>7}  " + "   ".join(parts))
    lin = rows[(SIZES[3], "sentinelx")] / rows[(SIZES[2], "sentinelx")]  # type: ignore[operator]
    lin_cpu = cpu[(SIZES[3], "sentinelx")] / max(cpu[(SIZES[2], "sentinelx")], 1e-9)
    print(f"\nsentinelx cost(4 MB) / cost(1 MB) = {lin:.2f} wall-clock, {lin_cpu:.2f} CPU time "
          "(linear = 4.0, limit 4.5)")
    cli = _time_cli(make_report(1 << 20))
    empty = _time_cli("")
    print(f"`sentinelx extract FILE`, end to end: empty file {empty:.3f} s (interpreter and CLI "
          f"start-up), 1 MB {cli:.3f} s = {1.048576 / cli:.1f} MB/s overall, "
          f"{1.048576 / max(cli - empty, 1e-9):.1f} MB/s beyond start-up")

    corpora = sorted(CORPUS.parent.glob("ioc_corpus*.jsonl"))
    for path in corpora:
        cases = load_corpus(path)
        print(f"\n== accuracy on {path.relative_to(ROOT)} ({len(cases)} cases) ==")
        print(f"{'tool':<11} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8} "
              f"{'F1':>7}")
        for name, fn in (("sentinelx", sentinelx_pairs), ("iocsearcher", iocsearcher_pairs),
                         ("iocextract", iocextract_pairs)):
            s = score_corpus(cases, fn)
            print(f"{name:<11} {s.tp:5d} {s.fp:5d} {s.fn:5d} {s.precision:10.3f} "
                  f"{s.recall:8.3f} {s.f1:7.3f}")
    if iocx is not None:
        print("\n== ioc-extractor on the same corpora (TP FP FN precision recall F1) ==")
        extract_peers.print_ioc_extractor_accuracy(iocx, corpora)
    extract_peers.print_peer_suites()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # `bench.extract_peers`, when run as a script
    sys.exit(main())
