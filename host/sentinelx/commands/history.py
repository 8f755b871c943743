"""`sentinelx history [--since WHEN] [--json]`: the local audit log of lookups."""

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
    p = sub.add_parser("history", help="list past lookups (time, provider, IOC, outcome, cache)")
    p.add_argument("--since", help="ISO date/time (UTC if no zone) or a span like 2h, 7d")
    p.add_argument("--limit", type=int, default=None, help="only the newest N entries")
    p.add_argument("--json", action="store_true", help="one JSON array on stdout")
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


def run(args: argparse.Namespace) -> int:
    from sentinelx.commands.common import fail
    from sentinelx.enrichment import store
    from sentinelx.enrichment.history import History

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as e:
        return fail(str(e))
    conn = store.connect()
    try:
        entries = History(conn).list(since=since, limit=args.limit)
    finally:
        conn.close()
    if args.json:
        json.dump([e.to_json() for e in entries], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for e in entries:
        j = e.to_json()
        source = "cache" if e.from_cache else "network"
        print(f"{j['time']}  {e.provider:<10}  {e.ioc_type:<6}  {e.outcome:<18}  {source:<7}  "
              f"{e.value}")
    if not entries:
        print("no lookups recorded" + (" in that period" if since else ""), file=sys.stderr)
    return 0
