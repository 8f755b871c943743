"""The `sentinelx` command. Each subcommand lives in sentinelx.commands.<name>.

Command modules import their heavy dependencies inside run(), so `sentinelx host`
(started by the browser on every connect) stays fast to launch.
"""

from __future__ import annotations

import sys

from sentinelx import __version__

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms
if TYPE_CHECKING:
    import argparse

# subcommand -> module in sentinelx.commands
COMMANDS = {
    "extract": "extract", "enrich": "enrich", "config": "config_cmd", "history": "history",
    "install": "install", "uninstall": "uninstall", "doctor": "doctor",
    "kev": "kev", "providers": "providers", "quota": "quota", "export": "export",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """All subcommands, or just `only`: importing every command module costs tens of ms."""
    import argparse
    import importlib

    parser = argparse.ArgumentParser(
        prog="sentinelx", description="Extract and enrich indicators of compromise."
    )
    parser.add_argument("--version", action="version", version=f"sentinelx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("host", help="native-messaging host (started by the browser)")
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"sentinelx.commands.{module}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["host"]:
        # Browsers pass their own arguments (origin, --parent-window=, manifest path):
        # hand them over untouched instead of letting argparse reject them.
        from sentinelx.native.host import run

        return run(argv[1:])
    only = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(only).parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
