"""Results store semantics (upsert / insert, no duplicates) on mongomock, local files and, when
MONGO_URL is set, a real MongoDB server."""

import os
from datetime import date

import mongomock
import pytest

from resources.results_store import LocalResultsStore, MongoResultsStore

pytestmark = pytest.mark.fast  # no external service: make test-fast

DAY = date(2024, 3, 10)


def doc(name, availability, service="S", supergroup="G1"):
    return {"report": "r1", "date": 20240310, "name": name, "service": service, "supergroup": supergroup,
            "availability": availability, "reliability": availability, "up": 1.0, "unknown": 0.0, "down": 0.0}


STORES = ["mongomock", "local"] + (["mongo"] if os.environ.get("MONGO_URL") else [])


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    if request.param == "mongomock":
        yield MongoResultsStore(mongomock.MongoClient())
        return
    if request.param == "local":
        yield LocalResultsStore(str(tmp_path))
        return
    from pymongo import MongoClient

    client = MongoClient(os.environ["MONGO_URL"])
    client.drop_database("argo_weirtest")
    yield MongoResultsStore(client)
    client.drop_database("argo_weirtest")


def names(docs):
    return sorted((d["name"], d["availability"]) for d in docs)


def test_upsert_replaces_by_key_and_keeps_others(store):
    store.write_day("weirtest", "endpoint_ar", "r1", DAY, [doc("h1", 90.0), doc("h2", 80.0)], "upsert")
    store.write_day("weirtest", "endpoint_ar", "r1", DAY, [doc("h1", 95.0)], "upsert")
    assert names(store.read_day("weirtest", "endpoint_ar", "r1", DAY)) == [("h1", 95.0), ("h2", 80.0)]


def test_insert_replaces_the_whole_report_day(store):
    store.write_day("weirtest", "endpoint_ar", "r1", DAY, [doc("h1", 90.0), doc("h2", 80.0)], "insert")
    store.write_day("weirtest", "endpoint_ar", "r1", DAY, [doc("h1", 95.0)], "insert")
    assert names(store.read_day("weirtest", "endpoint_ar", "r1", DAY)) == [("h1", 95.0)]


@pytest.mark.parametrize("method", ["upsert", "insert"])
def test_rerun_never_duplicates(store, method):
    docs = [doc("h1", 90.0), doc("h1", 70.0, service="T"), doc("h1", 60.0, supergroup="G2")]
    for _ in range(3):
        store.write_day("weirtest", "endpoint_ar", "r1", DAY, docs, method)
    assert len(store.read_day("weirtest", "endpoint_ar", "r1", DAY)) == 3


def test_other_days_and_reports_untouched(store):
    store.write_day("weirtest", "service_ar", "r1", DAY, [doc("S", 1.0)], "insert")
    other = dict(doc("S", 2.0), date=20240311)
    store.write_day("weirtest", "service_ar", "r1", date(2024, 3, 11), [other], "insert")
    store.write_day("weirtest", "service_ar", "r1", DAY, [doc("S", 3.0)], "insert")
    assert names(store.read_day("weirtest", "service_ar", "r1", date(2024, 3, 11))) == [("S", 2.0)]


def test_wrong_config_is_refused(store):
    with pytest.raises(ValueError, match="write method"):
        store.write_day("weirtest", "endpoint_ar", "r1", DAY, [], "merge")
    with pytest.raises(ValueError, match="unknown results collection"):
        store.write_day("weirtest", "status_flapping", "r1", DAY, [], "insert")
    with pytest.raises(ValueError, match="refused"):
        store.write_day("weir test", "endpoint_ar", "r1", DAY, [], "insert")


def test_mongo_index_on_report_and_date():
    client = mongomock.MongoClient()
    MongoResultsStore(client).write_day("weirtest", "endpoint_group_ar", "r1", DAY, [], "upsert")
    keys = [list(dict(i["key"]).items()) for i in client["argo_weirtest"]["endpoint_group_ar"].list_indexes()]
    assert [("report", 1), ("date", 1)] in keys


