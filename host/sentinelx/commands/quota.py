"""`sentinelx quota [show|reset] [--provider NAME]`: quota state; clear a 429 pause."""

from __future__ import annotations

import argparse
import json

from sentinelx.commands.common import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quota", help="show provider quotas, or clear a 429 pause")
    qs = p.add_subparsers(dest="action", metavar="ACTION")
    show = qs.add_parser("show", help="quota state of every provider (default)")
    show.add_argument("--json", action="store_true")
    reset = qs.add_parser("reset", help="clear the 429 pause of one provider (or all)")
    reset.add_argument("--provider", metavar="NAME", default=None)
    p.set_defaults(run=run, action=None)


def run(args: argparse.Namespace) -> int:
    from sentinelx.enrichment import service

    if args.action == "reset":
        try:
            cleared = service.quota_reset(args.provider)
        except KeyError:
            return fail(f"unknown provider {args.provider!r}; see `sentinelx providers`")
        who = args.provider or "any provider"
        print(f"cleared the pause of {', '.join(cleared)}" if cleared
              else f"{who} was not paused")
        # `pong` shows the pauses: the browser's next start reads the new state
        from sentinelx.enrichment import capsnap

        capsnap.refresh_quietly()
        return 0
    state = service.quota_state()
    if getattr(args, "json", False):
        print(json.dumps(state, indent=2))
        return 0
    for name, q in state.items():
        limits = (f"{q['requests_per_minute'] or 'unlimited'}/min, "
                  f"{q['requests_per_day'] or 'unlimited'}/day")
        left = "" if q["remaining_today"] is None else f", {q['remaining_today']} left today"
        paused = f", paused until {q['paused_until']}" if q["paused_until"] else ""
        print(f"{name:<14} {q['state']:<13} {limits}{left}{paused}")
    return 0
