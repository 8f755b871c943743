"""The `extracted` -> `preview`/`enrich` shortcut: values this host's pipeline produced are
taken as already normal (enrichment/iocs.py `remember`), which holds only because the pipeline
is idempotent on its own output. Both facts are checked here, on the project's corpora and on
generated text."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.enrichment import iocs as iocs_mod
from sentinelx.enrichment.iocs import from_ref, normalise, remember
from sentinelx.pipeline.extract import extract_iocs

DATA = Path(__file__).resolve().parents[1] / "data"
TEXTS = [json.loads(line)["text"] for f in sorted(DATA.glob("ioc_corpus*.jsonl"))
         for line in f.read_text().splitlines() if line.strip()]
PIECES = ["hxxp://", "https://", "[.]", "(.)", " . ", "[:]//", "@", " @ ", "/", "?q=", "#",
          "example", "evil-c2", "COM", ".ru", ".net", "1.2.3.4", "8.8.8", "::", "2001:db8::1",
          "CVE-2024-", "1234", "d41d8cd98f00b204e9800998ecf8427e", "mail", "\n", " ", "(", ")",
          "[", "]", "..", "-", "_", "\u00e9", "xn--", "www."]


def test_the_pipeline_is_idempotent_on_the_corpora():
    outputs = [ioc for text in TEXTS for ioc in extract_iocs(text)]
    assert len(outputs) > 500
    assert [(i.type, i.value) for i in outputs if normalise(i.type, i.value) != i.value] == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=30).map("".join))
def test_the_pipeline_is_idempotent_on_generated_text(text):
    for ioc in extract_iocs(text):
        assert normalise(ioc.type, ioc.value) == ioc.value, (text, ioc)


def test_remembered_values_skip_the_pipeline_and_give_the_same_iocs(monkeypatch):
    text = "\n".join(TEXTS[:200])
    found = extract_iocs(text)
    iocs_mod._PRODUCED.clear()
    slow = [from_ref({"type": i.type.value, "value": i.value}) for i in found]
    remember(found)
    calls = []
    monkeypatch.setattr(iocs_mod, "extract_iocs", lambda v: calls.append(v) or [])
    fast = [from_ref({"type": i.type.value, "value": i.value}) for i in found]
    assert calls == [] and fast == slow
    # Anything else still goes through the pipeline (here: the stub, so it stays as given).
    assert from_ref({"type": "domain", "value": "evil[.]com"}).value == "evil[.]com"
    assert calls == ["evil[.]com"]


def test_a_value_remembered_as_another_type_is_not_taken(monkeypatch):
    iocs_mod._PRODUCED.clear()
    remember(extract_iocs("c2 at evil-c2.com"))
    calls = []
    monkeypatch.setattr(iocs_mod, "extract_iocs", lambda v: calls.append(v) or [])
    from_ref({"type": "url", "value": "evil-c2.com"})
    assert calls == ["evil-c2.com"]


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(iocs_mod, "_PRODUCED_MAX", 100)
    iocs_mod._PRODUCED.clear()
    for n in range(10):
        remember(extract_iocs(" ".join(f"10.{n}.{k // 250}.{k % 250 + 1}" for k in range(60))))
        assert len(iocs_mod._PRODUCED) <= 100
