"""The A/R kernel on Spark: one ``applyInPandas`` call per endpoint group, same ``compute_ar``.

Records are keyed by their endpoint group (an endpoint in two groups travels to both), and every
group of the topology gets a marker row so that a group without any records still gets its
MISSING-filled result, exactly as on the local engine. Timestamps cross into Spark as epoch
seconds, so the Spark session's time zone cannot shift anything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from platform_assets.argo import timelines as tl
from platform_assets.argo.ar_kernel import ArInputs, ArResult, compute_ar, status_rows

RESULT_SCHEMA = (
    "level string, report string, date long, name string, service string, supergroup string, "
    "weight double, availability double, reliability double, up double, unknown double, down "
    "double, info string, t long, status long, has_threshold_rule boolean, metric string"
)
_STRING_OUT = ["level", "report", "name", "service", "supergroup", "info", "metric"]
_FLOAT_OUT = ["weight", "availability", "reliability", "up", "unknown", "down"]
_STATUS_OUT = ["t", "status", "has_threshold_rule"]
_OUT_COLUMNS = [
    "level",
    "report",
    "date",
    "name",
    "service",
    "supergroup",
    *_FLOAT_OUT,
    "info",
    *_STATUS_OUT,
    "metric",
]
LEVELS = ("endpoint_ar", "service_ar", "endpoint_group_ar")
# status rows travel in the same frame: group as supergroup, host as name
STATUS_LEVELS = ("status_endpoints", "status_services", "status_endpoint_groups")
_STATUS_RENAMES = {"group": "supergroup", "hostname": "name"}
# on request, the metric timelines (group, service, host, metric) and the profile groups' (group,
# function as name) travel the same way
TIMELINE_LEVELS = ("metric_timelines", "function_timelines")
_RECORD_COLUMNS = ["service", "hostname", "metric", "status", "monitoring_host", "actual_data"]


def _records_for_spark(frame: pd.DataFrame | None, previous: bool) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(
            {
                **{c: pd.Series(dtype=object) for c in _RECORD_COLUMNS},
                "epoch_s": pd.Series(dtype="int64"),
                "previous": pd.Series(dtype=bool),
            }
        )
    out = frame.reindex(columns=_RECORD_COLUMNS).astype(object).copy()
    out["epoch_s"] = (
        pd.to_datetime(frame["timestamp"], utc=True) - pd.Timestamp(0, tz="UTC")
    ) // pd.Timedelta(seconds=1)
    out["previous"] = previous
    return out


def _timeline_rows(result: ArResult) -> list[pd.DataFrame]:
    """The group's metric and function timelines as rows of the result frame."""
    out = []
    if result.metric_timelines is not None:
        timelines, keys = result.metric_timelines
        rows = status_rows(timelines, keys, np.zeros(len(keys), dtype=bool))
        rows = rows[rows["present"]].drop(columns="present")
        out.append(rows.rename(columns={"group": "supergroup", "hostname": "name"}))
    if result.function_timelines is not None:
        timelines, keys = result.function_timelines
        rows = status_rows(timelines, keys, np.zeros(len(keys), dtype=bool))
        out.append(rows.rename(columns={"group": "supergroup", "function": "name"}))
    return [frame.assign(level=level) for frame, level in zip(out, TIMELINE_LEVELS, strict=True)]


def _group_kernel(inputs: ArInputs, timelines: bool = False) -> Any:
    """The function Spark runs per group: rebuild that group's ArInputs and call compute_ar
    (``timelines``: also return its metric and function timelines)."""

    def run(group_rows: pd.DataFrame) -> pd.DataFrame:
        group = group_rows["group"].iloc[0]
        rows = group_rows[group_rows["service"].notna()].copy()
        rows["timestamp"] = pd.to_datetime(rows["epoch_s"], unit="s", utc=True)
        local = replace(
            inputs,
            records=rows.loc[~rows["previous"], ["timestamp", *_RECORD_COLUMNS]],
            previous=rows.loc[rows["previous"], ["timestamp", *_RECORD_COLUMNS]],
            endpoints=inputs.endpoints[inputs.endpoints["group"] == group],
        )
        result = compute_ar(local)
        statuses = (result.status_endpoints, result.status_services, result.status_endpoint_groups)
        out = pd.concat(
            [
                frame.assign(level=level)
                for level, frame in zip(
                    LEVELS,
                    (result.endpoint_ar, result.service_ar, result.endpoint_group_ar),
                    strict=True,
                )
            ]
            + [
                rows.rename(columns=_STATUS_RENAMES).assign(level=level)
                for level, rows in zip(STATUS_LEVELS, statuses, strict=True)
                if rows is not None
            ]
            + (_timeline_rows(result) if timelines else []),
            ignore_index=True,
        )
        for (
            column
        ) in _STRING_OUT:  # plain objects: Arrow-backed strings do not cross back into Spark
            out[column] = out[column].astype(object) if column in out else None
        for column in _FLOAT_OUT:
            out[column] = out[column].astype("float64") if column in out else float("nan")
        out["date"] = out["date"].fillna(0).astype("int64")
        for column in ("t", "status"):
            out[column] = out[column].fillna(0).astype("int64") if column in out else 0
        thr = out["has_threshold_rule"] if "has_threshold_rule" in out else False
        out["has_threshold_rule"] = pd.Series(thr, index=out.index).fillna(False).astype(bool)
        return out[_OUT_COLUMNS]

    return run


