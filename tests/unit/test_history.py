"""History: the engine's interface, queries with keyset paging, reopening, deleting, privacy."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx import config
from sentinelx.enrichment import store
from sentinelx.enrichment.history import Filter, History, HistoryError
from tests.support.enrich_env import sx_dirs  # noqa: F401  (fixture)
from tests.support.history_records import many, sample


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        self.t += 1
        return self.t


@pytest.fixture
def hist(sx_dirs) -> History:  # noqa: F811
    conn = store.connect()
    yield History(conn, clock=Clock())
    conn.close()


def fill(h: History, recs, title="Threat report", url=None) -> int:
    run = h.start_run(source_title=title, source_url=url, total=len(recs))
    for r in recs:
        h.record(run, r["ioc"], r["combined"], r["results"])
    return run


def test_engine_interface_records_runs_and_iocs(hist):
    run = fill(hist, sample())
    info = hist.run(run)
    assert info is not None and info.total == 9 and info.recorded == 9
    assert info.source_title == "Threat report"
    page = hist.query()
    assert [r.value for r in page.rows][:2] == ["CVE-2021-44228", "phish@bad.example"]
    row = page.rows[0].to_wire()
    assert row["run_id"] == run and row["verdict"] == "no_data" and row["time"].endswith("Z")
    assert row["providers"] == {"virustotal": "no_data", "urlhaus": "error"}
    assert row["source_title"] == "Threat report" and "source_url" not in row
    full = list(hist.records(Filter(run_id=run)))
    assert full[0]["results"] == sample()[0]["results"] and full[0]["run_id"] == run


def test_page_url_is_kept_only_when_the_user_turned_it_on(hist):
    a = fill(hist, sample()[:1], url="https://intranet.example/secret?q=1")
    assert hist.run(a).source_url is None
    assert "intranet" not in repr(hist.conn.execute("SELECT * FROM runs").fetchall())
    config.set_value("history.keep_page_url", True)
    b = fill(hist, sample()[:1], url="https://intranet.example/secret?q=1")
    assert hist.run(b).source_url == "https://intranet.example/secret?q=1"
    assert hist.query(Filter(run_id=b)).rows[0].to_wire()["source_url"].startswith("https://")


def test_keyset_pages_cover_everything_once_newest_first(hist):
    fill(hist, many(250))
    seen, cursor, pages = [], None, 0
    while True:
        page = hist.query(cursor=cursor, limit=100)
        assert page.total == 250
        seen += [r.id for r in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3 and len(seen) == 250 and seen == sorted(seen, reverse=True)


def test_filters_combine(hist):
    fill(hist, many(90), title="Blog about Emotet")
    fill(hist, sample(), title="Other page")
    mal = hist.query(Filter(verdicts=("malicious",)), limit=500)
    assert mal.total == 30 + 3 and {r.verdict for r in mal.rows} == {"malicious"}
    assert hist.query(Filter(types=("cve",))).total == 10 + 1
    assert hist.query(Filter(types=("cve",), verdicts=("malicious",))).total == 0
    assert hist.query(Filter(search="EMOTET")).total == 90  # page title, any case
    assert hist.query(Filter(search="evil-c2")).total == 1  # IOC value
    assert hist.query(Filter(providers=("urlhaus",))).total == 99
    assert hist.query(Filter(providers=("url_aus",))).total == 0  # "_" is no wildcard
    assert hist.query(Filter(since=1_800_000_050.0)).total == 99 + 2 - 50
    assert hist.query(Filter(until=1_800_000_003.0)).total == 1


def test_delete_entries_a_run_and_clear(hist):
    a = fill(hist, sample())
    b = fill(hist, sample())
    ids = [r.id for r in hist.query(Filter(run_id=a)).rows[:2]]
    assert hist.delete(ids=ids) == 2
    assert hist.query().total == 16
    assert hist.delete(run_id=b) == 9
    assert hist.run(b) is None and hist.query().total == 7
    assert hist.clear() == 7
    assert hist.query().total == 0 and hist.run(a) is None


def test_records_survive_a_clear_while_their_run_is_going(hist):
    run = hist.start_run(source_title="t", total=2)
    hist.clear()
    r = sample()[0]
    hist.record(run, r["ioc"], r["combined"], r["results"])
    rows = hist.query().rows
    assert len(rows) == 1 and rows[0].source_title is None


def test_bad_records_are_typed_errors_and_store_nothing(hist):
    run = hist.start_run(total=1)
    for ioc in (None, {}, {"type": "nope", "value": "x"}, {"type": "ipv4", "value": ""}, "1.2.3.4"):
        with pytest.raises(HistoryError):
            hist.record(run, ioc, {}, [])
    with pytest.raises(HistoryError):  # NaN cannot be stored as JSON
        hist.record(run, {"type": "ipv4", "value": "1.2.3.4"}, {"score": float("nan"),
                    "extra": float("inf")}, [])
    with pytest.raises(HistoryError):
        hist.record(run, {"type": "ipv4", "value": "1.2.3.4"}, {}, [{"x": object()}])
    assert hist.query().total == 0


def test_bad_filter_times_are_typed_errors():
    with pytest.raises(HistoryError):
        Filter.from_wire({"since": "yesterday"})
    assert Filter.from_wire({"since": "2026-01-01"}).since == 1767225600.0


@settings(max_examples=40, deadline=None)
@given(title=st.text(max_size=400), search=st.text(max_size=30))
def test_hostile_titles_and_searches_are_just_text(tmp_path_factory, title, search):
    conn = sqlite3.connect(tmp_path_factory.mktemp("h") / "h.sqlite3", isolation_level=None)
    h = History(conn, keep_page_url=False)
    recs = sample()[:2]
    run = fill(h, recs, title=title)
    page = h.query(Filter(search=search))
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # LIKE's rule
    q = search.replace("\0", "").strip().translate(fold)  # NUL is dropped from searches
    stored = " ".join(title.replace("\0", "").split())[:300].translate(fold)
    expected = sum(1 for r in recs if q in r["ioc"]["value"].translate(fold) or q in stored)
    assert page.total == expected
    got = h.run(run)
    assert got is not None and (got.source_title or "") == " ".join(
        title.replace("\0", "").split())[:300]
    assert h.clear() == 2 and h.query().total == 0  # also without the store's other tables
    conn.close()


