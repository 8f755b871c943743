"""`sentinelx enrich [FILE]`: extract IOCs, enrich them (cache first, quota-paced),
print JSON on stdout; a progress bar on stderr when it is a terminal."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from sentinelx.commands.common import DEFAULT_MAX_BYTES, InputError, fail, read_input


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enrich", help="extract IOCs from FILE (or stdin) and look them up on "
                       "VirusTotal; JSON on stdout")
    p.add_argument("file", nargs="?", default=None, help="input file; '-' or absent for stdin")
    p.add_argument("--ioc", action="append", default=[], metavar="TYPE:VALUE",
                   help="enrich this IOC instead of extracting from input (repeatable)")
    p.add_argument("--refresh", action="store_true", help="bypass the cache")
    p.add_argument("--include-private", action="store_true",
                   help="also send private/internal IOCs to VirusTotal")
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


def _iocs_from_args(specs: list[str]):
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


def run(args: argparse.Namespace) -> int:
    from sentinelx import config, logs
    from sentinelx.enrichment import service
    from sentinelx.pipeline.extract import extract_iocs

    logs.setup(to_file=True)
    try:
        iocs = (_iocs_from_args(args.ioc) if args.ioc
                else extract_iocs(read_input(args.file, args.max_bytes)))
    except InputError as e:
        return fail(str(e))
    if config.load_key()[0] is None:
        print("sentinelx: no VirusTotal API key, so only cached verdicts are shown. "
              "Set one with `sentinelx config set-key` (or the VT_API_KEY environment "
              "variable).", file=sys.stderr)
    results: list[dict[str, Any]] = []
    bar = ProgressBar()
    cancel = threading.Event()
    try:
        summary = service.run(iocs, on_result=results.append, on_progress=bar.update,
                              cancel=cancel, refresh=args.refresh,
                              include_private=args.include_private)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        bar.close()
    if args.format:  # --- exports (sentinelx.export; added by the exports work) ---
        from sentinelx.export.cli_support import export_run

        return export_run(args, results, summary)
    json.dump({"iocs": [i.to_wire() for i in iocs], "results": results, "summary": summary},
              sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
