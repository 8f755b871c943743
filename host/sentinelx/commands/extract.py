"""`sentinelx extract [FILE]`: IOCs as JSON on stdout; nothing leaves the machine."""

from __future__ import annotations

import argparse
import json
import sys

from sentinelx.commands.common import DEFAULT_MAX_BYTES, InputError, fail, read_input


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="print the IOCs found in FILE (or stdin) as JSON")
    p.add_argument("file", nargs="?", default=None, help="input file; '-' or absent for stdin")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                   help=f"refuse larger input (default {DEFAULT_MAX_BYTES})")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sentinelx.pipeline.extract import extract_iocs

    try:
        text = read_input(args.file, args.max_bytes)
    except InputError as e:
        return fail(str(e))
    iocs = [ioc.to_wire() for ioc in extract_iocs(text)]
    json.dump({"iocs": iocs}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
