"""A `previewed` answer (PROTOCOL.md "preview"), for a `preview` request or right after the
`extracted` parts of an `extract` that asked for one (the page's preview then costs the
browser no second request: it used to send every IOC back)."""

from __future__ import annotations

from collections.abc import Sequence

from sentinelx.native.server import Reply
from sentinelx.pipeline.models import IOC


def frames(reply: Reply, iocs: Sequence[IOC], *, include_private: bool,
           refresh: bool = False) -> list[bytes]:
    """The preview, computed and encoded (checked) as self-contained parts."""
    from sentinelx.enrichment.preview import preview, wire_parts
    from sentinelx.protocol.messages import PART_BUDGET_BYTES, dumps

    out = preview(iocs, include_private=include_private, refresh=refresh)
    base = {"id": reply.request_id, "type": "previewed", "estimate": out["estimate"]}
    # Room for the envelope: id, type, estimate and the part numbers.
    groups = wire_parts(out, PART_BUDGET_BYTES - len(dumps(base)) - 64)
    return [reply.writer.encode({**base, "plans": plans, "iocs": items, "part": n,
                                 "parts": len(groups)})
            for n, (plans, items) in enumerate(groups, 1)]


def send(reply: Reply, iocs: Sequence[IOC], *, include_private: bool,
         refresh: bool = False) -> bool:
    """Compute and write the preview; False if the browser is gone."""
    return reply.writer.write_all(frames(reply, iocs, include_private=include_private,
                                         refresh=refresh))


def offered(iocs: Sequence[IOC], include_private: bool) -> list[IOC]:
    """The extracted IOCs an enrich would be offered (the extension's own rule): the
    non-private ones, and the private ones too when the user sends those."""
    return [i for i in iocs if include_private or not i.private]
