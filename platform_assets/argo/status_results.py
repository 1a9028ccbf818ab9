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

import json
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

STATUS_LEVELS = ("status_endpoints", "status_services", "status_endpoint_groups")
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
_CLOCK: np.ndarray | None = None


def _clock() -> np.ndarray:
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
        lookup = {}
        if info is not None and "info" in info:
            lookup = {
                (g, s, h): i
                for g, s, h, i in info[["group", "service", "hostname", "info"]].itertuples(
                    index=False
                )
                if isinstance(i, str) and i
            }
        out["info"] = [
            lookup.get(k)
            for k in zip(out["endpoint_group"], out["service"], out["host"], strict=True)
        ]
    out["status"] = np.asarray(states, dtype=object)[rows["status"].to_numpy(dtype=np.int64)]
    out["timestamp"] = f"{day.isoformat()}T" + _clock()[rows["t"].to_numpy(dtype=np.int64)] + "Z"
    out["date_integer"] = int(day.strftime("%Y%m%d"))
    out["has_threshold_rule"] = rows["has_threshold_rule"].to_numpy(dtype=bool)
    return out


def documents(table: pd.DataFrame) -> list[dict]:
    """Rows as MongoDB documents: ``info`` a sub-document where there is one, else left out."""
    docs = table.to_dict("records")
    for doc in docs:
        if "info" in doc:
            info = doc.pop("info")
            if isinstance(info, str) and info:
                doc["info"] = json.loads(info)
    return docs
