"""Realistic sample input for the monitoring A/R slice.

Generates, per tenant, a monitoring federation (NGIs > sites > service endpoints), connector
snapshots for each day (profiles, topology, downtimes, weights, recomputations) and metric results
(one check per metric per hour, mostly OK with bursts of WARNING/CRITICAL, some silent hosts).
Used by the demo command, the tests and ``benchmarks/ar_day.py``. No Dagster import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import fastavro
import numpy as np
import pandas as pd

from platform_assets.argo.records import METRIC_AVRO_SCHEMA

STATES = ["OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"]
SEVERITY = {
    "AND": ["OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"],
    "OR": ["OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"],
}
SERVICES = {
    "ARC-CE": [
        "org.nordugrid.ARC-CE-ARIS",
        "org.nordugrid.ARC-CE-submit",
        "org.nordugrid.ARC-CE-result",
    ],
    "SRM": ["eu.egi.SRM-GetSURLs", "eu.egi.SRM-VOPut", "eu.egi.SRM-VOGet", "eu.egi.SRM-VOLs"],
    "webdav": ["eu.egi.WebDAV-Health", "eu.egi.WebDAV-List"],
    "XRootD": ["eu.egi.xrootd-Read", "eu.egi.xrootd-Health"],
    "Site-BDII": ["org.bdii.Entries", "org.bdii.Freshness"],
}


def operations_profile(name: str = "egi_ops") -> dict[str, Any]:
    """AND takes the more severe state, OR the less severe, over the order in SEVERITY."""
    ops = []
    for op, order in SEVERITY.items():
        rank = {s: i for i, s in enumerate(order)}
        pick = max if op == "AND" else min
        rows = [
            {"a": a, "b": b, "x": pick(a, b, key=rank.__getitem__)}
            for i, a in enumerate(STATES)
            for b in STATES[i:]
        ]
        ops.append({"name": op, "truth_table": rows})
    return {
        "name": name,
        "available_states": STATES,
        "defaults": {"down": "DOWNTIME", "missing": "MISSING", "unknown": "UNKNOWN"},
        "operations": ops,
    }


def aggregation_profile(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint_group": "sites",
        "metric_operation": "AND",
        "profile_operation": "AND",
        "metric_profile": {"name": name},
        "groups": [
            {
                "name": "compute",
                "operation": "OR",
                "services": [{"name": "ARC-CE", "operation": "OR"}],
            },
            {
                "name": "storage",
                "operation": "OR",
                "services": [
                    {"name": "SRM", "operation": "OR"},
                    {"name": "webdav", "operation": "OR"},
                    {"name": "XRootD", "operation": "OR"},
                ],
            },
            {
                "name": "information",
                "operation": "OR",
                "services": [{"name": "Site-BDII", "operation": "OR"}],
            },
        ],
    }


def metric_profile(name: str, services: dict[str, list[str]] | None = None) -> dict[str, Any]:
    services = services or SERVICES
    return {"name": name, "services": [{"service": s, "metrics": m} for s, m in services.items()]}


@dataclass(frozen=True)
class Federation:
    """Topology of one tenant: endpoints (group, service, hostname) and site -> NGI."""

    endpoints: pd.DataFrame
    ngis: dict[str, str]
    weights: dict[str, int]


def federation(
    tenant: str,
    n_sites: int,
    rng: np.random.Generator,
    services: dict[str, list[str]] | None = None,
    endpoints_per_site: int | None = None,
) -> Federation:
    services = services or SERVICES
    names = list(services)
    rows, ngis, weights = [], {}, {}
    for i in range(n_sites):
        site = f"{tenant.upper()}-SITE-{i:04d}"
        ngis[site] = f"NGI_{tenant.upper()}_{i % 7}"
        weights[site] = int(rng.integers(100, 20_000))
        count = endpoints_per_site or int(rng.integers(3, 7))
        for j in range(count):
            service = names[j % len(names)]
            rows.append((site, service, f"{service.lower()}{j}.site{i:04d}.{tenant}.example.org"))
    # one endpoint shared by two sites, as happens with federated storage
    if n_sites > 1 and not endpoints_per_site:
        rows.append((f"{tenant.upper()}-SITE-0001", rows[0][1], rows[0][2]))
    return Federation(pd.DataFrame(rows, columns=["group", "service", "hostname"]), ngis, weights)


def metric_frame(
    fed: Federation,
    day: date,
    rng: np.random.Generator,
    services: dict[str, list[str]] | None = None,
    checks_per_day: int = 24,
    silent_fraction: float = 0.03,
) -> pd.DataFrame:
    """Check results for one day: a vectorised Markov-ish walk that is mostly OK."""
    services = services or SERVICES
    eps = fed.endpoints[["service", "hostname"]].drop_duplicates()
    eps = eps[rng.random(len(eps)) >= silent_fraction]
    per_ep = [
        (h, s, m) for s, h in zip(eps["service"], eps["hostname"], strict=True) for m in services[s]
    ]
    n_series = len(per_ep)
    start = datetime.combine(day, time(), tzinfo=UTC)
    step = 86_400 // checks_per_day
    offsets = rng.integers(0, step, n_series)
    seconds = (np.arange(checks_per_day)[None, :] * step + offsets[:, None]).ravel()
    draw = rng.random((n_series, checks_per_day))
    status_idx = np.select(
        [draw < 0.90, draw < 0.95, draw < 0.97], [0, 1, 2], 4
    ).ravel()  # OK WARNING UNKNOWN CRITICAL
    hosts, svcs, metrics = (
        np.repeat(np.array([x[k] for x in per_ep], dtype=object), checks_per_day) for k in range(3)
    )
    statuses = np.array(["OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL"], dtype=object)[
        status_idx
    ]
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(start) + pd.to_timedelta(seconds, unit="s"),
            "service": svcs,
            "hostname": hosts,
            "metric": metrics,
            "status": statuses,
            "monitoring_host": np.where(
                rng.random(len(seconds)) < 0.5, "mon1.example.org", "mon2.example.org"
            ),
        }
    )
    frame["timestamp"] = frame["timestamp"].astype("datetime64[s, UTC]")
    return frame


def connector_snapshots(
    fed: Federation,
    report: str,
    day: date,
    rng: np.random.Generator,
    services: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One day's snapshot of every connector kind, shaped like ARGO's connector output."""
    hosts = fed.endpoints.drop_duplicates(["service", "hostname"])
    picked = hosts.sample(n=min(3, len(hosts)), random_state=int(rng.integers(0, 2**31)))
    d0 = datetime.combine(day, time(), tzinfo=UTC)
    downtimes = [
        {
            "hostname": h,
            "service": s,
            "start_time": (d0 + timedelta(hours=int(rng.integers(-6, 20)))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "end_time": (d0 + timedelta(hours=int(rng.integers(21, 30)))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
        for s, h in zip(picked["service"], picked["hostname"], strict=True)
    ]
    return {
        "metric_profile": metric_profile(report, services),
        "aggregation_profile": aggregation_profile(report),
        "operations_profile": operations_profile(),
        "topology_endpoints": [
            {
                "date": day.isoformat(),
                "group": g,
                "type": "SITES",
                "service": s,
                "hostname": h,
                "tags": {"monitored": "1", "production": "1", "info_URL": f"https://{h}/"},
            }
            for g, s, h in fed.endpoints.itertuples(index=False)
        ],
        "topology_groups": [
            {"date": day.isoformat(), "group": ngi, "type": "NGI", "subgroup": site, "tags": {}}
            for site, ngi in sorted(fed.ngis.items())
        ],
        "downtimes": {"date": day.isoformat(), "name": report, "endpoints": downtimes},
        "weights": {
            "name": report,
            "weight_type": "hepspec",
            "groups": [{"name": s, "value": w} for s, w in sorted(fed.weights.items())],
        },
        "recomputations": [],
    }


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_tenant_files(
    root: Path,
    tenant: str,
    reports: list[str],
    days: list[date],
    seed: int,
    n_sites: int = 12,
    encoding: str = "json",
) -> dict[str, Any]:
    """Write metric files (JSON lines or Avro) and connector snapshot files for one tenant.

    Layout: ``<root>/<tenant>/mdata/YYYY-MM-DD/part-0000.{jsonl,avro}`` and
    ``<root>/<tenant>/connectors/<report>/<kind>/YYYY-MM-DD.json``. Returns a registry entry.
    """
    rng = np.random.default_rng(seed)
    fed = federation(tenant, n_sites, rng)
    for day in days:
        frame = metric_frame(fed, day, rng)
        records = [
            {
                "timestamp": _iso(r.timestamp),
                "service": r.service,
                "hostname": r.hostname,
                "metric": r.metric,
                "status": r.status,
                "monitoring_host": r.monitoring_host,
                "actual_data": None,
                "summary": f"{r.status} - check ran",
                "message": None,
                "tags": {"vo": "ops"},
            }
            for r in frame.itertuples(index=False)
        ]
        mdir = root / tenant / "mdata" / day.isoformat()
        mdir.mkdir(parents=True, exist_ok=True)
        if encoding == "avro":
            with open(mdir / "part-0000.avro", "wb") as handle:
                fastavro.writer(handle, METRIC_AVRO_SCHEMA, records)
        else:
            (mdir / "part-0000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        for report in reports:
            for kind, doc in connector_snapshots(fed, report, day, rng).items():
                path = root / tenant / "connectors" / report / kind / f"{day.isoformat()}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(doc, indent=1))
    return {
        "name": tenant,
        "reports": [{"name": r, "id": f"{r}-{tenant}".lower()} for r in reports],
        "sources": {
            "metric_data": {"kind": "files", "root": str(root), "encoding": encoding},
            "connectors": {"kind": "files", "root": str(root)},
        },
    }
