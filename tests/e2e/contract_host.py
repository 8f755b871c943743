"""A stand-in native-messaging host that speaks the host's wire (PROTOCOL.md, protocol 3: the
compact preview rides on `extract`), for the real-browser cases the real host cannot be driven
into (an out-of-date protocol, a 3,000-IOC page with chosen verdicts).

It extracts with the real pipeline (sentinelx.pipeline.extract_iocs) and answers lookups from a
table in its config file, per (IOC, provider), with the combined verdict. Everything it was
asked is appended to a JSON-lines log for the tests. Config: the JSON file named by
$SX_CONTRACT_CONFIG (verdicts, delay_ms, protocol, cli_path, paused, settings, keys).
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "host"))

from sentinelx.pipeline.extract import extract_iocs

HEADER = struct.Struct("=I")
PROTOCOL = 3  # the wire this stand-in speaks (PROTOCOL.md; the extension's lib/protocol.js)
CONFIG = Path(os.environ["SX_CONTRACT_CONFIG"])
PROVIDERS: list[dict[str, Any]] = [
    {
        "name": "virustotal",
        "label": "VirusTotal",
        "types": ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256"],
        "needs_key": "required",
        "role": "verdict",
        "sends": {"ipv4": "the address", "domain": "the domain", "url": "the full URL", "sha256": "the hash"},
    },
    {
        "name": "urlhaus",
        "label": "URLhaus",
        "types": ["url", "domain", "ipv4", "md5", "sha256"],
        "needs_key": "optional",
        "role": "verdict",
        "sends": {"url": "the full URL", "domain": "the host"},
    },
    {
        "name": "internetdb",
        "label": "Shodan InternetDB",
        "types": ["ipv4"],
        "needs_key": "none",
        "role": "context",
        "sends": {"ipv4": "the address"},
    },
    {
        "name": "nvd",
        "label": "NVD",
        "types": ["cve"],
        "needs_key": "optional",
        "role": "cve",
        "sends": {"cve": "the CVE id"},
    },
]
LABELS = {p["name"]: p["label"] for p in PROVIDERS}
out_lock = threading.Lock()
cancelled: set[str] = set()
parts: dict[str, dict[int, list[dict[str, Any]]]] = {}


def assembled(rid: str, req: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A request's whole `iocs` list (enrich, preview), or None while parts are missing."""
    if not (isinstance(req.get("parts"), int) and req["parts"] > 1):
        return list(req["iocs"])
    got = parts.setdefault(rid, {})
    got[req["part"]] = req["iocs"]
    if len(got) < req["parts"]:
        return None
    del parts[rid]
    return [x for i in range(1, req["parts"] + 1) for x in got[i]]


def config() -> dict[str, Any]:
    return json.loads(CONFIG.read_text())


def save_config(cfg: dict[str, Any]) -> None:
    CONFIG.write_text(json.dumps(cfg))


def log(msg: dict[str, Any]) -> None:
    with open(CONFIG.with_suffix(".log"), "a", encoding="utf-8") as f:
        f.write(json.dumps(msg) + "\n")


def send(msg: dict[str, Any]) -> None:
    body = json.dumps(msg).encode()
    with out_lock:
        sys.stdout.buffer.write(HEADER.pack(len(body)) + body)
        sys.stdout.buffer.flush()


def read() -> dict[str, Any] | None:
    head = sys.stdin.buffer.read(4)
    if len(head) < 4:
        return None
    (n,) = HEADER.unpack(head)
    return json.loads(sys.stdin.buffer.read(n))


