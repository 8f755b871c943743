"""`sentinelx kev update|status`: the local copy of the CISA KEV catalog.

The engine downloads the feed at most once a day on its own; `update` does it now (e.g.
right after CISA adds an entry), `status` says which catalog version is on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kev", help="the local copy of the CISA Known Exploited Vulnerabilities "
                                   "catalog")
    kev_sub = p.add_subparsers(dest="kev_command", required=True, metavar="ACTION")
    up = kev_sub.add_parser("update", help="download the catalog now")
    up.add_argument("--url", help="feed URL for this run (https://); default: the setting "
                                  "providers.kev.base_url, else CISA's feed")
    up.add_argument("--json", action="store_true", help="one JSON object on stdout")
    st = kev_sub.add_parser("status", help="catalog version, size and age of the local copy")
    st.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=run)


def _feed_url(given: str | None) -> str:
    from sentinelx import config
    from sentinelx.enrichment.providers.kev import FEED_URL

    if given:
        return given.strip()
    try:
        return str(config.get("providers.kev.base_url") or FEED_URL)
    except config.ConfigError:  # a host without per-provider settings yet
        return FEED_URL


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sentinelx.commands.common import fail
    from sentinelx.enrichment.http import SafeHttp, allowlist
    from sentinelx.enrichment.models import EnrichmentError
    from sentinelx.enrichment.providers.base import ProviderContext
    from sentinelx.enrichment.providers.kev import KEV, default_data_dir

    url = _feed_url(getattr(args, "url", None))
    http = SafeHttp(allowlist([url]))
    if not http.allowed:
        return fail("the KEV feed URL must be https:// (plain http only for 127.0.0.1)")
    data_dir: Path = default_data_dir()
    provider = KEV(ProviderContext(url, None, {}, http, time.time, data_dir))
    if args.kev_command == "status":
        meta = provider.meta()
        info = {"path": str(provider.feed_path), "present": provider.feed_path.exists(),
                "catalog_version": meta.get("catalog_version"), "count": meta.get("count"),
                "downloaded_at": meta.get("downloaded_at")}
        if args.json:
            print(json.dumps(info))
        elif not info["present"]:
            print(f"no local KEV catalog yet ({info['path']}); run `sentinelx kev update`")
        else:
            age = (time.time() - float(info["downloaded_at"] or 0)) / 3600
            print(f"KEV catalog {info['catalog_version']}: {info['count']} entries, "
                  f"downloaded {age:.1f} h ago ({info['path']})")
        return 0
    out = provider.update()
    if isinstance(out, EnrichmentError):
        print(f"sentinelx: error: {out.message}", file=sys.stderr)
        return 1
    info = {"catalog_version": out.version, "count": len(out.entries),
            "path": str(provider.feed_path)}
    if args.json:
        print(json.dumps(info))
    else:
        print(f"KEV catalog {out.version}: {len(out.entries)} entries, saved to {info['path']}")
    return 0
