"""Who launched us: browsers pass the caller on argv, and the host serves only known extensions."""

from __future__ import annotations

import re
from collections import namedtuple

from sentinelx import extension_ids

_CHROME_ORIGIN = re.compile(r"^chrome-extension://([a-p]{32})/?$")


TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
# A namedtuple, not a dataclass: dataclasses imports inspect, ~10 ms before the first ping.
if TYPE_CHECKING:
    from typing import NamedTuple

    class Caller(NamedTuple):
        browser: str  # "chrome" | "firefox" | "unknown"
        extension_id: str | None
else:
    Caller = namedtuple("Caller", "browser extension_id")


def parse_caller(argv: list[str]) -> Caller:
    """Chrome: [origin, --parent-window=N?]. Firefox: [manifest path, extension id]."""
    args = [a for a in argv if not a.startswith("--parent-window=")]
    for arg in args:
        m = _CHROME_ORIGIN.match(arg)
        if m:
            return Caller("chrome", m.group(1))
    if len(args) >= 2 and args[0].endswith(".json"):
        return Caller("firefox", args[1])
    return Caller("unknown", None)


def allowed_ids(extra: str = "") -> frozenset[str]:
    ids = {extension_ids.CHROME_EXTENSION_ID, extension_ids.GECKO_EXTENSION_ID}
    ids.update(p.strip() for p in extra.split(",") if p.strip())
    return frozenset(ids)


def is_allowed(caller: Caller, allowed: frozenset[str]) -> bool:
    return caller.extension_id is not None and caller.extension_id in allowed
