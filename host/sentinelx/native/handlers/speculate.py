"""A big page's privacy preview, started as soon as its `extracted` reply is out.

Right after extraction the extension asks for the preview of exactly the page's non-private
IOCs, in the order they came (enrich-flow.js `runText`); between the two, the browser parses
the reply and builds the request, hundreds of milliseconds at 10,000 IOCs. The host uses that
time: it computes that preview (include_private and refresh off) and encodes its frames, and a
`preview` request for exactly that list, within MAX_AGE, only writes them. Any other list, or
a preview asked later, is computed as before. One guess per host process; each extract
replaces it, the preview it was made for takes it, and one older than MAX_AGE is dropped.

What a guess can miss: a setting changed, or a cache entry expiring, in the second between
extraction and the request; the same holds between a preview and the user's "Send".
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Sequence

from sentinelx.native.server import HostState
from sentinelx.pipeline.models import IOC

MIN_IOCS = 500  # smaller previews take a few ms: not worth a thread
MAX_AGE = 10.0  # seconds: the extension asks at once; later asks are computed afresh
WAIT = 60.0  # how long a matching preview waits for a guess still being computed
_ID = "sx-speculated-preview"
_ID_JSON = json.dumps(_ID).encode()

Key = tuple[tuple[str, str], ...]


class Guess:
    def __init__(self, key: Key, clock: float) -> None:
        self.key = key
        self.made_at = clock
        self.done = threading.Event()
        self.bodies: list[bytes] | None = None


_guesses: weakref.WeakKeyDictionary[HostState, Guess] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _key(iocs: Sequence[IOC]) -> Key:
    return tuple((i.type.value, i.value) for i in iocs)


def _ref_key(refs: Sequence[dict[str, str]]) -> Key:
    return tuple((r["type"], r["value"]) for r in refs)


def start(state: HostState, iocs: Sequence[IOC]) -> None:
    """After an `extracted` reply: guess the preview the extension is about to ask for."""
    # As the request will name them (enrichment/iocs.py from_ref): the value is the raw form.
    wanted = [IOC(i.type, i.value, i.value, 0, i.private) for i in iocs if not i.private]
    with _lock:
        _guesses.pop(state, None)
        if len(wanted) < MIN_IOCS:
            return
        guess = Guess(_key(wanted), time.monotonic())
        _guesses[state] = guess
    threading.Thread(target=_compute, args=(state, wanted, guess), name="preview-guess",
                     daemon=True).start()


def _compute(state: HostState, iocs: list[IOC], guess: Guess) -> None:
    from sentinelx.enrichment import service
    from sentinelx.protocol import messages

    try:
        out = service.preview(iocs)
        base = {"id": _ID, "type": "previewed", "estimate": out["estimate"]}
        guess.bodies = [state.writer.encode(m) for m in messages.parts(base, "iocs", out["iocs"])]
    except Exception:  # a failed guess is no answer: the request computes its own
        guess.bodies = None
    finally:
        guess.done.set()


def take(state: HostState, request_id: str, refs: Sequence[dict[str, str]], *,
         include_private: bool, refresh: bool) -> list[bytes] | None:
    """The frames of a guessed preview if this request names exactly the guessed values
    (pipeline output, so already normal: enrichment/iocs.py), else None: compute it."""
    if include_private or refresh:
        return None
    key = _ref_key(refs)
    with _lock:
        guess = _guesses.get(state)
        if guess is None:
            return None
        if time.monotonic() - guess.made_at > MAX_AGE:
            del _guesses[state]  # too old to trust
            return None
        if guess.key != key:
            return None  # another list: computed; the guess waits for its own request
        del _guesses[state]  # used once
    if not guess.done.wait(WAIT) or guess.bodies is None:
        return None
    rid = json.dumps(request_id, ensure_ascii=False).encode()
    prefix = b'{"id":' + _ID_JSON
    if not all(b.startswith(prefix + b',"type":"previewed"') for b in guess.bodies):
        return None  # an error reply in place of a part: compute afresh
    return [b'{"id":' + rid + b[len(prefix):] for b in guess.bodies]
