"""Exports: one module per format behind one interface (export.base.Format).

    render(records, "csv", Options(verdicts=frozenset({"malicious"}))) -> Rendered

`records` are history records in the wire shape (export.records); both the CLI and the
native host call this, the extension only downloads or copies what comes back.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentinelx.export.base import Format, Options, Rendered

# export.base and export.records (dataclasses, datetime) load on first use: `pong` and the
# CLI's argument parser only need FORMATS.
_LAZY = {"Format": "base", "Options": "base", "Rendered": "base"}

# format name -> module (each defines FORMAT); imported on first use
MODULES = {"csv": "csv_format", "json": "json_format", "stix": "stix21_format",
           "misp": "misp_format", "markdown": "markdown_format", "text": "text_format"}
FORMATS = tuple(MODULES)


class ExportError(ValueError):
    """An export that cannot be made (unknown format); the message is safe to show."""


def get_format(name: str) -> Format:
    module = MODULES.get(name)
    if module is None:
        raise ExportError(f"unknown export format {name!r}; one of {', '.join(FORMATS)}")
    fmt: Format = importlib.import_module(f"sentinelx.export.{module}").FORMAT
    return fmt


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"sentinelx.export.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render(records: Iterable[Mapping[str, Any]], fmt: str, options: Options | None = None
           ) -> Rendered:
    from sentinelx.export.base import Options, Rendered, iso_z
    from sentinelx.export.records import load

    opts = options or Options()
    f = get_format(fmt)
    recs = load(records)
    if opts.verdicts is not None:
        recs = [r for r in recs if r.verdict in opts.verdicts]
    defanged = f.defang_default if opts.defang is None else opts.defang
    stamp = iso_z(opts.now).replace(":", "").replace("-", "")
    return Rendered(content=f.render(recs, opts, defanged),
                    filename=f"sentinelx-{stamp}.{f.extension}", mime=f.mime, count=len(recs))


__all__ = ["FORMATS", "ExportError", "Options", "Rendered", "get_format", "render"]
