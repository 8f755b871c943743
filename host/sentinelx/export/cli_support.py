"""What `sentinelx export` and `sentinelx enrich --format` share: the options, turning them
into export Options, writing the result, and records from one enrich's result frames."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sentinelx.export import FORMATS
from sentinelx.export.records import VERDICTS

if TYPE_CHECKING:
    from sentinelx.export.base import Options, Rendered


def add_output_arguments(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument("--format", choices=FORMATS, required=required,
                   help="csv (Splunk lookup), json, stix (STIX 2.1), misp, markdown, text")
    p.add_argument("--verdict", default=None, metavar="V[,V]",
                   help=f"only these combined verdicts ({', '.join(VERDICTS)})")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--defang", dest="defang", action="store_true", default=None,
                   help="defang values (default for markdown and text)")
    g.add_argument("--no-defang", dest="defang", action="store_false",
                   help="plain values (default for csv, json, stix, misp)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--title", default="SentinelX export",
                   help="title of the Markdown page, MISP event info")


def parse_verdicts(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    chosen = frozenset(v.strip() for v in text.split(",") if v.strip())
    unknown = chosen - set(VERDICTS)
    if unknown or not chosen:
        raise ValueError(f"--verdict takes {', '.join(VERDICTS)} (comma-separated); "
                         f"not {', '.join(sorted(unknown)) or text!r}")
    return chosen


def options(args: argparse.Namespace) -> Options:
    from sentinelx.export.base import Options

    return Options(defang=args.defang, verdicts=parse_verdicts(args.verdict), title=args.title)


def write(rendered: Rendered, output: str | None) -> None:
    if output in (None, "-"):
        sys.stdout.write(rendered.content)
        sys.stdout.flush()
    else:
        with open(output, "w", encoding="utf-8", newline="") as f:
            f.write(rendered.content)
    print(f"sentinelx: exported {rendered.count} indicators"
          + (f" to {output}" if output not in (None, "-") else ""), file=sys.stderr)


def records_from_frames(frames: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Group `result` frames (one per IOC x provider) into one record per IOC, in first-seen
    order; the last frame's `combined` is the final one."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for f in frames:
        ioc = f.get("ioc")
        if not isinstance(ioc, Mapping):
            continue
        key = (str(ioc.get("type")), str(ioc.get("value")))
        rec = by_key.setdefault(key, {"ioc": dict(ioc), "combined": {}, "results": []})
        if isinstance(f.get("combined"), Mapping):
            rec["combined"] = dict(f["combined"])
        entry = {k: f[k] for k in ("provider", "status", "reason", "cached", "result", "error")
                 if k in f}
        if "enrichment" in f:  # the wave-1 result frame
            entry["result"] = f["enrichment"]
            entry.setdefault("provider", f["enrichment"].get("provider"))
            rec["combined"] = rec["combined"] or {"verdict": f["enrichment"].get("verdict"),
                                                  "score": f["enrichment"].get("score")}
        rec["results"].append(entry)
    return list(by_key.values())


def export_run(args: argparse.Namespace, frames: list[dict[str, Any]],
               summary: Mapping[str, Any]) -> int:
    """`sentinelx enrich --format FMT`: this run from the history when the summary names it
    (run_id), else from the result frames themselves."""
    from sentinelx import export
    from sentinelx.commands.common import fail

    try:
        opts = options(args)
    except ValueError as e:
        return fail(str(e))
    records: list[dict[str, Any]] = []
    run_id = summary.get("run_id")
    if isinstance(run_id, int):
        from sentinelx.enrichment import store
        from sentinelx.enrichment.history import Filter, History

        conn = store.connect()
        try:
            records = list(History(conn).records(Filter(run_id=run_id)))
        finally:
            conn.close()
    write(export.render(records or records_from_frames(frames), args.format, opts), args.output)
    return 0
