"""Top-level domains a hostname may end in.

The IANA root-zone list is the one iocsearcher ships (iocsearcher/data/). We read that
file directly instead of importing iocsearcher: the import pulls in phone-number and
crypto-currency modules and costs ~150 ms, which the host cannot afford on every cold start.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Special-use names (RFC 2606, 6761, 6762, 8375) and de-facto internal suffixes. They are not
# in the root zone, yet analysts meet them daily; classify.py flags them private.
PRIVATE_TLDS = frozenset({
    "local", "internal", "lan", "localhost", "corp", "home", "test", "example", "invalid",
    "intranet", "private", "localdomain",
})
NEVER_HOSTS = frozenset({"invalid"})
# Tor hidden services: not in the root zone, but real (and public) indicators.
EXTRA_PUBLIC_TLDS = frozenset({"onion"})

# Used only if the iocsearcher data file is missing: the TLDs seen in most reports.
_FALLBACK = _words(
    "com net org info biz io co me ru cn su top xyz online site club shop app dev cc tk ml ga cf "
    "gq pw ws in uk de fr nl eu us ca au jp kr br ir kp ua by kz tr vn id th ph my sg hk tw "
    "live link click stream download zip mov py sh md so pl rs ps one cab pm java tf ai "
    "gov edu mil int arpa"
)


def _iana_file() -> Path | None:
    spec = importlib.util.find_spec("iocsearcher")  # locates the package, does not import it
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "tlds-alpha-by-domain.txt"
        if path.is_file():
            return path
    return None


@cache
def iana_tlds() -> frozenset[str]:
    """Lower-case IANA TLDs (read once, ~0.3 ms)."""
    path = _iana_file()
    if path is None:
        return _FALLBACK
    lines = path.read_text(encoding="ascii", errors="ignore").splitlines()
    return frozenset(t.strip().lower() for t in lines if t.strip() and not t.startswith("#"))


@cache
def known_tlds() -> frozenset[str]:
    """Every TLD the extractor accepts: IANA plus special-use and onion, less `.invalid`
    (RFC 6761: guaranteed never to resolve, so `error.invalid` is a placeholder)."""
    return (iana_tlds() | PRIVATE_TLDS | EXTRA_PUBLIC_TLDS) - NEVER_HOSTS