def capabilities(cfg: dict[str, Any]) -> dict[str, Any]:
    keys = cfg.get("keys", {})
    settings = cfg.get("settings", {})
    provs = [
        {
            **p,
            "key_set": p["name"] in keys,
            "enabled": settings.get(f"providers.{p['name']}.enabled", True),
            "paused_until": cfg.get("paused", {}).get(p["name"]),
        }
        for p in PROVIDERS
    ]
    caps: dict[str, Any] = {
        "providers": provs,
        "exports": ["csv", "json", "stix", "misp", "markdown", "text"],
        "ioc_types": ["ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email"],
        "private_rule": "RFC 1918, loopback, link-local, .local, .internal",
        "pivots": True,
        "cli_path": cfg.get("cli_path"),  # null when the test sets none, as the host's
    }
    return caps


def result(provider: str, answer: Any) -> dict[str, Any]:
    role = next(p["role"] for p in PROVIDERS if p["name"] == provider)
    a = answer if isinstance(answer, dict) else {"verdict": answer}
    verdict = a.get("verdict", "no_data")
    return {
        "provider": provider,
        "verdict": verdict,
        "score": a.get("score", 0.71 if verdict == "malicious" else 0.0),
        "severity": a.get("severity", "high" if verdict == "malicious" else "benign"),
        "summary": a.get("summary", ""),
        "found": a.get("found", verdict != "no_data" or role != "verdict"),
        "role": role,
        "facts": a.get("facts", {}),
        "link": a.get("link"),
        "fetched_at": "2026-12-01T10:00:00Z",
    }


def combine(outcomes: list[dict[str, Any]], pending: int) -> dict[str, Any]:
    deciding = [
        o
        for o in outcomes
        if o["status"] == "ok" and o["result"]["role"] == "verdict" and o["result"]["found"]
    ]
    verdict = next(
        (
            v
            for v in ("malicious", "suspicious", "clean")
            if any(o["result"]["verdict"] == v for o in deciding)
        ),
        "no_data",
    )
    winners = [o for o in deciding if o["result"]["verdict"] == verdict]
    reason = (
        ""
        if verdict == "no_data"
        else verdict
        + ": "
        + "; ".join(f"{LABELS[o['provider']]} {o['result']['summary']}".strip() for o in winners)
    )
    cve = next((o for o in outcomes if o["status"] == "ok" and o["result"]["role"] == "cve"), None)
    return {
        "verdict": verdict,
        "score": max([o["result"]["score"] for o in winners] or [0.0]),
        "severity": cve["result"]["severity"] if cve else ("high" if verdict == "malicious" else "benign"),
        "reason": reason,
        "pending": pending,
        "label": cve["result"]["summary"] if cve else None,
        "providers": {
            o["provider"]: o["result"]["verdict"] if o["status"] == "ok" else o["status"] for o in outcomes
        },
    }


def enrich(req_id: str, refs: list[dict[str, Any]], include_private: bool) -> None:
    cfg = config()
    delay = cfg.get("delay_ms", 0) / 1000
    table = cfg.get("verdicts", {})
    batch = cfg.get("batch", 1)
    send(
        {
            "id": req_id,
            "type": "progress",
            "done": 0,
            "total": len(refs),
            "queued": len(refs),
            "waiting_for_quota": False,
            "quota_state": "ok",
            "next_slot_at": None,
            "providers": {k: {"paused_until": v} for k, v in cfg.get("paused", {}).items()},
        }
    )
    pending_frames: list[dict[str, Any]] = []
    for done, ref in enumerate(refs, 1):
        if req_id in cancelled:
            break
        found = extract_iocs(ref["value"])
        ioc = next(
            (i.to_wire() for i in found if i.type.value == ref["type"]),
            {"type": ref["type"], "value": ref["value"], "raw": ref["value"], "offset": 0, "private": False},
        )
        asked = [p for p in PROVIDERS if ref["type"] in p["types"]]
        outcomes: list[dict[str, Any]] = []
        for n, p in enumerate(asked):
            if ioc["private"] and not include_private:
                o = {"provider": p["name"], "status": "skipped", "reason": "private"}
            else:
                o = {
                    "provider": p["name"],
                    "status": "ok",
                    "result": result(p["name"], table.get(ref["value"], {}).get(p["name"], "no_data")),
                }
            outcomes.append(o)
            frame = {
                "type": "result",
                "ioc": ioc,
                "cached": False,
                **o,
                "combined": combine(outcomes, len(asked) - n - 1),
            }
            pending_frames.append(frame)
        if not asked:
            pending_frames.append(
                {
                    "type": "result",
                    "ioc": ioc,
                    "provider": "virustotal",
                    "status": "skipped",
                    "reason": "unsupported",
                    "cached": False,
                    "combined": combine([], 0),
                }
            )
        if len(pending_frames) >= batch:
            flush(req_id, pending_frames)
            pending_frames = []
            send(
                {
                    "id": req_id,
                    "type": "progress",
                    "done": done,
                    "total": len(refs),
                    "queued": len(refs) - done,
                    "waiting_for_quota": False,
                    "quota_state": "ok",
                    "next_slot_at": None,
                }
            )
        if delay:
            time.sleep(delay)
    flush(req_id, pending_frames)
    send(
        {
            "id": req_id,
            "type": "summary",
            "total": len(refs),
            "cached": 0,
            "cancelled": req_id in cancelled,
            "elapsed_ms": 1,
            "run_id": "run-e2e",
            "counts": {},
            "providers": {
                k: {"done": 0, "errors": 0, "cached": 0, "paused_until": v}
                for k, v in cfg.get("paused", {}).items()
            },
        }
    )


