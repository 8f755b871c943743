"""A Markdown table for tickets: one IOC per row, defanged by default."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sentinelx.export.base import Options, shown
from sentinelx.export.records import ExportRecord

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~])")


def cell(text: str) -> str:
    """Table-safe prose: Markdown and HTML specials escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def code(text: str) -> str:
    """A code span (nothing inside is Markdown) with a fence longer than any backtick run;
    a pipe still needs its escape inside a GFM table cell."""
    t = " ".join(text.split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", t)), default=0) + 1)
    return f"{fence} {t} {fence}" if t.startswith("`") or t.endswith("`") else f"{fence}{t}{fence}"


class MarkdownFormat:
    name = "markdown"
    extension = "md"
    mime = "text/markdown"
    defang_default = True

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str:
        lines = [f"# {cell(opts.title)}", "",
                 "| Indicator | Type | Verdict | Score | Why | Providers |",
                 "|---|---|---|---|---|---|"]
        for r in records:
            providers = ", ".join(f"{p.provider}: {p.label}" for p in r.providers)
            why = r.reason or r.label or ""
            lines.append(f"| {code(shown(r, defanged))} | {r.ioc_type} | {r.verdict} | "
                         f"{r.score:.2f} | {cell(why)} | {cell(providers)} |")
        return "\n".join(lines) + "\n"


FORMAT = MarkdownFormat()
