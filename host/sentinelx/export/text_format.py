"""Plain text for chat: one line per IOC, defanged by default."""

from __future__ import annotations

from collections.abc import Sequence

from sentinelx.export.base import Options, shown
from sentinelx.export.records import ExportRecord


class TextFormat:
    name = "text"
    extension = "txt"
    mime = "text/plain"
    defang_default = True

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str:
        lines = []
        for r in records:
            why = " ".join((r.reason or r.label or "").split())
            lines.append(f"{shown(r, defanged)}\t{r.ioc_type}\t{r.verdict}"
                         + (f"\t{why}" if why else ""))
        return "\n".join(lines) + ("\n" if lines else "")


FORMAT = TextFormat()