def compute_ar_spark(spark: Any, inputs: ArInputs, timelines: bool = False) -> ArResult:
    """A/R and status timelines computed group by group on Spark; with ``timelines`` the metric
    and function (profile group) timelines too (rows per group; conformance checks use them)."""
    memberships = inputs.endpoints[["group", "service", "hostname"]].drop_duplicates()
    records = pd.concat(
        [_records_for_spark(inputs.records, False), _records_for_spark(inputs.previous, True)],
        ignore_index=True,
    )
    keyed = records.merge(memberships, on=["service", "hostname"], how="inner")
    markers = pd.DataFrame({"group": sorted(memberships["group"].unique())})
    keyed = pd.concat([keyed, markers], ignore_index=True)
    keyed["previous"] = keyed["previous"].fillna(False).astype(bool)
    keyed["epoch_s"] = keyed["epoch_s"].fillna(0).astype("int64")
    slim = replace(inputs, records=inputs.records.iloc[0:0], previous=None)
    sdf = spark.createDataFrame(
        keyed[["group", *_RECORD_COLUMNS, "epoch_s", "previous"]].astype(
            {c: object for c in ["group", *_RECORD_COLUMNS]}
        )
    )
    kernel = _group_kernel(slim, timelines)
    out = sdf.groupBy("group").applyInPandas(kernel, schema=RESULT_SCHEMA).toPandas()
    for column in _STRING_OUT:  # a null string (a group without supergroup) stays None, not NaN
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    frames = []
    for level, columns in zip(LEVELS, _columns(), strict=True):
        part = out[out["level"] == level][columns].reset_index(drop=True)
        frames.append(
            part.sort_values(
                [c for c in ("supergroup", "name", "service") if c in columns], kind="stable"
            ).reset_index(drop=True)
        )
    status_frames = []
    for level in STATUS_LEVELS:
        part = out[out["level"] == level].rename(columns={v: k for k, v in _STATUS_RENAMES.items()})
        keys = ["group", "service", "hostname"][: 3 - STATUS_LEVELS.index(level)]
        part = part[[*keys, *_STATUS_OUT]].sort_values([*keys, "t"], kind="stable")
        part["status"] = part["status"].astype("int8")
        status_frames.append(part.reset_index(drop=True))
    stats = {"records_in": int(len(inputs.records)), "endpoint_groups": int(len(markers))}
    result = ArResult(frames[0], frames[1], frames[2], stats, None, *status_frames)
    if timelines:
        result.metric_timelines, result.function_timelines = (
            _as_timelines(out[out["level"] == level], keys)
            for level, keys in zip(
                TIMELINE_LEVELS,
                (["supergroup", "service", "name", "metric"], ["supergroup", "name"]),
                strict=True,
            )
        )
    return result


def _as_timelines(rows: pd.DataFrame, keys: list[str]) -> tuple[tl.Timelines, pd.DataFrame]:
    """Rows of one timeline level back into Timelines and their key frame (group, service,
    hostname, metric / group, function)."""
    names = {"supergroup": "group", "name": "hostname" if "metric" in keys else "function"}
    rows = rows.sort_values([*keys, "t"], kind="stable")
    codes, uniques = pd.MultiIndex.from_frame(rows[keys]).factorize()
    frame = uniques.to_frame(index=False, name=keys).rename(columns=names)
    if "metric" in keys:
        frame["present"] = True
    timelines = tl.Timelines(
        codes.astype(np.int64),
        rows["t"].to_numpy(dtype=np.int64),
        rows["status"].to_numpy(dtype=np.int8),
    )
    return timelines, frame


def _columns() -> tuple[list[str], list[str], list[str]]:
    from platform_assets.argo.ar_kernel import ENDPOINT_COLUMNS, GROUP_COLUMNS, SERVICE_COLUMNS

    return ENDPOINT_COLUMNS, SERVICE_COLUMNS, GROUP_COLUMNS
