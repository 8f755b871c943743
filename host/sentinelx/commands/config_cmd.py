"""`sentinelx config get|set|list|set-key|clear-key|path`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from sentinelx.commands.common import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show or change settings and provider API keys")
    cs = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = cs.add_parser("get", help="print one setting")
    g.add_argument("name")
    s = cs.add_parser("set", help="change one setting (providers.NAME.*, vt.*, cache.*, privacy.*)")
    s.add_argument("name")
    s.add_argument("value")
    ls = cs.add_parser("list", help="all settings and the keys (masked)")
    ls.add_argument("--json", action="store_true")
    sk = cs.add_parser("set-key", help="store a provider's API key (read from a prompt or "
                       "stdin, never argv), then check it with the provider")
    sk.add_argument("--provider", default="virustotal", metavar="NAME")
    sk.add_argument("--no-verify", action="store_true", help="do not contact the provider")
    ck = cs.add_parser("clear-key", help="delete a provider's stored API key")
    ck.add_argument("--provider", default="virustotal", metavar="NAME")
    pp = cs.add_parser("path", help="print the config file and key file locations")
    pp.add_argument("--provider", default="virustotal", metavar="NAME")
    p.set_defaults(run=run)


def _read_key(label: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"{label} API key: ")
    return sys.stdin.readline()


def _label(provider: str) -> str:
    from sentinelx.enrichment.providers import registry

    try:
        return registry.spec(provider).label
    except KeyError:
        return provider


def _changed() -> None:
    """A setting or key changed what the host's `pong` says: store it now, so that the
    browser's next start of the host need not build it (enrichment/capsnap.py)."""
    from sentinelx.enrichment import capsnap

    capsnap.refresh_quietly()


def run(args: argparse.Namespace) -> int:
    from sentinelx import config, keys

    try:
        if args.action == "get":
            value = config.get(args.name)
            print(json.dumps(value) if not isinstance(value, str) else value)
        elif args.action == "set":
            value = config.set_value(args.name, args.value)
            print(f"{args.name} = {json.dumps(value)}")
            _changed()
        elif args.action == "list":
            settings = config.load()
            state = {k: dict(v) for k, v in keys.keys_state().items()}
            if args.json:
                print(json.dumps({"settings": settings, "api_key": dict(keys.key_state()),
                                  "keys": state}, indent=2))
            else:
                width = max(map(len, settings))
                for name, value in settings.items():
                    if name not in config.ALIASES:  # shown under their providers.* names
                        print(f"{name:<{width}}  {json.dumps(value)}")
                for name, key in state.items():
                    shown = f"{key['masked']} (from {key['source']})" if key["set"] else "not set"
                    print(f"{'key ' + name:<{width}}  {shown}")
        elif args.action == "set-key":
            code = _set_key(args)
            _changed()
            return code
        elif args.action == "clear-key":
            print("key removed" if keys.clear_key(args.provider) else "no key was stored")
            _changed()
        elif args.action == "path":
            print(f"config: {config.config_path()}\nkey:    {keys.key_path(args.provider)}")
    except config.ConfigError as e:
        return fail(str(e))
    return 0


def _set_key(args: argparse.Namespace) -> int:
    from sentinelx import keys, logs

    key = keys.save_key(args.provider, _read_key(_label(args.provider)))
    logs.register_secret(key)
    print(f"stored {keys.mask(key)} in {keys.key_path(args.provider)} (mode 0600)")
    if args.no_verify:
        return 0
    from sentinelx.enrichment import service

    check = service.verify_key(args.provider)
    print(f"key check: {check['status']}: {check['message']}")
    return 3 if check["status"] == "rejected" else 0
