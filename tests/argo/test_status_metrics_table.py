"""``status_metrics`` built in Arrow (``status_metric_table``): exclusions, threshold rules, the day
before's record, exact repeats and endpoint info, checked row by row against the rules in
``status_metrics``' docstring; and a table pandas and the stores can read back."""

from dataclasses import replace

import pandas as pd
import pytest

from platform_assets.argo.status_metrics import status_metric_rows, status_metric_table
from platform_assets.argo.thresholds import parse_thresholds_profile
from tests.argo.kernel_world import at, inputs
from tests.argo.test_argo_v3_semantics import _excluding

pytestmark = pytest.mark.fast

COLUMNS = ["metric", "status", "timestamp", "previous_state", "previous_timestamp", "summary",
           "original_status", "threshold_rule_applied", "has_threshold_rule", "info", "time_integer",
           "date_integer"]


def world():
    day = inputs([(at(1), "S", "h1", "m1", "OK"), (at(8), "S", "h1", "m1", "CRITICAL"),
                  (at(3), "S", "h1", "m2", "OK"), (at(3), "S", "h1", "m2", "OK")],  # an exact repeat
                 [(at(20 - 24), "S", "h1", "m1", "WARNING")], endpoints=[("G1", "S", "h1")])
    records = day.records.assign(actual_data=[None, None, "t=3", "t=3"], summary=["s1", None, "s3", "s3"])
    return replace(day, records=records,
                   thresholds=parse_thresholds_profile({"rules": [{"metric": "m2", "thresholds": "t=3;2:4"}]}),
                   metric_exclusions=[_excluding({"metric": "m1"}, 6, 10)])


INFO = pd.DataFrame([("G1", "S", "h1", '{"URL": "u"}')], columns=["group", "service", "hostname", "info"])


def test_exclusions_rules_and_the_day_before_row_by_row():
    table = status_metric_table(world(), "rid", INFO).to_pandas()
    got = [tuple(None if pd.isna(v) else v for v in row) for row in table[COLUMNS].itertuples(index=False)]
    url = '{"URL": "u"}'
    assert got == [
        # m1: 01:00 OK is outside the window (not written, still the next row's previous); 08:00
        # inside it is EXCLUDED, then a copy one second after the window's end (previous:
        # EXCLUDED at midnight) and one a second after its start (previous: the row before)
        ("m1", "EXCLUDED", "2024-03-10T08:00:00Z", "OK", "2024-03-10T01:00:00Z", None, "", "", False, url,
         80000, 20240310),
        ("m1", "CRITICAL", "2024-03-10T10:00:01Z", "EXCLUDED", "2024-03-10T00:00:00Z", None, "", "", False, url,
         100001, 20240310),
        ("m1", "CRITICAL", "2024-03-10T06:00:01Z", "OK", "2024-03-10T01:00:00Z", None, "", "", False, url,
         60001, 20240310),
        # m2: the repeat counts once; the rule's range holds the value: WARNING, the record's OK kept
        ("m2", "WARNING", "2024-03-10T03:00:00Z", "MISSING", "2024-03-10T00:00:00Z", "s3", "OK", "t=3;2:4", True,
         url, 30000, 20240310),
    ]


def test_without_exclusions_the_day_before_is_the_first_rows_previous():
    rows = status_metric_rows(replace(world(), metric_exclusions=[]))
    first = rows[rows["metric"] == "m1"].iloc[0]
    assert (first["status"], first["previous_state"], first["previous_timestamp"]) == (
        "OK", "WARNING", "2024-03-09T20:00:00Z")
    assert len(rows) == 3 and rows["summary"].tolist() == ["s1", None, "s3"]


def test_the_table_reads_back_in_pandas_parquet_and_both_stores(tmp_path):
    import datetime

    import mongomock
    import pyarrow.parquet as pq

    from platform_assets.argo.status_results import document_table
    from resources.results_store import LocalResultsStore, MongoResultsStore

    table = status_metric_table(world(), "rid", None)  # no info anywhere: a column of nulls
    pq.write_table(table, tmp_path / "t.parquet")
    assert pd.read_parquet(tmp_path / "t.parquet").shape == (4, 19)
    assert table.to_pandas()["info"].isna().all()
    day = datetime.date(2024, 3, 10)
    for store in (LocalResultsStore(str(tmp_path / "results")), MongoResultsStore(mongomock.MongoClient())):
        store.write_day("t", "status_metrics", "rid", day, document_table(table), "upsert")
        docs = store.read_day("t", "status_metrics", "rid", day)
        assert len(docs) == 4 and all("info" not in d and d["tags"] == [] for d in docs)
        assert {d["status"] for d in docs} == {"EXCLUDED", "CRITICAL", "WARNING"}


def test_records_of_a_report_expecting_no_series_give_no_rows():
    """The topology has no endpoint of a service in the metric profile: no series, no rows, no
    failure of the tenant-day."""
    world = inputs([(at(1), "S", "h1", "m1", "OK")], endpoints=[("G1", "OTHER", "h9")])
    assert status_metric_table(world, "rid").num_rows == 0


def test_a_tie_on_the_day_before_gives_the_previous_state_the_kernel_carries():
    """Two records of one series at the day before's last second: the kernel carries the one of
    the highest status code (CRITICAL over OK, whichever is listed last), and the day's first
    status_metrics row names that one as its previous state."""
    from platform_assets.argo.ar_kernel import compute_ar

    for listed in (["CRITICAL", "OK"], ["OK", "CRITICAL"]):
        day = inputs([(at(1), "S", "h1", "m1", "OK")],
                     [(at(20 - 24), "S", "h1", "m1", listed[0]), (at(20 - 24), "S", "h1", "m1", listed[1])],
                     endpoints=[("G1", "S", "h1")])
        first = status_metric_rows(day).iloc[0]
        assert (first["previous_state"], first["previous_timestamp"]) == ("CRITICAL", "2024-03-09T20:00:00Z")
        carried = compute_ar(day).status_endpoints
        assert carried.sort_values("t")["status"].iloc[0] == day.operations.code("CRITICAL")


def test_every_second_of_a_day_has_its_stamp_and_its_date_and_time_integers():
    """The status timelines' texts and integers of each second, against Python's formatting, on
    a leap day and on the last day of a year."""
    from datetime import UTC, date, datetime, timedelta

    import pyarrow as pa

    from platform_assets.argo.status_results import _digits, day_stamps

    for day in (date(2024, 2, 29), date(2023, 12, 31)):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        expected = [(start + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ") for s in range(86_400)]
        stamps = day_stamps(day)
        assert stamps.type == pa.string() and stamps.to_pylist() == expected
        assert set(_digits(stamps, ((0, 4), (5, 7), (8, 10))).to_pylist()) == {int(day.strftime("%Y%m%d"))}
        times = _digits(stamps, ((11, 13), (14, 16), (17, 19))).to_pylist()
        assert times == [int(t[11:13] + t[14:16] + t[17:19]) for t in expected]


def test_instants_outside_the_day_take_their_own_days_stamps():
    """Rows of the day before (and of any other day) name their instants with that day's date."""
    import numpy as np

    from platform_assets.argo.status_metrics import _stamps

    start = int(pd.Timestamp("2024-03-10", tz="UTC").timestamp())
    epoch = np.array([start + 5, start - 1, start - 3 * 86_400 + 7, start - 1, start + 86_400 + 2, 0, start + 86_399])
    texts, position = _stamps(epoch, pd.Timestamp("2024-03-10").date())
    assert [texts[int(p)].as_py() for p in position] == list(
        pd.to_datetime(epoch, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"))
