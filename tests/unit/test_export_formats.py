"""Every export format: what the consumer (Splunk, STIX tools, MISP, a Markdown renderer)
needs, checked with that consumer's own rules or library, on samples and generated input."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sentinelx import export
from sentinelx.export import Options
from tests.support.history_records import HASHES, record, sample

NOW = datetime(2026, 12, 1, 10, 0, 0, 123000, tzinfo=UTC)
OPTS = Options(now=NOW)
HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\0", "\r")


# ------------------------------------------------------------------------------- CSV

def splunk_lookup_problems(data: bytes, filename: str) -> list[str]:
    """Splunk's documented rules for a CSV lookup file (PROVIDERS.md §2.3)."""
    problems = []
    if not filename.endswith((".csv", ".csv.gz")):
        problems.append("file name must end .csv")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [*problems, "not UTF-8"]
    if "\r" in text.replace("\r\n", ""):
        problems.append("CR-only line ending")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [*problems, "empty"]
    header_line = text.split("\r\n", 1)[0]
    if len(header_line) > 4096:
        problems.append("header over 4096 characters")
    if len(rows[0]) < 2:
        problems.append("fewer than two columns")
    if len(set(rows[0])) != len(rows[0]):
        problems.append("duplicate field names")
    if any(len(r) != len(rows[0]) for r in rows):
        problems.append("ragged rows")
    return problems


def csv_rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content, newline="")))


def test_csv_has_one_row_per_ioc_with_every_column():
    out = export.render(sample(), "csv", OPTS)
    assert splunk_lookup_problems(out.content.encode(), out.filename) == []
    rows = csv_rows(out.content)
    assert len(rows) == 9 and out.count == 9
    first = rows[0]
    assert first["indicator"] == "185.220.101.47" and first["verdict"] == "malicious"
    assert first["score"] == "0.71" and first["virustotal_verdict"] == "malicious"
    assert first["urlhaus_verdict"] == "error:rate_limited"
    assert first["first_seen"] == "2026-10-01T08:00:00Z"
    assert first["last_seen"] == "2026-11-29T09:30:00Z"
    assert first["tags"] == "c2|cobalt strike"
    assert first["links"] == "https://virustotal.example/gui/185.220.101.47"
    assert out.content.endswith("\r\n") and "\r\n" in out.content


def test_csv_quotes_per_rfc_4180():
    rec = record("domain", "evil.example", "malicious", title='Report, "part 2"\nnext line')
    rows = csv_rows(export.render([rec], "csv", OPTS).content)
    assert rows[0]["source_title"] == 'Report, "part 2" next line'
    assert '"Report, ""part 2"" next line"' in export.render([rec], "csv", OPTS).content


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_neutralises_formula_cells(start):
    rec = record("domain", "evil.example", "malicious", title=f"{start}HYPERLINK(\"x\")",
                 tags=[f"{start}cmd|' /C calc'!A0"])
    row = csv_rows(export.render([rec], "csv", OPTS).content)[0]
    assert row["source_title"].startswith("'")
    if start in "\t\r":  # tags are stripped of surrounding whitespace first
        assert row["tags"] == "cmd|' /C calc'!A0"
    else:
        assert row["tags"].startswith("'" + start.replace("\0", "\ufffd"))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(title=HOSTILE, tags=st.lists(HOSTILE, max_size=3))
def test_csv_any_page_text_stays_one_safe_row(title, tags):
    rec = record("domain", "evil.example", "malicious", title=title, tags=tags)
    out = export.render([rec, rec], "csv", OPTS)
    assert splunk_lookup_problems(out.content.encode(), out.filename) == []
    rows = csv_rows(out.content)
    assert len(rows) == 2
    for cell in rows[0].values():
        assert not cell.startswith(FORMULA_STARTS), cell
        assert "\0" not in cell and "\n" not in cell and "\r" not in cell


def test_csv_header_stays_under_splunks_limit_with_many_providers():
    rec = record("domain", "evil.example", "malicious")
    rec["combined"]["providers"] = {f"provider_with_a_long_name_{i:03d}": "clean" for i in range(400)}
    out = export.render([rec], "csv", OPTS)
    assert splunk_lookup_problems(out.content.encode(), out.filename) == []
    header = out.content.split("\r\n", 1)[0].split(",")
    assert header[0] == "indicator" and header[-1] == "fetched_at"


# ------------------------------------------------------------------------------- JSON

