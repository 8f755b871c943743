"""Requested IOCs go through the pipeline itself: what the pipeline extracted comes back
unchanged, raw forms get the pipeline's normal form, and the private flag is the pipeline's."""

from __future__ import annotations

import json
from pathlib import Path

from sentinelx.enrichment.iocs import from_ref
from sentinelx.pipeline.extract import extract_iocs

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ioc_corpus.jsonl"


def test_every_extracted_ioc_round_trips_through_a_request():
    for line in CORPUS.read_text("utf-8").splitlines():
        for ioc in extract_iocs(json.loads(line)["text"]):
            again = from_ref({"type": ioc.type.value, "value": ioc.value})
            assert (again.type, again.value, again.private) == (ioc.type, ioc.value, ioc.private)
            raw = from_ref({"type": ioc.type.value, "value": ioc.raw})
            assert raw.value == ioc.value, (ioc.raw, raw.value)


def test_values_the_pipeline_does_not_find_whole_are_kept_trimmed():
    assert from_ref({"type": "domain", "value": "  not a domain  "}).value == "not a domain"
    ioc = from_ref({"type": "ipv4", "value": "10.1.2.3 and 8.8.8.8"})
    assert ioc.value == "10.1.2.3 and 8.8.8.8"  # never a different IOC than the one named
