"""`sentinelx export --format FMT [filters] [-o FILE]`: past lookups from the history as
CSV, JSON, STIX 2.1, a MISP event, Markdown or text; `--push-misp` sends the MISP event to
the instance configured for the MISP provider."""

from __future__ import annotations

import argparse
import sys

from sentinelx.export.cli_support import add_output_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export past lookups (csv, json, stix, misp, markdown, text)")
    add_output_arguments(p, required=True)
    p.add_argument("--since", help="ISO date/time (UTC if no zone) or a span like 2h, 7d")
    p.add_argument("--run", dest="run_id", type=int, metavar="RUN_ID",
                   help="only this run (see sentinelx history)")
    p.add_argument("--type", default=None, metavar="T[,T]", help="only these IOC types")
    p.add_argument("--provider", default=None, metavar="P[,P]",
                   help="only IOCs these providers were asked about")
    p.add_argument("--search", default="", help="only IOCs whose value or page title contains this")
    p.add_argument("--push-misp", action="store_true",
                   help="with --format misp: create the event on the MISP provider's instance")
    p.set_defaults(run=run)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def run(args: argparse.Namespace) -> int:
    from sentinelx import export
    from sentinelx.commands.common import fail
    from sentinelx.commands.history import parse_since
    from sentinelx.enrichment import store
    from sentinelx.enrichment.history import Filter, History
    from sentinelx.export.cli_support import options, write

    try:
        opts = options(args)
        since = parse_since(args.since) if args.since else None
    except ValueError as e:
        return fail(str(e))
    if args.push_misp and args.format != "misp":
        return fail("--push-misp needs --format misp")
    flt = Filter(search=args.search, types=_split(args.type), providers=_split(args.provider),
                 since=since, run_id=args.run_id,
                 verdicts=tuple(sorted(opts.verdicts)) if opts.verdicts else ())
    conn = store.connect()
    try:
        records = list(History(conn).records(flt))
    finally:
        conn.close()
    rendered = export.render(records, args.format, opts)
    if args.push_misp:
        from sentinelx.export.misp_push import MispPushError, push_event, target_from_config

        try:
            pushed = push_event(rendered.content, target_from_config())
        except MispPushError as e:
            return fail(f"MISP push failed ({e.code}): {e}")
        print(f"sentinelx: MISP event {pushed.event_id} created with {rendered.count} "
              f"attributes: {pushed.url}", file=sys.stderr)
        if not args.output:
            return 0
    write(rendered, args.output)
    return 0
