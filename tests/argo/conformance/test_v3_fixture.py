"""ARGO's own v3 batch-job fixture (run date 2022-01-14): every one of the 36 A/R documents the
original's test asserts, reproduced to the last digit by Weir's kernel, on the local engine and on
Spark. Inputs go in as the ARGO web API answers them (envelopes, a profile version dated before the
day, no weights, a recomputation without a report field)."""

import json

import pytest

from platform_assets.argo.ar_kernel import compute_ar
from tests.argo.conformance.argo_api import DAY, FACTS, expected_documents, inputs

FIGURES = ("availability", "reliability", "up", "unknown", "down")


def _key(level: str, row: dict) -> tuple:
    if level == "endpoint":
        return level, row["group"], row["service"], row["name"]
    if level == "service":
        return level, row["group"], row["name"]
    return level, row["name"]


def _documents(result) -> dict[tuple, dict]:
    out = {}
    for level, frame in (("endpoint", result.endpoint_ar), ("service", result.service_ar),
                         ("group", result.endpoint_group_ar)):
        for row in frame.to_dict("records"):
            row = {**row, "group": row["supergroup"]}
            out[_key(level, row)] = row
    return out


def _compare(result) -> list[str]:
    got = _documents(result)
    wrong = []
    expected = {_key(d["level"], d): d for d in expected_documents()}
    assert len(expected) == 36
    for key, want in expected.items():
        have = got.get(key)
        if have is None:
            wrong.append(f"{key}: missing")
            continue
        for figure in FIGURES:
            if have[figure] != want[figure]:  # exact: both are 5-decimal doubles
                wrong.append(f"{key} {figure}: Weir {have[figure]!r}, ARGO {want[figure]!r}")
        if want["level"] == "group" and have["weight"] != want["weight"]:
            wrong.append(f"{key} weight: Weir {have['weight']!r}, ARGO {want['weight']!r}")
        # ARGO labels a group with the group of groups of the report's type: none here (null)
        if want["level"] == "group" and have["supergroup"] != want["supergroup"]:
            wrong.append(f"{key} supergroup: Weir {have['supergroup']!r}, ARGO {want['supergroup']!r}")
        if want["level"] != "group" and have["report"] != want["report"]:
            wrong.append(f"{key} report: {have['report']!r}")
    wrong += [f"{key}: not in ARGO's results" for key in sorted(set(got) - set(expected))]
    return wrong


@pytest.mark.fast
def test_the_local_engine_reproduces_every_document():
    assert _compare(compute_ar(inputs())) == []


def test_spark_reproduces_every_document(spark):
    from platform_assets.argo.ar_spark import compute_ar_spark

    assert _compare(compute_ar_spark(spark.spark_session, inputs())) == []


STATUS_KEYS = {"status_endpoints": ["group", "service", "hostname"], "status_services": ["group", "service"],
               "status_endpoint_groups": ["group"]}


def _status_rows(result, states) -> dict[str, set]:
    from platform_assets.argo.status_results import STATUS_LEVELS, status_table

    out = {}
    for level, rows in zip(STATUS_LEVELS, (result.status_endpoints, result.status_services,
                                           result.status_endpoint_groups), strict=True):
        table = status_table(level, rows, "report-id", DAY, states).to_pandas()
        keys = [c for c in ("endpoint_group", "service", "host") if c in table]
        out[level] = {tuple(r) for r in table[[*keys, "status", "timestamp"]].itertuples(index=False)}
        out[level + "_threshold"] = {tuple(r) for r in table.loc[table["has_threshold_rule"], [*keys, "timestamp"]]
                                     .itertuples(index=False)}
    return out


def _compare_status(result, states) -> None:
    expected = json.loads((FACTS / "expected_status.json").read_text())
    got = _status_rows(result, states)
    for level in STATUS_KEYS:
        want = {tuple(r) for r in expected[level]}
        assert len(want) == len(expected[level])  # 53, 26 and 21 rows, none twice
        assert got[level] == want, (level, sorted(got[level] ^ want))
        assert got[level + "_threshold"] == {tuple(r) for r in expected[level + "_threshold"]}


@pytest.mark.fast
def test_the_local_engine_reproduces_every_status_row():
    data = inputs()
    _compare_status(compute_ar(data), data.operations.states)


def test_spark_reproduces_every_status_row(spark):
    from platform_assets.argo.ar_spark import compute_ar_spark

    data = inputs()
    _compare_status(compute_ar_spark(spark.spark_session, data), data.operations.states)


@pytest.mark.fast
def test_every_status_metrics_row_with_its_previous_state():
    from collections import Counter

    from platform_assets.argo.status_metrics import status_metric_table

    expected = json.loads((FACTS / "expected_status_metrics.json").read_text())
    columns = expected["columns"]
    table = status_metric_table(inputs(), "report-id").to_pandas()

    def blank(value):  # the original writes "" where none applies; pandas' missing is NaN
        return None if value in ("", None) or (isinstance(value, float) and value != value) else value

    got = Counter(tuple(blank(v) for v in row) for row in table[columns].itertuples(index=False))
    want = Counter(tuple(blank(v) for v in row) for row in expected["rows"])
    assert sum(want.values()) == 413
    assert got == want, (sorted((want - got).elements())[:5], sorted((got - want).elements())[:5])
    assert table["has_threshold_rule"].sum() == 1 and set(table["date_integer"]) == {20220114}