def test_delete_day_removes_only_that_report_day(store):
    store.write_day("weirtest", "endpoint_ar", "r1", DAY, [doc("h1", 90.0)], "insert")
    other = dict(doc("h1", 80.0), date=20240311)
    store.write_day("weirtest", "endpoint_ar", "r1", date(2024, 3, 11), [other], "insert")
    assert store.delete_day("weirtest", "endpoint_ar", "r1", DAY) == 1
    assert store.read_day("weirtest", "endpoint_ar", "r1", DAY) == []
    assert len(store.read_day("weirtest", "endpoint_ar", "r1", date(2024, 3, 11))) == 1


def status(group, timestamp, state, day=20240310, service="S", host="h1"):
    return {"report": "r1", "endpoint_group": group, "service": service, "host": host, "status": state,
            "timestamp": timestamp, "date_integer": day, "has_threshold_rule": False}


@pytest.mark.parametrize("method", ["upsert", "insert"])
def test_a_status_timeline_replaces_its_report_day_whole(store, method):
    """A recomputed day's timeline: a change point that no longer exists must not survive, as
    ARGO's clearMongo; other days and reports are untouched."""
    first = [status("G1", "2024-03-10T00:00:00Z", "OK"), status("G1", "2024-03-10T10:00:00Z", "CRITICAL"),
             status("G1", "2024-03-10T11:00:00Z", "OK")]
    store.write_day("weirtest", "status_endpoints", "r1", DAY, first, method)
    other_day = date(2024, 3, 11)
    store.write_day("weirtest", "status_endpoints", "r1", other_day,
                    [status("G1", "2024-03-11T00:00:00Z", "OK", day=20240311)], method)
    store.write_day("weirtest", "status_endpoints", "r2", DAY, [dict(status("G1", "2024-03-10T00:00:00Z", "OK"), report="r2")],
                    method)
    store.write_day("weirtest", "status_endpoints", "r1", DAY, [status("G1", "2024-03-10T00:00:00Z", "OK")], method)
    assert [(d["timestamp"], d["status"]) for d in store.read_day("weirtest", "status_endpoints", "r1", DAY)] == [
        ("2024-03-10T00:00:00Z", "OK")]
    assert len(store.read_day("weirtest", "status_endpoints", "r1", other_day)) == 1  # by date_integer
    assert len(store.read_day("weirtest", "status_endpoints", "r2", DAY)) == 1
    assert store.delete_day("weirtest", "status_endpoints", "r1", other_day) == 1


def test_status_metrics_keep_two_records_of_one_second(store):
    """Two records of a series at the same second with different statuses (two monitoring
    hosts) are two documents, locally as in MongoDB."""
    docs = [dict(status("G1", "2024-03-10T05:00:00Z", state), metric="m1") for state in ("OK", "CRITICAL")]
    store.write_day("weirtest", "status_metrics", "r1", DAY, docs, "upsert")
    assert sorted(d["status"] for d in store.read_day("weirtest", "status_metrics", "r1", DAY)) == ["CRITICAL", "OK"]


def test_the_local_store_writes_what_orjson_refuses_and_reads_it_back(tmp_path):
    """A lone surrogate (a connector's JSON may carry one) is written by the standard library's
    escapes instead of orjson, never lost; a float NaN is stored as null."""
    local = LocalResultsStore(str(tmp_path))
    hostile = {**doc("h\ud800", 1.0), "info": {"URL": "x\udfff"}}
    local.write_day("acme", "status_endpoints", "r1", DAY, [hostile, doc("h2", 1.5)], "insert")
    assert local.read_day("acme", "status_endpoints", "r1", DAY) == [hostile, doc("h2", 1.5)]
    local.write_day("acme", "status_endpoints", "r1", DAY, [doc("h3", 99.12345), doc("h4", float("nan"))], "insert")
    back = local.read_day("acme", "status_endpoints", "r1", DAY)
    assert back[0] == doc("h3", 99.12345) and back[1]["availability"] is None
    huge = {**doc("h5", 1.0), "count": 2**70}  # beyond 64 bits: exact, never a float
    local.write_day("acme", "status_endpoints", "r1", DAY, [huge], "insert")
    assert local.read_day("acme", "status_endpoints", "r1", DAY) == [huge]
