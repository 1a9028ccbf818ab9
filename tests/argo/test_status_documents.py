"""Status rows as MongoDB documents (``status_results.document_table``): missing values null
whatever the column's dtype, ``info`` a sub-document or left out, ``tags`` a list, each distinct
text parsed once and shared; both results stores take them as a table, chunk by chunk, and give
back the same documents."""

import datetime

import mongomock
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from platform_assets.argo.status_results import document_table
from resources.results_store import LocalResultsStore, MongoResultsStore

pytestmark = pytest.mark.fast


def documents(frame: pd.DataFrame, chunk_rows: int = 200_000) -> list[dict]:
    table = document_table(pa.Table.from_pandas(frame, preserve_index=False))
    table.chunk_rows = chunk_rows
    return [d for chunk in table.dict_chunks() for d in chunk]


def test_missing_values_are_null_in_every_kind_of_column():
    table = pd.DataFrame({
        "host": pd.Series(["h1", None], dtype="str"),
        "message": pd.Series(["x", np.nan], dtype=object),
        "count": pd.Series([1, None], dtype="Int64"),
        "share": [0.5, np.nan],
        "has_threshold_rule": [True, False],
        "time_integer": np.array([10, 20], dtype=np.int64),
        "info": ['{"URL": "u"}', None],
        "tags": ["[]", "[]"],
    })
    docs = documents(table)
    assert docs[1] == {"host": None, "message": None, "count": None, "share": None,
                       "has_threshold_rule": False, "time_integer": 20, "tags": []}
    assert docs[0]["info"] == {"URL": "u"} and docs[0]["count"] == 1 and docs[0]["tags"] == []
    assert type(docs[0]["time_integer"]) is int and type(docs[0]["has_threshold_rule"]) is bool


def test_each_distinct_text_is_parsed_once_and_chunks_change_nothing():
    table = pd.DataFrame({"host": [f"h{n}" for n in range(7)], "info": ['{"URL": "u"}', "", None] * 2 + ["{}"],
                          "tags": ["[]", None, '["x"]', "[]", "", "[]", "[]"]})
    whole = documents(table)
    assert whole == documents(table, chunk_rows=2)
    assert whole[0]["info"] is whole[3]["info"]  # shared, not parsed again
    assert [("info" in d) for d in whole] == [True, False, False, True, False, False, True]
    assert [d["tags"] for d in whole] == [[], None, ["x"], [], None, [], []]


@pytest.mark.parametrize("store_kind", ["local", "mongo"])
@pytest.mark.parametrize("method", ["insert", "upsert"])
def test_both_stores_take_a_table_and_give_back_the_documents(tmp_path, store_kind, method):
    day = datetime.date(2024, 3, 10)
    frame = pd.DataFrame({"report": ["r"] * 5, "endpoint_group": [f"g{n}" for n in range(5)],
                          "service": ["s"] * 5, "host": ["h"] * 5, "metric": ["m"] * 5,
                          "timestamp": [f"2024-03-10T00:00:0{n}Z" for n in range(5)],
                          "date_integer": np.full(5, 20240310, dtype=np.int64),
                          "info": [None, '{"URL": "u"}', None, None, None], "tags": ["[]"] * 5})
    store = LocalResultsStore(str(tmp_path)) if store_kind == "local" else MongoResultsStore(mongomock.MongoClient())
    store.write_day("t", "status_metrics", "r", day, [{"report": "r", "stale": True}], "insert")
    table = document_table(pa.Table.from_pandas(frame, preserve_index=False))
    table.chunk_rows = 2
    assert store.write_day("t", "status_metrics", "r", day, table, method) == 5
    got = sorted(store.read_day("t", "status_metrics", "r", day), key=str)
    assert got == sorted(documents(frame), key=str)  # the stale document is gone: replaced whole
    assert store.delete_day("t", "status_metrics", "r", day) == 5
    assert store.read_day("t", "status_metrics", "r", day) == []
