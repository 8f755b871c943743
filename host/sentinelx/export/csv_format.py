"""CSV (RFC 4180) that loads as a Splunk lookup file and is safe to open in a spreadsheet.

- One IOC per row; a header row of plain field names (Splunk: first row = field names,
  at least two columns, header <= 4096 characters, UTF-8, CRLF line ends, never CR alone).
- Lists (providers, tags, links) are joined with "|" inside one cell.
- Every cell that starts with = + - @ TAB NUL or CR is prefixed with a single quote
  (OWASP ASVS 1.2.10 formula injection); line breaks inside free text become spaces, and
  NUL anywhere becomes U+FFFD, so a page title cannot start a row or stop a parser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sentinelx.export.base import Options, shown
from sentinelx.export.records import ExportRecord

FIXED = ("indicator", "type", "verdict", "score", "severity", "reason", "label", "sources")
TAIL = ("first_seen", "last_seen", "tags", "links", "source_title", "fetched_at")
MAX_HEADER_CHARS = 4096  # Splunk's limit for a lookup's header row
_DANGEROUS = ("=", "+", "-", "@", "\t", "\0", "\r")


def neutralise(cell: str) -> str:
    guarded = "'" + cell if cell.startswith(_DANGEROUS) else cell
    return (guarded.replace("\0", "\ufffd").replace("\r\n", " ").replace("\r", " ")
            .replace("\n", " "))


def header(records: Sequence[ExportRecord]) -> list[str]:
    names = sorted({p.provider for r in records for p in r.providers})
    cols = [*FIXED, *(f"{n}_verdict" for n in names), *TAIL]
    # Provider names are ^[a-z0-9_]+$ so this only trips with hundreds of providers.
    while len(",".join(cols)) > MAX_HEADER_CHARS:
        cols.pop(len(FIXED))
    return cols


def _row(rec: ExportRecord, cols: list[str], defanged: bool) -> list[str]:
    per = {f"{p.provider}_verdict": p.label for p in rec.providers}
    fixed = {
        "indicator": shown(rec, defanged), "type": rec.ioc_type, "verdict": rec.verdict,
        "score": f"{rec.score:.2f}", "severity": rec.severity or "", "reason": rec.reason,
        "label": rec.label or "", "sources": "|".join(rec.sources),
        "first_seen": rec.first_seen or "", "last_seen": rec.last_seen or "",
        "tags": "|".join(rec.tags), "links": "|".join(rec.links),
        "source_title": rec.source_title or "", "fetched_at": rec.fetched_at or "",
    }
    return [neutralise(fixed.get(c) or per.get(c, "")) for c in cols]


class CsvFormat:
    name = "csv"
    extension = "csv"
    mime = "text/csv"
    defang_default = False  # a defanged value never matches in a SIEM lookup

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        cols = header(records)
        writer.writerow(cols)
        for rec in records:
            writer.writerow(_row(rec, cols, defanged))
        return out.getvalue()


FORMAT = CsvFormat()
