"""`sentinelx doctor`: check every browser's registration end to end, and the host's files."""

from __future__ import annotations

import argparse
import json

from sentinelx.commands.install import add_target_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the install: manifests, launcher, a real ping, files")
    add_target_args(p)
    p.add_argument("--online", action="store_true",
                   help="also check that every source switched on answers (no key is sent)")
    p.add_argument("--extension-id", metavar="ID", help="Chrome extension id expected")
    p.add_argument("--gecko-id", metavar="ID", help="Firefox add-on id expected")
    p.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="how long a ping may take (default 20)")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sentinelx.install import doctor
    from sentinelx.install.browsers import Machine
    from sentinelx.install.plan import Dirs

    machine = Machine.current()
    machine = Machine(machine.os, machine.home, machine.env, args.root)
    opts = doctor.Options(
        browsers=tuple(args.browser), system=args.system, manifest_dir=args.manifest_dir,
        online=args.online, timeout=args.timeout,
        **{k: v for k, v in (("chrome_id", args.extension_id), ("gecko_id", args.gecko_id)) if v},
    )
    checks = doctor.run_checks(machine, Dirs.current(), opts)
    if args.json:
        print(json.dumps({"ok": not doctor.failed(checks), "checks": [asdict(c) for c in checks],
                          "coverage": doctor.coverage(checks)}, indent=2))
    else:
        print(doctor.render_table(checks))
    return 1 if doctor.failed(checks) else 0
