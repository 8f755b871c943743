"""`sentinelx config get|set|list|set-key|clear-key|path`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from sentinelx.commands.common import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show or change settings and the VirusTotal API key")
    cs = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = cs.add_parser("get", help="print one setting")
    g.add_argument("name")
    s = cs.add_parser("set", help="change one setting")
    s.add_argument("name")
    s.add_argument("value")
    ls = cs.add_parser("list", help="all settings and the key (masked)")
    ls.add_argument("--json", action="store_true")
    cs.add_parser("set-key", help="store the VT API key (read from a prompt or stdin, never argv)")
    cs.add_parser("clear-key", help="delete the stored VT API key")
    cs.add_parser("path", help="print the config file and key file locations")
    p.set_defaults(run=run)


def _read_key() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("VirusTotal API key: ")
    return sys.stdin.readline()


def run(args: argparse.Namespace) -> int:
    from sentinelx import config

    try:
        if args.action == "get":
            value = config.get(args.name)
            print(json.dumps(value) if not isinstance(value, str) else value)
        elif args.action == "set":
            value = config.set_value(args.name, args.value)
            print(f"{args.name} = {json.dumps(value)}")
        elif args.action == "list":
            settings = config.load()
            key = dict(config.key_state())
            if args.json:
                print(json.dumps({"settings": settings, "api_key": key}, indent=2))
            else:
                width = max(map(len, settings))
                for name, value in settings.items():
                    print(f"{name:<{width}}  {json.dumps(value)}")
                shown = f"{key['masked']} (from {key['source']})" if key["set"] else "not set"
                print(f"{'vt.api_key':<{width}}  {shown}")
        elif args.action == "set-key":
            config.store_key(_read_key())
            print(f"stored {config.mask(config.load_key()[0])} in {config.key_path()} (mode 0600)")
        elif args.action == "clear-key":
            print("key removed" if config.clear_key() else "no key was stored")
        elif args.action == "path":
            print(f"config: {config.config_path()}\nkey:    {config.key_path()}")
    except config.ConfigError as e:
        return fail(str(e))
    return 0
