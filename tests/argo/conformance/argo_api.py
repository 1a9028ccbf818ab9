"""The conformance facts (``v3_2022_01_14/*.json``, transcribed from ARGO's own test fixtures) put
back into the ARGO web API's envelopes, as a ``files`` connector source or the API would hand them
to Weir. So the conformance test also covers the parsers of each connector kind."""

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from platform_assets.argo import ingest
from platform_assets.argo.ar_inputs import RECORD_COLUMNS, build_inputs
from platform_assets.argo.ar_kernel import ArInputs
from platform_assets.argo.records import RecordSorter, dedup_and_sort
from resources.model.tenancy import Report

FACTS = Path(__file__).parent / "v3_2022_01_14"
DAY = date(2022, 1, 14)


def _facts(name: str) -> dict[str, Any]:
    return json.loads((FACTS / f"{name}.json").read_text())


def _envelope(data: Any) -> dict[str, Any]:
    return {"status": {"message": "Success", "code": "200"}, "data": data}


def api_answers() -> dict[str, dict[str, Any]]:
    """kind -> the API's answer (envelope included) for the report's day."""
    metric = _facts("metric_profile")
    aggregation = _facts("aggregation_profile")
    operations = _facts("operations_profile")
    downtimes = _facts("downtimes")
    thresholds = _facts("thresholds")
    recomputations = _facts("recomputations")["recomputations"]
    report = _facts("report")
    profiles = [{"id": p["id"], "name": p["name"], "type": t} for t, p in report["profiles"].items()]
    # the test harness hands the job its thresholds profile directly; through the web API the
    # report's config names it, as here
    profiles.append({"id": thresholds["id"], "name": thresholds["name"], "type": "thresholds"})
    return {
        "report_config": _envelope([{
            "id": report["report_id"], "tenant": report["tenant"], "disabled": False,
            "info": {"name": report["report_name"]}, "thresholds": report["thresholds"],
            "topology_schema": {"group": {"type": report["group_of_groups_type"],
                                          "group": {"type": report["endpoint_group_type"]}}},
            "computations": report["computations"], "profiles": profiles,
            "filter_tags": report["filter_tags"]}]),
        "metric_profile": _envelope([{
            "id": metric["id"], "date": metric["date"], "name": metric["name"],
            "services": [{"service": s, "metrics": m} for s, m in metric["services"].items()]}]),
        "aggregation_profile": _envelope([{
            "id": aggregation["id"], "date": aggregation["date"], "name": aggregation["name"],
            "namespace": "", "endpoint_group": aggregation["endpoint_group"],
            "metric_operation": aggregation["metric_operation"],
            "profile_operation": aggregation["profile_operation"],
            "metric_profile": {"name": aggregation["metric_profile"]},
            "groups": [{"name": g["name"], "operation": g["operation"],
                        "services": [{"name": s, "operation": o} for s, o in g["services"].items()]}
                       for g in aggregation["groups"]]}]),
        "operations_profile": _envelope([{
            "id": operations["id"], "date": operations["date"], "name": operations["name"],
            "available_states": operations["states"], "defaults": operations["defaults"],
            "operations": [{"name": name, "truth_table": [{"a": a, "b": b, "x": x} for a, b, x in rows]}
                           for name, rows in operations["operations"].items()]}]),
        "topology_endpoints": _envelope([
            {"date": e["date"], "group": e["group"], "type": e["group_type"], "service": e["service"],
             "hostname": e["hostname"], "tags": e["tags"]} for e in _facts("topology_endpoints")["endpoints"]]),
        "topology_groups": _envelope([
            {"date": g["date"], "group": g["group"], "type": g["group_type"], "subgroup": g["subgroup"],
             "tags": g["tags"]} for g in _facts("topology_groups")["groups"]]),
        "downtimes": _envelope([{"date": downtimes["date"], "name": "downtimes", "endpoints": [
            {"hostname": d["hostname"], "service": d["service"], "start_time": d["start"], "end_time": d["end"]}
            for d in downtimes["downtimes"]]}]),
        "weights": _envelope([]),  # ARGO's job reads no weights
        "thresholds_profile": _envelope([{
            "id": thresholds["id"], "date": thresholds["date"], "name": thresholds["name"],
            "rules": thresholds["rules"]}]),
        "recomputations": _envelope([
            {"id": r["id"], "status": r["status"], "start_time": r["start"], "end_time": r["end"],
             "exclude": r["exclude_groups"], "exclude_metrics": r["exclude_metrics"],
             "exclude_monitoring_source": [{"host": m["host"], "start_time": m["start"], "end_time": m["end"]}
                                           for m in r["exclude_monitoring_source"]]}
            for r in recomputations]),
    }


def _records(day: date) -> pd.DataFrame:
    sorter = RecordSorter(day=day)
    ingest.sort_file(sorter, f"{day}.jsonl", (FACTS / f"metric_data_{day}.jsonl").read_bytes())
    good, bad = sorter.take_tables()
    assert bad.num_rows == 0, bad.to_pylist()
    return dedup_and_sort(good).select(RECORD_COLUMNS).to_pandas()


def report() -> Report:
    facts = _facts("report")
    return Report(facts["report_name"], facts["report_id"])


def inputs(semantics: str = "argo_v3") -> ArInputs:
    """The fixture's report-day, through Weir's connector parsers and metric ingest."""
    snapshots = {kind: {"data": answer} for kind, answer in api_answers().items()}
    return build_inputs(report(), DAY, _records(DAY), _records(date(2022, 1, 13)), snapshots, semantics)


def expected_documents() -> list[dict[str, Any]]:
    return _facts("expected_ar")["documents"]