def flush(req_id: str, frames: list[dict[str, Any]]) -> None:
    if len(frames) == 1:
        send({"id": req_id, **frames[0]})
    elif frames:
        send({"id": req_id, "type": "results", "results": frames})


def handle(req: dict[str, Any]) -> None:
    cfg = config()
    rid: Any = req.get("id")
    kind = req.get("type")
    if kind == "ping":
        msg = {
            "id": rid,
            "type": "pong",
            "version": "0.2.0-contract",
            "capabilities": capabilities(cfg),
            "limits": {"max_text_bytes": 8 << 20, "max_frame_bytes": 16 << 20, "max_reply_bytes": 1 << 20},
        }
        if cfg.get("protocol", PROTOCOL) is not None:
            msg["protocol"] = cfg.get("protocol", PROTOCOL)
        send(msg)
    elif kind == "extract":
        iocs = [i.to_wire() for i in extract_iocs(req["text"])]
        chunks = chunked(iocs)
        for n, c in enumerate(chunks, 1):
            send({"id": rid, "type": "extracted", "part": n, "parts": len(chunks), "iocs": c})
        if isinstance(req.get("preview"), dict):
            # Protocol 3: the preview of what an enrich would offer follows under the same id.
            allow = req["preview"].get("include_private") is True
            offered = [i for i in iocs if allow or not i["private"]]
            previewed(rid, cfg, offered, include_private=allow)
    elif kind == "preview":
        refs = assembled(rid, req)
        if refs is None:
            return
        previewed(rid, cfg, refs, include_private=bool(req.get("include_private")))
    elif kind == "enrich":
        refs = assembled(rid, req)
        if refs is None:
            return
        threading.Thread(
            target=enrich, args=(rid, refs, bool(req.get("include_private"))), daemon=True
        ).start()
    elif kind == "cancel":
        cancelled.add(req["target"])
        send({"id": rid, "type": "cancelled", "target": req["target"], "found": True})
    elif kind == "quota.reset":
        cfg["paused"] = {
            k: v for k, v in cfg.get("paused", {}).items() if req.get("provider") not in (None, k)
        }
        save_config(cfg)
        send({"id": rid, "type": "quota", "reset": req.get("provider")})
    elif kind in ("config.get", "config.set", "config.set_key", "config.clear_key"):
        config_request(cfg, req)
    else:
        send({"id": rid, "type": "error", "code": "unknown_type", "message": f"unknown request type {kind}"})


