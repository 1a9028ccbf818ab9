"""The status results of a report-day as ARGO's batch job writes them (``status_endpoints``,
``status_services``, ``status_endpoint_groups``): one document per change of the aggregated status,
the first at 00:00:00Z, from the timelines the A/R kernel builds anyway. No Dagster import.

Documents as the original's Mongo output has them: ``report`` (the report's id),
``endpoint_group``, ``service`` and ``host`` as the level has them, ``info`` (the endpoint's
``info_*`` topology tags, on endpoints that have any), ``status`` (the operations profile's name),
``timestamp`` (``YYYY-MM-DDTHH:MM:SSZ``), ``date_integer`` (``YYYYMMDD``) and
``has_threshold_rule`` (a threshold rule gave a status to a record of the day below it). Written
with the same insert/upsert semantics as A/R; upsert keys are the original's (``results_store``).
"""

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from resources.model.documents import DocumentTable

STATUS_LEVELS = ("status_endpoints", "status_services", "status_endpoint_groups")
METRIC_LEVEL = "status_metrics"  # one row per metric record (status_metrics.py)
# the kernel's key columns -> the document's names, per level
KEYS = {
    "status_endpoints": (("group", "endpoint_group"), ("service", "service"), ("hostname", "host")),
    "status_services": (("group", "endpoint_group"), ("service", "service")),
    "status_endpoint_groups": (("group", "endpoint_group"),),
}
STATUS_SCHEMAS = {
    level: pa.schema(
        [
            ("report", pa.string()),
            *((name, pa.string()) for _, name in KEYS[level]),
            *([("info", pa.string())] if level == "status_endpoints" else []),
            ("status", pa.string()),
            ("timestamp", pa.string()),
            ("date_integer", pa.int64()),
            ("has_threshold_rule", pa.bool_()),
        ]
    )
    for level in STATUS_LEVELS
}
# status_metrics: millions of rows of few distinct texts, each text column dictionary-encoded,
# but the probes' outputs (message, summary, actual_data): mostly distinct, plain text
_TEXT = pa.dictionary(pa.int32(), pa.string())
STATUS_SCHEMAS[METRIC_LEVEL] = pa.schema(
    [
        ("report", _TEXT),
        ("endpoint_group", _TEXT),
        ("service", _TEXT),
        ("host", _TEXT),
        ("metric", _TEXT),
        ("tags", _TEXT),  # JSON list (the original fills it only for tag trends: [])
        ("message", pa.string()),
        ("summary", pa.string()),
        ("time_integer", pa.int64()),
        ("previous_state", _TEXT),
        ("previous_timestamp", _TEXT),
        ("actual_data", pa.string()),
        ("original_status", _TEXT),
        ("threshold_rule_applied", _TEXT),
        ("info", _TEXT),
        ("status", _TEXT),
        ("timestamp", _TEXT),
        ("date_integer", pa.int64()),
        ("has_threshold_rule", pa.bool_()),
    ]
)


def status_table(
    level: str,
    rows: pd.DataFrame,
    report_id: str,
    day: date,
    states: tuple[str, ...],
    info: pd.DataFrame | None = None,
) -> pa.Table:
    """The kernel's rows of ``level`` (key columns, ``t``, ``status`` code, ``has_threshold_rule``)
    as the collection's columns (``info`` as JSON text; ``documents`` turns it into a document),
    built in Arrow: a status text per code and a timestamp per second of the day, each made once."""
    n = len(rows)
    zeros = np.zeros(n, dtype=np.int64)
    columns: dict[str, pa.Array] = {"report": _plain(coded(zeros, pa.array([report_id])))}
    for column, name in KEYS[level]:
        columns[name] = pa.array(rows[column], type=pa.string(), from_pandas=True)
    if level == "status_endpoints":
        keys = pa.table({c: columns[n_] for c, n_ in KEYS[level]})
        columns["info"] = _plain(_endpoint_info(keys, _info_lookup(info)))
    status = rows["status"].to_numpy(dtype=np.int64)
    columns["status"] = _plain(coded(status, pa.array(list(states), pa.string())))
    columns["timestamp"] = pc.take(day_stamps(day), pa.array(rows["t"].to_numpy(dtype=np.int64)))
    columns["date_integer"] = pa.array(np.full(n, int(day.strftime("%Y%m%d")), dtype=np.int64))
    columns["has_threshold_rule"] = pa.array(rows["has_threshold_rule"].to_numpy(dtype=bool))
    return pa.table(columns, schema=STATUS_SCHEMAS[level])


def _plain(values: pa.DictionaryArray) -> pa.Array:
    """A dictionary array as the plain text column the status collections' files have."""
    return values.cast(pa.string())


