"""`sentinelx history`: past lookups, one line per IOC and run, newest last; filters, --json,
and forgetting (--delete ID..., --delete-run RUN_ID, --clear --yes)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import UTC, datetime

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="list past lookups (time, IOC, verdict, providers, page)")
    p.add_argument("--since", help="ISO date/time (UTC if no zone) or a span like 2h, 7d")
    p.add_argument("--limit", type=int, default=None, help="only the newest N entries")
    p.add_argument("--verdict", default=None, metavar="V[,V]", help="only these verdicts")
    p.add_argument("--type", default=None, metavar="T[,T]", help="only these IOC types")
    p.add_argument("--search", default="", help="IOC value or page title contains this")
    p.add_argument("--run", dest="run_id", type=int, metavar="RUN_ID", help="only this run")
    p.add_argument("--json", action="store_true", help="one JSON array on stdout")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--delete", type=int, nargs="+", metavar="ID", help="forget these entries")
    g.add_argument("--delete-run", type=int, metavar="RUN_ID", help="forget a whole run")
    g.add_argument("--clear", action="store_true", help="forget everything (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --clear")
    p.set_defaults(run=run)


def parse_since(text: str, now: float | None = None) -> float:
    m = _RELATIVE.match(text.strip())
    if m:
        return (now or time.time()) - float(m.group(1)) * _UNIT[m.group(2)]
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as e:
        raise ValueError(f"--since wants an ISO date/time or a span like 2h or 7d, "
                         f"not {text!r}") from e
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def run(args: argparse.Namespace) -> int:
    from sentinelx.commands.common import fail
    from sentinelx.enrichment import store
    from sentinelx.enrichment.history import MAX_PAGE, Filter, History, Row

    if args.clear and not args.yes:
        return fail("--clear forgets every past lookup; add --yes to confirm")
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as e:
        return fail(str(e))
    conn = store.connect()
    try:
        hist = History(conn)
        if args.clear or args.delete or args.delete_run is not None:
            n = (hist.clear() if args.clear
                 else hist.delete(ids=args.delete or (), run_id=args.delete_run))
            print(f"sentinelx: forgot {n} entries", file=sys.stderr)
            return 0
        flt = Filter(search=args.search, verdicts=_split(args.verdict), types=_split(args.type),
                     since=since, run_id=args.run_id)
        rows: list[Row] = []
        cursor: int | None = None
        while args.limit is None or len(rows) < args.limit:
            page = hist.query(flt, cursor=cursor, limit=min(MAX_PAGE, args.limit or MAX_PAGE))
            rows += page.rows
            cursor = page.next_cursor
            if cursor is None:
                break
    finally:
        conn.close()
    rows = rows[:args.limit] if args.limit else rows
    rows.reverse()  # oldest first, like a log
    if args.json:
        json.dump([r.to_wire() for r in rows], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for r in rows:
        w = r.to_wire()
        providers = ",".join(f"{k}:{v}" for k, v in sorted(w["providers"].items()))
        print(f"{w['time']}  #{r.id:<6} run {r.run_id:<5} {r.ioc_type:<6}  {r.verdict:<10}  "
              f"{r.value}  [{providers}]  {r.source_title or ''}")
    if not rows:
        print("no lookups recorded" + (" that match" if since or args.search or args.verdict
                                       or args.type or args.run_id else ""), file=sys.stderr)
    return 0
