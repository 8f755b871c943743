"""Push to MISP against a fake MISP on a real local socket: the event lands, and every
failure is a typed error that never carries the key."""

from __future__ import annotations

import json

import pytest

from sentinelx import config
from sentinelx import export as exp
from sentinelx.export.misp_push import MispPushError, MispTarget, push_event, target_from_config
from tests.support import enrich_env
from tests.support.fakes.misp_events import FakeMispEvents
from tests.support.history_records import sample
from tests.unit.test_export_formats import misp_load

sx_dirs = enrich_env.sx_dirs  # fixture
KEY = "misp-secret-key-0123456789abcdef"
FAST = (2.0, 2.0)


@pytest.fixture
def misp():
    with FakeMispEvents(api_key=KEY) as fake:
        yield fake


def event_json() -> str:
    return exp.render(sample(), "misp").content


def test_push_creates_the_event(misp):
    pushed = push_event(event_json(), MispTarget(misp.base_url, KEY))
    assert pushed.event_id == "1" and pushed.url == f"{misp.base_url}/events/view/1"
    (req,) = misp.requests
    assert req.method == "POST" and req.path == "/events/add"
    assert req.headers["authorization"] == KEY and req.headers["accept"] == "application/json"
    sent = misp_load(json.dumps(req.json()))
    assert len(sent.attributes) == 9 and pushed.event_uuid == str(sent.uuid)


def push_error(content: str, target: MispTarget) -> MispPushError:
    with pytest.raises(MispPushError) as e:
        push_event(content, target, timeout=FAST)
    assert KEY not in str(e.value) and KEY not in repr(target)
    return e.value


def test_wrong_key_is_auth(misp):
    assert push_error(event_json(), MispTarget(misp.base_url, "wrong-" + KEY[6:])).code == "auth"


def test_validation_failure_is_rejected_with_misps_reason(misp):
    doc = json.loads(event_json())
    doc["Event"]["info"] = ""
    e = push_error(json.dumps(doc), MispTarget(misp.base_url, KEY))
    assert e.code == "rejected" and "Info cannot be empty" in e.message


@pytest.mark.parametrize(("behaviour", "params", "code"), [
    ("status", {"status": 500}, "server_error"),
    ("body", {"status": 200, "body": b"<html>login</html>"}, "bad_response"),
    ("body", {"status": 200, "body": {"Event": {"id": "../../x", "uuid": "u"}}}, "bad_response"),
    ("redirect", {"location": "https://elsewhere.example/"}, "redirect"),
    ("huge", {"size": 40_000_000}, "too_large"),
    ("slow", {"delay": 4}, "timeout"),
])
def test_misbehaving_instance_is_a_typed_error(misp, behaviour, params, code):
    misp.program(behaviour, **params)
    assert push_error(event_json(), MispTarget(misp.base_url, KEY)).code == code


def test_only_https_or_loopback():
    e = push_error(event_json(), MispTarget("http://misp.example", KEY))
    assert e.code == "forbidden_host"


def test_target_from_config(sx_dirs, misp, monkeypatch):
    with pytest.raises(MispPushError) as e:
        target_from_config()
    assert e.value.code == "not_configured"
    config.set_value("providers.misp.base_url", misp.base_url)
    monkeypatch.delenv("SENTINELX_MISP_API_KEY", raising=False)
    with pytest.raises(MispPushError) as e:
        target_from_config()
    assert e.value.code == "no_api_key"
    monkeypatch.setenv("SENTINELX_MISP_API_KEY", KEY)
    target = target_from_config()
    assert target.base_url == misp.base_url and target.ca_bundle is None
    assert push_event(event_json(), target).event_id == "1"
