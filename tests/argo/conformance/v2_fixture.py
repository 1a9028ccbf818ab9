"""ARGO's v2 batch-job fixtures (``v2_2022_01_14/``, ``v2_recomputations_2025_04_30/``: facts
transcribed from ARGOeu/argo-streaming, each file naming its origin) as the web API would answer
them, and the timelines Weir computes from them in the fixtures' own shape (``HH:MM:SS`` and
status name per change)."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from platform_assets.argo import ingest
from platform_assets.argo.ar_inputs import RECORD_COLUMNS, build_inputs
from platform_assets.argo.ar_kernel import ArInputs, ArResult, status_rows
from platform_assets.argo.records import RecordSorter, dedup_and_sort
from resources.model.tenancy import Report

MAIN = Path(__file__).parent / "v2_2022_01_14"
RECOMPUTATIONS = Path(__file__).parent / "v2_recomputations_2025_04_30"
DAY = date(2022, 1, 14)
LEVEL_KEYS = {
    "metric": ["group", "service", "hostname", "metric"],
    "endpoint": ["group", "service", "hostname"],
    "service": ["group", "service"],
    "function": ["group", "function"],
    "endpoint_group": ["group"],
}


def facts(folder: Path, name: str) -> Any:
    doc = json.loads((folder / f"{name}.json").read_text())
    doc.pop("_origin", None)
    return doc


def _envelope(data: Any) -> dict[str, Any]:
    return {"status": {"message": "Success", "code": "200"}, "data": data}


def api_answers() -> dict[str, dict[str, Any]]:
    """kind -> the web API's answer for the fixture's report-day."""
    report = facts(MAIN, "report_config")
    thresholds = facts(MAIN, "thresholds")
    # the test harness hands its job the thresholds profile; through the API the report names it
    profiles = [p for p in report["profiles"] if p["type"] != "thresholds"]
    profiles.append({"id": thresholds["id"], "name": thresholds["name"], "type": "thresholds"})
    return {
        "report_config": _envelope([{**report, "profiles": profiles}]),
        "metric_profile": _envelope([facts(MAIN, "metric_profile")]),
        "aggregation_profile": _envelope([facts(MAIN, "aggregation_profile")]),
        "operations_profile": _envelope([facts(MAIN, "operations_profile")]),
        "thresholds_profile": _envelope([thresholds]),
        "topology_endpoints": _envelope(facts(MAIN, "topology_endpoints")["data"]),
        "topology_groups": _envelope(facts(MAIN, "topology_groups")["data"]),
        "downtimes": _envelope(facts(MAIN, "downtimes")["data"]),
        "weights": _envelope([]),
        "recomputations": _envelope(facts(MAIN, "recomputations")["data"]),
    }


def records(day: date) -> pd.DataFrame:
    """The day's metric records through Weir's ingest (the header line naming the origin left out)."""
    lines = (MAIN / "metric_data" / f"{day}.jsonl").read_text().splitlines()
    body = "\n".join(line for line in lines if '"_origin"' not in line) + "\n"
    sorter = RecordSorter(day=day)
    ingest.sort_file(sorter, f"{day}.jsonl", body.encode())
    good, bad = sorter.take_tables()
    assert bad.num_rows == 0, bad.to_pylist()
    return dedup_and_sort(good).select(RECORD_COLUMNS).to_pandas()


def inputs() -> ArInputs:
    report = facts(MAIN, "report_config")
    snapshots = {kind: {"data": answer} for kind, answer in api_answers().items()}
    return build_inputs(Report(report["info"]["name"], report["id"]), DAY, records(DAY),
                        records(date(2022, 1, 13)), snapshots)


def _clock(t: int) -> str:
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


def _series(rows: pd.DataFrame, keys: list[str], states: tuple[str, ...]) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for key, points in rows.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        out[key] = {
            "points": [[_clock(int(t)), states[int(s)]] for t, s in zip(points["t"], points["status"], strict=True)],
            "hasThr": bool(points["has_threshold_rule"].any()) if "has_threshold_rule" in points else False,
        }
    return out


def weir_timelines(result: ArResult, data: ArInputs) -> dict[str, dict[tuple, dict]]:
    """level -> series key -> {"points": [[HH:MM:SS, STATUS], ...], "hasThr"}, as the fixtures list them."""
    states = data.operations.states
    out = {
        "endpoint": _series(result.status_endpoints, LEVEL_KEYS["endpoint"], states),
        "service": _series(result.status_services, LEVEL_KEYS["service"], states),
        "endpoint_group": _series(result.status_endpoint_groups, LEVEL_KEYS["endpoint_group"], states),
    }
    if result.function_timelines is not None:
        timelines, keys = result.function_timelines
        rows = status_rows(timelines, keys, pd.Series(False, index=keys.index).to_numpy())
        out["function"] = _series(rows, LEVEL_KEYS["function"], states)
    if result.metric_timelines is not None:
        # a metric series is one per (service, hostname, metric), in each group of its endpoint
        timelines, keys = result.metric_timelines
        rows = status_rows(timelines, keys, keys["present"].to_numpy() & False)
        rows = rows[rows["present"]]
        if "group" not in rows:  # the local engine's series are per endpoint, in each of its groups
            rows = rows.merge(data.endpoints[["group", "service", "hostname"]], on=["service", "hostname"])
        rows = rows.sort_values([*LEVEL_KEYS["metric"], "t"], kind="stable")
        out["metric"] = _series(rows, LEVEL_KEYS["metric"], states)
    return out


def expected_timelines(folder: Path, name: str) -> tuple[str, dict[tuple, dict]]:
    doc = facts(folder, name)
    level = doc["level"]
    return level, {tuple(s[k] for k in LEVEL_KEYS[level]): {"points": s["points"], "hasThr": bool(s.get("hasThr"))}
                   for s in doc["series"]}


def recomputation_inputs(
    records: str = "initial_group_timeline_data_recomp", recomputations: list | None = None
) -> ArInputs:
    """``RecomputationChangeStatusTest``'s cases: its hand-made ``records`` (the statuses of the
    day, each series' status before its first record at that record's ``prevTs``), the fixture's
    aggregation profile, the main fixture's operations profile, and ``recomputations`` (by
    default the active case's: the group's status change 09:30-11:00)."""
    day = date(2025, 4, 30)
    if recomputations is None:
        recomputations = facts(RECOMPUTATIONS, "group_timeline_recomp1")["data"]
    rows = facts(RECOMPUTATIONS, records)["records"]
    frame = pd.DataFrame(rows)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    first = frame.sort_values("timestamp").drop_duplicates(["service", "hostname", "metric"])
    before = first[pd.to_datetime(first["prevTs"], utc=True) < pd.Timestamp(day, tz="UTC")]
    previous = before.assign(timestamp=pd.to_datetime(before["prevTs"], utc=True), status=before["prevState"])
    columns = ["timestamp", "service", "hostname", "metric", "status"]
    metrics = frame.groupby("service")["metric"].unique()
    snapshots = {
        "metric_profile": {"data": [{"name": "TEST", "services": [
            {"service": s, "metrics": list(m)} for s, m in metrics.items()]}]},
        "aggregation_profile": {"data": [facts(RECOMPUTATIONS, "aggregation_profile")]},
        "operations_profile": {"data": [facts(MAIN, "operations_profile")]},
        "topology_endpoints": {"data": [
            {"group": g, "type": "SITES", "service": s, "hostname": h}
            for g, s, h in frame[["group", "service", "hostname"]].drop_duplicates().itertuples(index=False)]},
        "topology_groups": {"data": []},
        "downtimes": {"data": []},
        "recomputations": {"data": recomputations},
    }
    return build_inputs(Report("Default", "default"), day, frame[columns].assign(monitoring_host=None),
                        previous[columns].assign(monitoring_host=None), snapshots)
