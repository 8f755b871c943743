"""The preview guessed after a big extraction (native/handlers/speculate.py): over real pipes,
the guessed frames are exactly what computing the preview gives; in process, a matching
request is answered from the guess and anything else (another list, include_private,
refresh, too late) is computed."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from sentinelx.native.handlers import core, enrich_handlers, speculate
from sentinelx.native.server import HostState, Reply, ReplyWriter
from sentinelx.protocol import validate
from tests.support import enrich_env
from tests.support.frames import HostProcess, decode_all

sx_dirs = enrich_env.sx_dirs  # fixtures
hosts = enrich_env.hosts


def page(n: int = 700) -> str:
    lines = [f"beacon to 45.{i // 250}.{i % 250}.7 and c2-{i}.evil-{i % 13}[.]net" for i in range(n)]
    lines += [f"internal 10.0.{i}.1" for i in range(40)]  # private: never in the preview
    return "\n".join(lines)


def refs(extracted: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"type": i["type"], "value": i["value"]} for i in extracted if not i["private"]]


def whole(h: HostProcess, rid: str) -> list[dict[str, Any]]:
    last = h.wait_for(lambda f: f.get("id") == rid and f.get("part") == f.get("parts"), timeout=60)
    return [f for f in h.of(rid) if f["type"] == last["type"]]


def test_guessed_frames_are_the_computed_ones_over_real_pipes(sx_dirs, hosts):
    enrich_env.only_providers("greynoise", "internetdb")  # keyless; a preview sends nothing
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    h.send({"id": "x", "type": "extract", "text": page()})
    extracted = [i for f in whole(h, "x") for i in f["iocs"]]
    wanted = refs(extracted)
    assert len(wanted) >= speculate.MIN_IOCS
    h.send({"id": "p1", "type": "preview", "iocs": wanted})  # answered from the guess
    guessed = whole(h, "p1")
    h.send({"id": "p2", "type": "preview", "iocs": wanted})  # the guess is used up: computed
    computed = whole(h, "p2")
    h.close()
    assert all(validate.check("reply", f) is None for f in guessed)
    # Identical but for the id and the time estimates (they count down to the next UTC day).
    def same(f: dict[str, Any]) -> dict[str, Any]:
        est = {**f["estimate"], "seconds": None,
               "providers": {n: {**p, "seconds": None} for n, p in f["estimate"]["providers"].items()}}
        return {**f, "id": None, "estimate": est}

    a, b = [same(f) for f in guessed], [same(f) for f in computed]
    for x, y in zip(a, b, strict=True):
        for k in x:
            assert x[k] == y[k], (k, str(x[k])[:300], str(y[k])[:300])
    for g, c in zip(guessed, computed, strict=True):
        assert abs(g["estimate"]["seconds"] - c["estimate"]["seconds"]) <= 5
    rows = [i for f in guessed for i in f["iocs"]]
    assert [r["ioc"]["value"] for r in rows] == [r["value"] for r in wanted]
    assert {p["action"] for r in rows for p in r["providers"]} == {"send", "withheld"}


@pytest.fixture
def host_state() -> tuple[HostState, io.BytesIO]:
    out = io.BytesIO()
    return HostState(ReplyWriter(out)), out


def run(handler: Any, state: HostState, request: dict[str, Any]) -> None:
    handler(state, request, Reply(state.writer, request["id"]), threading.Event())


def extract(state: HostState, out: io.BytesIO) -> list[dict[str, str]]:
    run(core.extract, state, {"id": "x", "type": "extract", "text": page()})
    extracted = [i for f in decode_all(out.getvalue()) if f["type"] == "extracted" for i in f["iocs"]]
    guess = speculate._guesses[state]
    assert guess.done.wait(60)
    out.seek(0)
    out.truncate()
    return refs(extracted)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from sentinelx.enrichment import service

    calls: list[int] = []
    real = service.preview

    def preview(iocs: Any, **kw: Any) -> Any:
        calls.append(len(iocs))
        return real(iocs, **kw)

    monkeypatch.setattr(service, "preview", preview)
    return calls


def test_a_matching_preview_is_answered_from_the_guess(sx_dirs, host_state, counted):
    enrich_env.only_providers("greynoise")
    state, out = host_state
    wanted = extract(state, out)
    assert counted == [len(wanted)]  # the guess, computed once after the extraction
    run(enrich_handlers.preview, state, {"id": "p", "type": "preview", "iocs": wanted})
    frames = decode_all(out.getvalue())
    assert counted == [len(wanted)]  # not computed again
    assert {f["id"] for f in frames} == {"p"} and {f["type"] for f in frames} == {"previewed"}
    assert sum(len(f["iocs"]) for f in frames) == len(wanted)


@pytest.mark.parametrize("change", ["other list", "include_private", "refresh", "too late"])
def test_anything_else_is_computed(sx_dirs, host_state, counted, monkeypatch, change):
    enrich_env.only_providers("greynoise")
    state, out = host_state
    wanted = extract(state, out)
    request: dict[str, Any] = {"id": "p", "type": "preview", "iocs": wanted}
    if change == "other list":
        request["iocs"] = wanted[1:]
    elif change == "too late":
        monkeypatch.setattr(speculate, "MAX_AGE", 0.0)
    else:
        request[change] = True
    run(enrich_handlers.preview, state, request)
    assert len(counted) == 2  # the guess, then this request's own
    frames = decode_all(out.getvalue())
    assert {f["type"] for f in frames} == {"previewed"}
    assert sum(len(f["iocs"]) for f in frames) == len(request["iocs"])


def test_a_small_page_makes_no_guess(sx_dirs, host_state, counted):
    state, _ = host_state
    run(core.extract, state, {"id": "x", "type": "extract", "text": "c2 at evil-c2[.]net"})
    assert state not in speculate._guesses and counted == []


def test_a_preview_of_more_than_10000_iocs_comes_in_parts_and_is_answered(sx_dirs, hosts):
    """No cap below the text cap: 15,000 refs sent as the extension sends a long list (parts
    under 256 KiB), answered in full by the real host in `previewed` parts."""
    enrich_env.only_providers("greynoise")
    refs = [{"type": "ipv4", "value": f"45.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}"}
            for i in range(15_000)]
    chunks = [refs[i:i + 3000] for i in range(0, len(refs), 3000)]
    h = HostProcess(sx_dirs.env())
    hosts.append(h)
    for n, chunk in enumerate(chunks, 1):
        h.send({"id": "big", "type": "preview", "iocs": chunk, "part": n, "parts": len(chunks)})
    frames = whole(h, "big")
    h.close()
    assert all(f["type"] == "previewed" and validate.check("reply", f) is None for f in frames)
    rows = [i for f in frames for i in f["iocs"]]
    assert [r["ioc"]["value"] for r in rows] == [r["value"] for r in refs]
    assert frames[0]["estimate"]["providers"]["greynoise"]["lookups"] == 15_000


def test_a_second_extraction_replaces_the_guess(sx_dirs, host_state, counted):
    """Two pages in a row: the preview of the first is computed (its guess is gone), the
    preview of the second comes from its guess; each answer is about its own values."""
    enrich_env.only_providers("greynoise")
    state, out = host_state
    first = extract(state, out)
    run(core.extract, state, {"id": "y", "type": "extract", "text": page(600).replace("45.", "46.")})
    second = refs([i for f in decode_all(out.getvalue()) if f["type"] == "extracted" for i in f["iocs"]])
    assert speculate._guesses[state].done.wait(60)
    out.seek(0)
    out.truncate()
    run(enrich_handlers.preview, state, {"id": "p1", "type": "preview", "iocs": first})
    assert len(counted) == 3  # two guesses, then the first page's own preview
    run(enrich_handlers.preview, state, {"id": "p2", "type": "preview", "iocs": second})
    assert len(counted) == 3  # answered from the second guess
    frames = decode_all(out.getvalue())
    for rid, wanted in (("p1", first), ("p2", second)):
        got = [i["ioc"]["value"] for f in frames if f["id"] == rid for i in f["iocs"]]
        assert got == [r["value"] for r in wanted]
