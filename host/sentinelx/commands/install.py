"""`sentinelx install`: register the host with every browser found (see install/plan.py)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sentinelx.commands.common import fail

if TYPE_CHECKING:
    from sentinelx.install.plan import Target

BROWSER_NAMES = ("chrome", "chromium", "edge", "brave", "vivaldi", "firefox")


def add_target_args(p: argparse.ArgumentParser) -> None:
    """Options shared by install, uninstall and doctor: which browsers, which folders."""
    p.add_argument("--browser", action="append", default=[], choices=BROWSER_NAMES,
                   metavar="NAME", help=f"only this browser (repeatable): {', '.join(BROWSER_NAMES)}")
    p.add_argument("--system", action="store_true",
                   help="system-wide manifest folders (HKLM on Windows); needs root/admin")
    p.add_argument("--manifest-dir", type=Path, metavar="DIR",
                   help="use DIR as the browser's manifest folder, e.g. "
                        "<chromium --user-data-dir>/NativeMessagingHosts (tests, portable setups)")
    # Tests point this at a fake filesystem root holding /snap, /opt, ... folders.
    p.add_argument("--root", type=Path, default=Path("/"), help=argparse.SUPPRESS)


def add_write_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true",
                   help="print every file, registry key and setting it would write; write nothing")
    p.add_argument("--launcher-dir", type=Path, metavar="DIR",
                   help="where the launcher goes (default: the data dir, or --manifest-dir)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install", help="register the native host with your browsers")
    add_target_args(p)
    add_write_args(p)
    p.add_argument("--launcher-python", type=Path, metavar="PATH",
                   help="Python the launcher runs (default: this one, i.e. the installed venv)")
    p.add_argument("--extension-id", metavar="ID", help="Chrome extension id to allow "
                   "(default: the id of the shipped extension)")
    p.add_argument("--gecko-id", metavar="ID", help="Firefox add-on id to allow (default: shipped)")
    p.add_argument("--extension-dir", type=Path, metavar="DIR",
                   help="the extension/ folder to show in the next steps")
    p.add_argument("--no-shim", action="store_true",
                   help="do not link ~/.local/bin/sentinelx to the installed command")
    p.add_argument("--no-config", action="store_true",
                   help="do not record the extension ids in the host config")
    p.add_argument("--uninstall", action="store_true", help="same as `sentinelx uninstall`")
    p.add_argument("--purge", action="store_true", help="with --uninstall: also delete settings, "
                   "API key, cache and logs")
    p.add_argument("--keep-venv", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def _default_extension_dir() -> Path | None:
    """A source checkout (editable install) has extension/ two levels above the package."""
    import sentinelx

    candidate = Path(sentinelx.__file__).resolve().parents[2] / "extension"
    return candidate if (candidate / "manifest.json").is_file() else None


def _importable(python: Path) -> str | None:
    try:
        proc = subprocess.run([str(python), "-I", "-c", "import sentinelx"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1]


def _command_name(python: Path) -> str:
    """What to type for `sentinelx` later: the bare name only if PATH resolves it to this
    install (a ~/.local/bin link that is not on PATH does not count)."""
    from sentinelx.install.command import sentinelx_command

    return sentinelx_command(python)


def next_steps(targets: Sequence[Target], extension_dir: Path | None, command: str) -> str:
    ext = str(extension_dir) if extension_dir else "the extension/ folder of your SentinelX clone"
    manifest = str(extension_dir / "manifest.json") if extension_dir else f"{ext}/manifest.json"
    lines = ["", "Next steps", "1. Load the extension in each browser:"]
    for t in targets:
        b = t.browser
        if b.family == "firefox":
            lines += [
                f"   - {b.label}: open {b.extensions_page}, click \"Load Temporary Add-on...\" "
                f"and pick {manifest}",
                "     (it stays until Firefox quits; a signed .xpi installs it for good)",
            ]
        else:
            lines.append(f"   - {b.label}: open {b.extensions_page}, turn on Developer mode, "
                         f"click \"Load unpacked\" and pick {ext}")
    if not targets:
        lines.append("   (no browser was set up; see above)")
    lines += [
        f"2. Keyless sources (GreyNoise, Shodan InternetDB, NVD, EPSS, CISA KEV) answer already;"
        f" add keys for the others: {command} config set-key --provider NAME"
        "   (or use the extension's options page; `providers` lists them)",
        f"3. Check everything end to end: {command} doctor",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.uninstall:
        from sentinelx.commands import uninstall

        return uninstall.run(args)
    if args.purge:
        return fail("--purge only goes with --uninstall")

    from sentinelx import config
    from sentinelx.install import plan
    from sentinelx.install.actions import Outcome
    from sentinelx.install.browsers import Machine

    machine = Machine.current()
    machine = Machine(machine.os, machine.home, machine.env, args.root)
    opts = plan.Options(
        browsers=tuple(args.browser), system=args.system, manifest_dir=args.manifest_dir,
        launcher_python=args.launcher_python, launcher_dir=args.launcher_dir,
        shim=not args.no_shim, record_config=not args.no_config,
        **{k: v for k, v in (("chrome_id", args.extension_id), ("gecko_id", args.gecko_id)) if v},
    )
    python = (opts.launcher_python or Path(sys.executable)).absolute()
    if not args.dry_run:
        problem = _importable(python)
        if problem:
            return fail(f"{python} cannot import sentinelx ({problem}); "
                        "use ./install/install.sh, or --launcher-python with a Python that can")
    try:
        the_plan = plan.build_install(machine, plan.Dirs.current(), opts)
    except (plan.PlanError, ValueError, config.ConfigError) as e:
        return fail(str(e))

    print("SentinelX install" + (" (dry run: nothing is written)" if args.dry_run else ""))
    results = plan.execute(the_plan, dry_run=args.dry_run)
    for notice in the_plan.notices:
        print(f"\nNote: {notice}")
    changed = sum(r.outcome not in (None, Outcome.UNCHANGED, Outcome.SKIPPED) for r in results)
    failures = [r for r in results if r.outcome is None]
    print(f"\n{changed} changed, {len(results) - changed - len(failures)} unchanged or skipped, "
          f"{len(failures)} failed.")
    ext = args.extension_dir.absolute() if args.extension_dir else _default_extension_dir()
    if args.manifest_dir is None:
        print(next_steps(the_plan.targets, ext, _command_name(python)))
    if not (args.dry_run or args.system or failures):
        # The browser's first start of the host then reads the capabilities instead of
        # importing every provider to build them (enrichment/capsnap.py; a launcher on another
        # Python finds it stale and builds them, as without it).
        from sentinelx.enrichment import capsnap

        capsnap.refresh_quietly()
    if failures:
        if args.system:
            print("\nSystem-wide folders need root: sudo ./install/install.sh --system",
                  file=sys.stderr)
        return 1
    return 0
