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

import numpy as np
import pandas as pd
import pyarrow as pa

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
STATUS_SCHEMAS[METRIC_LEVEL] = pa.schema(
    [
        ("report", pa.string()),
        ("endpoint_group", pa.string()),
        ("service", pa.string()),
        ("host", pa.string()),
        ("metric", pa.string()),
        ("tags", pa.string()),  # JSON list (the original fills it only for tag trends: [])
        ("message", pa.string()),
        ("summary", pa.string()),
        ("time_integer", pa.int64()),
        ("previous_state", pa.string()),
        ("previous_timestamp", pa.string()),
        ("actual_data", pa.string()),
        ("original_status", pa.string()),
        ("threshold_rule_applied", pa.string()),
        ("info", pa.string()),
        ("status", pa.string()),
        ("timestamp", pa.string()),
        ("date_integer", pa.int64()),
        ("has_threshold_rule", pa.bool_()),
    ]
)
_CLOCK: np.ndarray | None = None


def clock() -> np.ndarray:
    """``HH:MM:SS`` of every second of the day (built once: formatting by lookup, not per row)."""
    global _CLOCK
    if _CLOCK is None:
        seconds = np.arange(86_400)
        _CLOCK = np.array(
            [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in seconds], dtype=object
        )
    return _CLOCK


def status_table(
    level: str,
    rows: pd.DataFrame,
    report_id: str,
    day: date,
    states: tuple[str, ...],
    info: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The kernel's rows of ``level`` (key columns, ``t``, ``status`` code, ``has_threshold_rule``)
    as the collection's columns (``info`` as JSON text; ``documents`` turns it into a document)."""
    out = pd.DataFrame({"report": np.full(len(rows), report_id, dtype=object)})
    for column, name in KEYS[level]:
        out[name] = rows[column].to_numpy(dtype=object)
    if level == "status_endpoints":
        lookup = _info_lookup(info)
        out["info"] = [
            lookup.get(k)
            for k in zip(out["endpoint_group"], out["service"], out["host"], strict=True)
        ]
    out["status"] = np.asarray(states, dtype=object)[rows["status"].to_numpy(dtype=np.int64)]
    out["timestamp"] = f"{day.isoformat()}T" + clock()[rows["t"].to_numpy(dtype=np.int64)] + "Z"
    out["date_integer"] = int(day.strftime("%Y%m%d"))
    out["has_threshold_rule"] = rows["has_threshold_rule"].to_numpy(dtype=bool)
    return out


def _info_lookup(info: pd.DataFrame | None) -> dict[tuple[str, str, str], str]:
    if info is None or "info" not in info:
        return {}
    return {
        (g, s, h): i
        for g, s, h, i in info[["group", "service", "hostname", "info"]].itertuples(index=False)
        if isinstance(i, str) and i
    }


def _text(values: pd.Series) -> np.ndarray:
    """Strings, None where absent (NaN from a frame without the column)."""
    out = values.to_numpy(dtype=object).copy()
    out[pd.isna(out)] = None
    return out


def _day_and_time(stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``date_integer`` and ``time_integer`` of ``YYYY-MM-DDTHH:MM:SSZ`` texts, by digit arithmetic
    over the bytes (a million string slices in pandas take seconds)."""
    if len(stamps) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    digits = np.asarray(stamps, dtype="S20").view(np.uint8).reshape(-1, 20).astype(np.int64) - 48

    def number(*positions: int) -> np.ndarray:
        out = np.zeros(len(digits), dtype=np.int64)
        for position in positions:
            out = out * 10 + digits[:, position]
        return out

    return number(0, 1, 2, 3, 5, 6, 8, 9), number(11, 12, 14, 15, 17, 18)


def metric_status_table(
    rows: pd.DataFrame, report_id: str, info: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``status_metrics.status_metric_rows`` as the collection's columns."""
    lookup = _info_lookup(info)
    stamps = rows["timestamp"].to_numpy(dtype=object)
    day_int, time_int = _day_and_time(stamps)
    groups = rows["group"].to_numpy(dtype=object)
    services = rows["service"].to_numpy(dtype=object)
    hosts = rows["hostname"].to_numpy(dtype=object)
    infos = (
        np.array([lookup.get(k) for k in zip(groups, services, hosts, strict=True)], dtype=object)
        if lookup
        else np.full(len(rows), None, dtype=object)
    )
    columns = {
        "report": np.full(len(rows), report_id, dtype=object),
        "endpoint_group": groups,
        "service": services,
        "host": hosts,
        "metric": rows["metric"].to_numpy(dtype=object),
        "tags": np.full(len(rows), "[]", dtype=object),
        "message": _text(rows["message"]),
        "summary": _text(rows["summary"]),
        "time_integer": time_int,
        "previous_state": rows["previous_state"].to_numpy(dtype=object),
        "previous_timestamp": rows["previous_timestamp"].to_numpy(dtype=object),
        "actual_data": _text(rows["actual_data"]),
        "original_status": rows["original_status"].to_numpy(dtype=object),
        "threshold_rule_applied": rows["threshold_rule_applied"].to_numpy(dtype=object),
        "info": infos,
        "status": rows["status"].to_numpy(dtype=object),
        "timestamp": stamps,
        "date_integer": day_int,
        "has_threshold_rule": rows["has_threshold_rule"].to_numpy(dtype=bool),
    }
    out = pd.DataFrame(columns, dtype=object)  # plain objects: no string-dtype conversion
    for name in ("time_integer", "date_integer"):
        out[name] = columns[name]
    out["has_threshold_rule"] = columns["has_threshold_rule"]
    return out


# the collections' JSON-text columns that are sub-documents: info is left out where there is
# none, tags is null
SUBDOCUMENTS = {"info": True, "tags": False}


def document_table(table: pa.Table) -> DocumentTable:
    """A report-day's status rows (as the lake has them) as documents for the results store:
    streamed, never two million dicts at once (``resources.model.documents``)."""
    return DocumentTable(table, SUBDOCUMENTS)
