"""A tiny hand-made report for kernel tests: groups, services, hosts and metrics chosen by hand."""

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from platform_assets.argo import profiles as pr
from platform_assets.argo.ar_kernel import ArInputs
from platform_assets.demo.argo_sample import operations_profile

DAY = date(2024, 3, 10)


def at(hours: float, day: date = DAY) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=hours))


def records(rows: list[tuple]) -> pd.DataFrame:
    """rows: (timestamp, service, hostname, metric, status[, monitoring_host])."""
    frame = pd.DataFrame([(*r, "mon1")[:6] for r in rows],
                         columns=["timestamp", "service", "hostname", "metric", "status", "monitoring_host"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def inputs(day_rows: list[tuple], prev_rows: list[tuple] | None = None, *,
           endpoints: list[tuple] = (("G1", "S", "h1"),),
           metrics: dict | None = None, service_op: str = "OR", group_op: str = "OR",
           downtimes: list[tuple] = (), exclusions: list = ()) -> ArInputs:
    metrics = metrics or {"S": ("m1", "m2")}
    agg = {"metric_operation": "AND", "profile_operation": "AND",
           "groups": [{"name": "pg", "operation": group_op,
                       "services": [{"name": s, "operation": service_op} for s in metrics]}]}
    return ArInputs(
        report="r1", day=DAY, records=records(day_rows),
        previous=records(prev_rows) if prev_rows is not None else None,
        metric_profile=metrics, aggregation=pr.parse_aggregation_profile(agg),
        operations=pr.parse_operations_profile(operations_profile()),
        endpoints=pd.DataFrame(list(endpoints), columns=["group", "service", "hostname"]),
        supergroups={"G1": "NGI_A"},
        downtimes=pd.DataFrame([(h, s, at(a), at(b)) for h, s, a, b in downtimes],
                               columns=["hostname", "service", "start", "end"]),
        weights={"G1": 42.0}, exclusions=list(exclusions),
    )