def chunked(items: list[dict[str, Any]], size: int = 2000) -> list[list[dict[str, Any]]]:
    """A long list in parts, as the host cuts its replies (always at least one part)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def previewed(rid: str, cfg: dict[str, Any], refs: list[dict[str, Any]], *, include_private: bool) -> None:
    """The compact `previewed` (protocol 3): the distinct plans, each IOC once with its plan's
    index, and the estimate (in every part). As the real host, a provider that does not take the
    type is not listed."""
    plans: list[list[dict[str, Any]]] = []
    index: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    lanes = {p["name"]: 0 for p in PROVIDERS}
    for ref in refs:
        rows: list[dict[str, Any]] = []
        for p in PROVIDERS:
            if ref["type"] not in p["types"]:
                continue
            if ref.get("private") and not include_private:
                rows.append({"provider": p["name"], "action": "withheld", "reason": "private"})
            elif p["needs_key"] == "required" and p["name"] not in cfg.get("keys", {}):
                rows.append({"provider": p["name"], "action": "withheld", "reason": "no_api_key"})
            else:
                sends = p["sends"].get(ref["type"], ref["type"])
                rows.append({"provider": p["name"], "action": "send", "sends": sends})
                lanes[p["name"]] += 1
        sig = json.dumps(rows)
        if sig not in index:
            index[sig] = len(plans)
            plans.append(rows)
        out.append({"type": ref["type"], "value": ref["value"], "plan": index[sig]})
    per = {n: {"lookups": k, "seconds": 15 * k, "remaining_today": None, "paused_until": None}
           for n, k in lanes.items()}
    estimate = {"lookups": sum(lanes.values()), "seconds": max([15 * k for k in lanes.values()] or [0]),
                "providers": per}
    parts = chunked(out, 5000)
    for n, chunk in enumerate(parts, 1):
        # Self-contained parts, as the host sends them: only the plans this part's IOCs use.
        own: dict[int, int] = {}
        items = [{**i, "plan": own.setdefault(i["plan"], len(own))} for i in chunk]
        send({"id": rid, "type": "previewed", "part": n, "parts": len(parts),
              "plans": [plans[k] for k in own], "iocs": items, "estimate": estimate})


def config_request(cfg: dict[str, Any], req: dict[str, Any]) -> None:
    rid, kind = req["id"], req["type"]
    extra: dict[str, Any] = {}
    if kind == "config.set":
        name, value = req["name"], req["value"]
        if name == "cache.ttl_hours" and not (isinstance(value, (int, float)) and value > 0):
            send(
                {
                    "id": rid,
                    "type": "error",
                    "code": "invalid_value",
                    "message": "cache.ttl_hours must be more than 0",
                }
            )
            return
        cfg.setdefault("settings", {})[name] = value
    elif kind == "config.set_key":
        key, prov = req["key"], req.get("provider", "virustotal")
        if prov == "virustotal" and not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            send(
                {
                    "id": rid,
                    "type": "error",
                    "code": "invalid_value",
                    "message": "a VirusTotal key is 64 hexadecimal characters",
                }
            )
            return
        cfg.setdefault("keys", {})[prov] = key
        extra["key_check"] = {
            "provider": prov,
            "status": "rejected" if key.startswith("0000") else "ok",
            "message": "401 from the source" if key.startswith("0000") else "",
        }
    elif kind == "config.clear_key":
        cfg.setdefault("keys", {}).pop(req.get("provider", "virustotal"), None)
    save_config(cfg)
    keys = {
        n: {"set": True, "masked": "****" + k[-4:] if len(k) > 8 else "****", "source": "file"}
        for n, k in cfg.get("keys", {}).items()
    }
    send(
        {
            "id": rid,
            "type": "config",
            "settings": {"cache.ttl_hours": 24.0, "privacy.send_private": False, **cfg.get("settings", {})},
            "keys": keys,
            **extra,
        }
    )


def main() -> int:
    while True:
        req = read()
        if req is None:
            return 0
        log(req)
        handle(req)


if __name__ == "__main__":
    sys.exit(main())
