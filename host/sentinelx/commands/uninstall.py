"""`sentinelx uninstall`: remove manifests, registry keys, launcher and venv; --purge also data."""

from __future__ import annotations

import argparse
from pathlib import Path

from sentinelx.commands.common import fail
from sentinelx.commands.install import add_target_args, add_write_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("uninstall", help="unregister the host and remove the installed venv")
    add_target_args(p)
    add_write_args(p)
    p.add_argument("--purge", action="store_true",
                   help="also delete settings, the API key, the cache and logs")
    p.add_argument("--keep-venv", action="store_true",
                   help="leave the venv (install.ps1 removes it itself after this exits)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sentinelx.install import plan
    from sentinelx.install.browsers import Machine

    machine = Machine.current()
    machine = Machine(machine.os, machine.home, machine.env, getattr(args, "root", Path("/")))
    opts = plan.Options(
        browsers=tuple(args.browser), system=args.system, manifest_dir=args.manifest_dir,
        launcher_dir=args.launcher_dir, purge=args.purge, keep_venv=args.keep_venv,
    )
    try:
        the_plan = plan.build_uninstall(machine, plan.Dirs.current(), opts)
    except (plan.PlanError, ValueError) as e:
        return fail(str(e))
    print("SentinelX uninstall" + (" (dry run: nothing is removed)" if args.dry_run else ""))
    results = plan.execute(the_plan, dry_run=args.dry_run)
    for notice in the_plan.notices:
        print(f"\nNote: {notice}")
    return 1 if any(r.outcome is None for r in results) else 0
