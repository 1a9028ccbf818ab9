"""ARGO's v2 metric-level recomputation fixtures (``RecomputationChangeStatusTest``, cases 1, 2, 4
and 5, transcribed in ``v2_recomputations_2025_04_30/metric_cases.json``): the rows the original's
``CalcRecomputation`` gives (status, time, previous state and time, start/end messages) and the
metric timelines built from them, through Weir's recomputation parser and
``metric_recomputation``. The records are the fixture's hand-made rows as they leave
``CalcPrevStatus``."""

from datetime import date

import pandas as pd
import pytest

from platform_assets.argo import metric_recomputation, status_changes
from platform_assets.argo import profiles as pr
from tests.argo.conformance.v2_fixture import RECOMPUTATIONS, facts

pytestmark = pytest.mark.fast

DAY = date(2025, 4, 30)
SERIES = ("group", "service", "hostname", "metric")
CASES = facts(RECOMPUTATIONS, "metric_cases")["cases"]


def _second(stamp: str) -> int:
    return int((pd.Timestamp(stamp) - pd.Timestamp(DAY, tz="UTC")).total_seconds())


def _rewritten(case: dict) -> dict[tuple, list[dict]]:
    changes = status_changes.for_level(
        pr.parse_recomputations(case["recomputations"], {"Default"}).status_changes, "metric", DAY)
    series: dict[tuple, list[dict]] = {}
    for record in sorted(facts(RECOMPUTATIONS, case["records"])["records"], key=lambda r: r["timestamp"]):
        series.setdefault(tuple(record[k] for k in SERIES), []).append({
            **{k: record[k] for k in SERIES}, "t": _second(record["timestamp"]),
            "timestamp": record["timestamp"], "status": record["status"], "message": record["message"],
            "previous_t": _second(record["prevTs"]), "previous_timestamp": record["prevTs"],
            "previous_state": record["prevState"]})
    for key, rows in series.items():
        for change in changes:
            if all(getattr(change, name) in (None, value) for name, value in zip(SERIES, key, strict=True)):
                rows = metric_recomputation.rewrite(rows, change, DAY, lambda ref: {k: ref[k] for k in SERIES})
        series[key] = rows
    return series


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case{c['case']}")
def test_the_rows_are_rewritten_as_the_original_expects(case):
    got = sorted([*key, r["timestamp"], r["status"], r["previous_state"], r["previous_timestamp"],
                  r.get("message") or None] for key, rows in _rewritten(case).items() for r in rows)
    assert got == sorted(case["expected_rows"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case{c['case']}")
def test_the_metric_timelines_are_the_ones_the_original_expects(case):
    got = {}
    for key, rows in _rewritten(case).items():
        changes: list[list] = []
        for second, status in metric_recomputation.timeline(rows, "MISSING"):
            if not changes or changes[-1][1] != status:
                changes.append([metric_recomputation.stamp(DAY, second), status])
        got[key] = changes
    want = {tuple(t[:4]): t[4] for t in case["expected_timelines"]}
    assert got == want
