"""`sentinelx enrich [FILE]`: extract IOCs, ask every enabled provider (cache first,
paced to each provider's quota), print a verdict per IOC, or JSON with --json; a progress
bar on stderr when it is a terminal."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from sentinelx.commands.common import DEFAULT_MAX_BYTES, InputError, fail, read_input


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enrich", help="extract IOCs from FILE (or stdin) and look them up with "
                       "every enabled provider")
    p.add_argument("file", nargs="?", default=None, help="input file; '-' or absent for stdin")
    p.add_argument("--ioc", action="append", default=[], metavar="TYPE:VALUE",
                   help="enrich this IOC instead of extracting from input (repeatable)")
    p.add_argument("--json", action="store_true",
                   help="JSON on stdout: every IOC with its verdict, reason and providers")
    p.add_argument("--refresh", action="store_true", help="bypass the cache")
    p.add_argument("--include-private", action="store_true",
                   help="also send private/internal IOCs to providers")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help=f"refuse larger input (default {DEFAULT_MAX_BYTES})")
    # --- exports (sentinelx.export; added by the exports work) ---
    from sentinelx.export.cli_support import add_output_arguments

    add_output_arguments(p, required=False)
    p.set_defaults(run=run)


class ProgressBar:
    """One self-rewriting stderr line; silent unless stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def update(self, p: dict[str, Any]) -> None:
        if not self.enabled:
            return
        total, done = p["total"], p["done"]
        width = 30
        filled = width * done // total if total else width
        wait = f" waiting for quota ({p['quota_state']}) until {p['next_slot_at']}" if p[
            "waiting_for_quota"] else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{wait}\033[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _iocs_from_args(specs: list[str]) -> list[Any]:
    from sentinelx.enrichment.iocs import from_ref
    from sentinelx.pipeline.models import IOCType

    out = []
    for spec in specs:
        kind, _, value = spec.partition(":")
        if kind not in {t.value for t in IOCType} or not value:
            raise InputError(f"--ioc wants TYPE:VALUE with TYPE one of "
                             f"{', '.join(t.value for t in IOCType)}; got {spec!r}")
        out.append(from_ref({"type": kind, "value": value}))
    return out


def _provider_entry(r: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": r["provider"], "status": r["status"],
                             "cached": r["cached"]}
    if r.get("result"):
        res = r["result"]
        entry.update(verdict=res["verdict"], score=res["score"], severity=res["severity"],
                     summary=res["summary"], found=res["found"], link=res["link"],
                     facts=res["facts"], fetched_at=res["fetched_at"])
    elif r.get("error"):
        entry["error"] = {"code": r["error"]["code"], "message": r["error"]["message"]}
    else:  # not asked: it says nothing, which is no_data (never clean)
        entry.update(verdict="no_data", skipped=r.get("reason"))
    return entry


def report(iocs: list[Any], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per IOC: its combined verdict and reason, and one entry per provider."""
    from sentinelx.enrichment.providers import registry

    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        by_key.setdefault((r["ioc"]["type"], r["ioc"]["value"]), []).append(r)
    order = {name: i for i, name in enumerate(registry.names())}
    out = []
    seen: set[tuple[str, str]] = set()
    for ioc in iocs:
        if ioc.key in seen:
            continue
        seen.add(ioc.key)
        rs = by_key.get(ioc.key, [])
        combined = rs[-1]["combined"] if rs else None
        out.append({**ioc.to_wire(),
                    "verdict": combined["verdict"] if combined else "no_data",
                    "reason": combined["reason"] if combined else "no provider answered",
                    "score": combined["score"] if combined else 0.0,
                    "severity": combined["severity"] if combined else "benign",
                    "label": combined["label"] if combined else None,
                    # registration order, whatever order the answers came in
                    "providers": [_provider_entry(r) for r in sorted(
                        rs, key=lambda r: order.get(r["provider"], len(order)))]})
    return out


def run(args: argparse.Namespace) -> int:
    from sentinelx import logs
    from sentinelx.enrichment import service
    from sentinelx.pipeline.extract import extract_iocs

    logs.setup(to_file=True)
    try:
        iocs = (_iocs_from_args(args.ioc) if args.ioc
                else extract_iocs(read_input(args.file, args.max_bytes)))
    except InputError as e:
        return fail(str(e))
    results: list[dict[str, Any]] = []
    bar = ProgressBar()
    cancel = threading.Event()
    try:
        summary = service.run(iocs, on_results=results.extend, on_progress=bar.update,
                              cancel=cancel, refresh=args.refresh,
                              include_private=args.include_private)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    if any(p.get("paused_until") for p in summary.get("providers", {}).values()):
        # A 429 paused a provider, which the host's `pong` shows: store that for the browser's
        # next start (only then: the build would otherwise add to every run's time).
        from sentinelx.enrichment import capsnap

        capsnap.refresh_quietly()
    if args.format:  # --- exports (sentinelx.export) ---
        from sentinelx.export.cli_support import export_run

        return export_run(args, results, summary)
    rows = report(iocs, results)
    if any(p.get("skipped") == "no_api_key" for row in rows for p in row["providers"]):
        print("sentinelx: some providers need an API key and were skipped; see "
              "`sentinelx providers` and `sentinelx config set-key --provider NAME`.",
              file=sys.stderr)
    if args.json:
        json.dump({"iocs": rows, "summary": summary}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        print(f"{row['verdict']:<10} {row['type']:<6} {row['value']}  {row['reason']}")
    counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items() if v)
    print(f"{summary['total']} IOCs: {counts or 'none'}"
          + (" (cancelled)" if summary["cancelled"] else ""))
    return 0