@lru_cache(maxsize=4)
def day_stamps(day: date) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SSZ`` of every second of ``day``, position = second (made once a day,
    joined from two-digit texts in Arrow: 86,400 Python f-strings took a fifth of a second)."""
    second = np.arange(86_400)
    two_digits = pa.array([f"{n:02d}" for n in range(60)], pa.string())
    parts = (second // 3600, second // 60 % 60, second % 60)
    hours, minutes, seconds = (pc.take(two_digits, pa.array(part)) for part in parts)
    return pc.binary_join_element_wise(
        f"{day.isoformat()}T", hours, ":", minutes, ":", seconds, "Z", ""
    )


def _digits(texts: pa.Array, spans: tuple[tuple[int, int], ...]) -> pa.Array:
    """The integer the characters of ``spans`` of each text spell (``2024-03-10T..`` with spans
    (0, 4), (5, 7), (8, 10): 20240310)."""
    parts = (pc.utf8_slice_codeunits(texts, start, stop) for start, stop in spans)
    return pc.binary_join_element_wise(*parts, "").cast(pa.int64())


def _info_lookup(info: pd.DataFrame | None) -> dict[tuple[str, str, str], str]:
    if info is None or "info" not in info:
        return {}
    return {
        (g, s, h): i
        for g, s, h, i in info[["group", "service", "hostname", "info"]].itertuples(index=False)
        if isinstance(i, str) and i
    }


def coded(codes: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
    """``values[codes]`` as a dictionary array whose dictionary is each distinct non-null value
    once (what pandas needs to read it as a categorical); a null value is a null entry."""
    distinct = pc.dictionary_encode(values)
    remap = distinct.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    indices = remap[np.asarray(codes, dtype=np.int64)] if len(remap) else np.zeros(0, np.int32)
    return pa.DictionaryArray.from_arrays(
        pa.array(indices, pa.int32(), mask=indices < 0), distinct.dictionary
    )


def metric_status_table(
    rows: pa.Table, report_id: str, info: pd.DataFrame | None = None
) -> pa.Table:
    """``status_metrics`` rows (``status_metrics.ROWS_SCHEMA``) as the collection's columns, in
    Arrow: ``date_integer`` and ``time_integer`` read from the timestamp's digits, ``info`` found
    by the row's (endpoint group, service, host); each distinct timestamp and endpoint once."""
    n = rows.num_rows
    stamps = pc.dictionary_encode(rows.column("timestamp").combine_chunks())
    dates = _digits(stamps.dictionary, ((0, 4), (5, 7), (8, 10)))
    times = _digits(stamps.dictionary, ((11, 13), (14, 16), (17, 19)))
    zeros = np.zeros(n, dtype=np.int32)
    columns = {
        "report": coded(zeros, pa.array([report_id], pa.string())),
        "endpoint_group": rows.column("group"),
        "service": rows.column("service"),
        "host": rows.column("hostname"),
        "metric": rows.column("metric"),
        "tags": coded(zeros, pa.array(["[]"], pa.string())),
        "message": rows.column("message"),
        "summary": rows.column("summary"),
        "time_integer": pc.take(times, stamps.indices),
        "previous_state": rows.column("previous_state"),
        "previous_timestamp": rows.column("previous_timestamp"),
        "actual_data": rows.column("actual_data"),
        "original_status": rows.column("original_status"),
        "threshold_rule_applied": rows.column("threshold_rule_applied"),
        "info": _endpoint_info(rows, _info_lookup(info)),
        "status": rows.column("status"),
        "timestamp": rows.column("timestamp"),
        "date_integer": pc.take(dates, stamps.indices),
        "has_threshold_rule": rows.column("has_threshold_rule"),
    }
    return pa.table(columns, schema=STATUS_SCHEMAS[METRIC_LEVEL])


def _endpoint_info(rows: pa.Table, lookup: dict[tuple[str, str, str], str]) -> pa.Array:
    """Each row's endpoint ``info``, looked up once per distinct (group, service, host)."""
    if not lookup or rows.num_rows == 0:
        return pa.nulls(rows.num_rows, pa.string()).dictionary_encode()
    parts = [
        pc.dictionary_encode(rows.column(c).combine_chunks())
        for c in ("group", "service", "hostname")
    ]
    key = np.zeros(rows.num_rows, dtype=np.int64)
    for part in parts:
        codes = part.indices.fill_null(len(part.dictionary)).to_numpy(zero_copy_only=False)
        key = key * (len(part.dictionary) + 1) + codes
    distinct, where = np.unique(key, return_inverse=True)
    values = [p.dictionary.to_pylist() + [None] for p in parts]
    found = []
    for combined in distinct.tolist():
        positions = []
        for p in reversed(values):
            combined, position = divmod(combined, len(p))
            positions.append(position)
        g, s, h = (v[i] for v, i in zip(values, reversed(positions), strict=True))
        found.append(lookup.get((g, s, h)))
    return coded(where, pa.array(found, pa.string()))


# the collections' JSON-text columns that are sub-documents: info is left out where there is
# none, tags is null
SUBDOCUMENTS = {"info": True, "tags": False}


def document_table(table: pa.Table) -> DocumentTable:
    """A report-day's status rows (as the lake has them) as documents for the results store:
    streamed, never two million dicts at once (``resources.model.documents``)."""
    return DocumentTable(table, SUBDOCUMENTS)