def json_validator() -> Draft202012Validator:
    schema = json.loads((resources.files("sentinelx.export") / "schema" / "export.json")
                        .read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_json_keeps_the_full_record_and_fits_its_schema():
    out = export.render(sample(), "json", OPTS)
    doc = json.loads(out.content)
    json_validator().validate(doc)
    assert doc["count"] == 9 and doc["generated_at"] == "2026-12-01T10:00:00Z"
    assert doc["records"][0]["results"] == sample()[0]["results"]
    assert doc["records"][0]["source_title"] == "Threat report"


def test_json_schema_rejects_a_broken_export():
    doc = json.loads(export.render(sample(), "json", OPTS).content)
    doc["records"][0]["combined"]["verdict"] = "evil"
    assert list(json_validator().iter_errors(doc))


@settings(max_examples=60, deadline=None)
@given(value=HOSTILE.filter(bool), title=HOSTILE)
def test_json_any_value_fits_the_schema(value, title):
    doc = json.loads(export.render([record("url", value, "suspicious", title=title)], "json",
                                   OPTS).content)
    json_validator().validate(doc)
    assert doc["records"][0]["ioc"]["value"] == value


# ------------------------------------------------------------------------------- STIX 2.1

def stix_check(content: str) -> dict:
    import stix2
    from stix2validator import ValidationOptions, validate_string

    # Strict: every SHOULD too, except {302} (a hash for each external reference URL: the
    # providers' pages change, there is nothing stable to hash).
    result = validate_string(content, ValidationOptions(version="2.1", strict=True,
                                                        disabled=["302"]))
    assert result.is_valid, [str(e) for e in result.errors]
    stix2.parse(content, allow_custom=False)  # the library's own checks, patterns included
    return json.loads(content)


def test_stix_bundle_is_valid_with_a_pattern_per_type():
    doc = stix_check(export.render(sample(), "stix", OPTS).content)
    by_name = {o.get("name"): o for o in doc["objects"]}
    assert by_name["185.220.101.47"]["pattern"] == "[ipv4-addr:value = '185.220.101.47']"
    assert by_name["2001:db8::7"]["pattern"] == "[ipv6-addr:value = '2001:db8::7']"
    assert by_name["evil-c2.net"]["pattern"] == "[domain-name:value = 'evil-c2.net']"
    assert by_name["http://x4z9arb.cn/4712?a='b'"]["pattern"] == (
        "[url:value = 'http://x4z9arb.cn/4712?a=\\'b\\'']")
    assert by_name[HASHES["md5"]]["pattern"] == f"[file:hashes.MD5 = '{HASHES['md5']}']"
    assert by_name[HASHES["sha1"]]["pattern"] == f"[file:hashes.'SHA-1' = '{HASHES['sha1']}']"
    assert by_name[HASHES["sha256"]]["pattern"] == (
        f"[file:hashes.'SHA-256' = '{HASHES['sha256']}']")
    assert by_name["phish@bad.example"]["pattern"] == "[email-addr:value = 'phish@bad.example']"
    mal = by_name["185.220.101.47"]
    assert mal["indicator_types"] == ["malicious-activity"] and mal["confidence"] == 71
    assert "verdict:malicious" in mal["labels"] and "source:virustotal" in mal["labels"]
    assert mal["external_references"][0]["source_name"] == "virustotal"
    vuln = by_name["CVE-2021-44228"]
    assert vuln["type"] == "vulnerability"
    assert vuln["external_references"][0] == {"source_name": "cve", "external_id": "CVE-2021-44228"}


def test_stix_one_object_per_ioc_even_if_history_repeats_it():
    doc = stix_check(export.render([*sample(), *sample()], "stix", OPTS).content)
    assert len(doc["objects"]) == 1 + 9
    assert len({o["id"] for o in doc["objects"]}) == 10


def test_stix_empty_export_is_still_a_valid_bundle():
    doc = stix_check(export.render([], "stix", OPTS).content)
    assert [o["type"] for o in doc["objects"]] == ["identity"]


@settings(max_examples=40, deadline=None)
@given(path=HOSTILE)
def test_stix_hostile_url_round_trips_through_the_pattern(path):
    from stix2patterns.pattern import Pattern

    value = "http://evil.example/" + path
    doc = stix_check(export.render([record("url", value, "malicious")], "stix", OPTS).content)
    ind = next(o for o in doc["objects"] if o["type"] == "indicator")
    inspected = Pattern(ind["pattern"]).inspect()
    ((_, _, constant),) = inspected.comparisons["url"]
    assert constant == "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ------------------------------------------------------------------------------- MISP

def misp_load(content: str):
    from pymisp import MISPEvent

    event = MISPEvent()
    event.load(content)
    return event


def test_misp_event_loads_with_pymisp_with_the_right_types():
    out = export.render(sample(), "misp", OPTS)
    event = misp_load(out.content)
    got = {a.value: (a.type, a.category, a.to_ids) for a in event.attributes}
    assert got["185.220.101.47"] == ("ip-dst", "Network activity", True)
    assert got["2001:db8::7"] == ("ip-dst", "Network activity", False)  # no_data: context
    assert got["evil-c2.net"] == ("domain", "Network activity", True)
    assert got["http://x4z9arb.cn/4712?a='b'"] == ("url", "Network activity", True)
    assert got[HASHES["md5"]] == ("md5", "Payload delivery", False)  # clean
    assert got[HASHES["sha256"]] == ("sha256", "Payload delivery", True)
    assert got["phish@bad.example"] == ("email", "Social network", True)
    assert got["CVE-2021-44228"] == ("vulnerability", "External analysis", False)
    assert event.threat_level_id == 1 and event.published is False
    assert event.info == "SentinelX export"
    assert any(t.name == "tlp:amber" for t in event.tags)


def test_misp_defanged_values_are_never_detection_rules():
    event = misp_load(export.render(sample(), "misp", Options(now=NOW, defang=True)).content)
    assert not any(a.to_ids for a in event.attributes)
    assert "185[.]220[.]101[.]47" in {a.value for a in event.attributes}


# ------------------------------------------------------------------------------- text formats

def gfm_cells(line: str) -> list[str]:
    """Split a GFM table row the way GFM does: on pipes not escaped by a backslash."""
    cells, cur, i = [], "", 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if line[i] == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += line[i]
        i += 1
    cells.append(cur)
    return cells[1:-1]


def test_markdown_table_is_defanged_by_default():
    out = export.render(sample(), "markdown", OPTS)
    lines = out.content.splitlines()
    assert lines[2].startswith("| Indicator |")
    assert "`evil-c2[.]net`" in out.content and "evil-c2.net" not in out.content
    assert "`hxxp[://]x4z9arb[.]cn/4712?a='b'`" in out.content


@settings(max_examples=100, deadline=None)
@given(value=HOSTILE.filter(lambda s: s.strip()), title=HOSTILE)
def test_markdown_hostile_text_cannot_break_the_table(value, title):
    rec = record("url", value, "malicious", title=title)
    rec["combined"]["reason"] = title
    lines = export.render([rec], "markdown", OPTS).content.splitlines()
    assert len(lines) == 5
    assert len(gfm_cells(lines[4])) == 6


def test_text_lines_and_plain_on_request():
    out = export.render(sample(), "text", OPTS)
    assert out.content.splitlines()[2] == (
        "evil-c2[.]net\tdomain\tmalicious\tmalicious: VirusTotal 12/73 engines")
    plain = export.render(sample(), "text", Options(now=NOW, defang=False))
    assert plain.content.splitlines()[2].startswith("evil-c2.net\t")


# ------------------------------------------------------------------------------- the interface

def test_verdict_filter_and_unusable_records():
    broken = [{"ioc": {"type": "nope", "value": "x"}}, {"combined": {}}, {"ioc": "x"}]
    out = export.render([*sample(), *broken], "csv",
                        Options(now=NOW, verdicts=frozenset({"malicious", "suspicious"})))
    assert sorted(r["verdict"] for r in csv_rows(out.content)) == [
        "malicious", "malicious", "malicious", "suspicious", "suspicious"]
    assert out.count == 5


def test_unknown_format_is_a_typed_error():
    with pytest.raises(export.ExportError, match="unknown export format"):
        export.render(sample(), "xlsx")


@pytest.mark.parametrize(("fmt", "ext", "mime"), [
    ("csv", ".csv", "text/csv"), ("json", ".json", "application/json"),
    ("stix", ".stix.json", "application/stix+json"), ("misp", ".misp.json", "application/json"),
    ("markdown", ".md", "text/markdown"), ("text", ".txt", "text/plain")])
def test_filenames_and_mime(fmt, ext, mime):
    out = export.render(sample(), fmt, OPTS)
    assert out.filename == f"sentinelx-20261201T100000Z{ext}" and out.mime == mime


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_bare_provider_results_and_errors_are_read_too(fmt):
    rec = record("domain", "evil.example", "malicious")
    rec["results"] = [rec["results"][0]["result"], rec["results"][1]["error"], "junk", {"x": 1}]
    out = export.render([rec], fmt, OPTS)
    assert out.count == 1 and "evil" in out.content


def test_misp_event_has_one_attribute_per_ioc_even_across_runs():
    # History exports span runs: the same IOC recorded twice must not become two attributes
    # (MISP refuses a second attribute with the same type and value in one event).
    twice = sample() + sample()
    doc = json.loads(export.render(twice, "misp", OPTS).content)
    keys = [(a["type"], a["value"]) for a in doc["Event"]["Attribute"]]
    assert len(keys) == len(set(keys)) == len(json.loads(
        export.render(sample(), "misp", OPTS).content)["Event"]["Attribute"])
