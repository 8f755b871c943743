"""`sentinelx providers [--json]`: every provider, its types, key and state."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("providers", help="list the threat-intel providers and their state")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=run)


def rows() -> list[dict[str, object]]:
    from sentinelx.enrichment.capabilities import capabilities

    out = []
    for p in capabilities()["providers"]:
        out.append({
            "name": p["name"], "label": p["label"], "types": p["types"],
            "needs_key": p["needs_key"] == "required", "key": p["needs_key"],
            "key_set": p["key_set"], "enabled": p["enabled"], "role": p["role"],
            "sends": p["sends"], "paused_until": p["paused_until"], "docs": p["docs"],
        })
    return out


def run(args: argparse.Namespace) -> int:
    data = rows()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for p in data:
        key = {"required": "key required", "optional": "key optional", "none": "no key"}[
            str(p["key"])]
        if p["key"] != "none":
            key += ", set" if p["key_set"] else ", not set"
        state = "enabled" if p["enabled"] else "disabled"
        if p["paused_until"]:
            state += f", paused until {p['paused_until']}"
        print(f"{p['name']:<14} {p['label']:<18} {state:<10} {key:<24} {p['role']:<8} "
              f"{', '.join(p['types'])}")  # type: ignore[arg-type]
    return 0
