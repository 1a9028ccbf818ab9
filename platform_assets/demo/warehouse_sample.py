"""Sample Redshift unloads of the workplace-analytics warehouse, with every escape case.

Companies have spaces (capacity, IANA timezone) and people; people check in and out of spaces
(sessions that cross hour boundaries and UTC midnight), sensors report people counts. Names and
e-mails carry '|', '"', backslashes, newlines, a literal '\\N', empty strings next to NULLs and
unicode. Writes ``<landing>/csv/<table>/snapshot/...`` for the days before ``incremental_from`` and
``<landing>/csv/<table>/incremental/YYYY-MM-DD/...`` (with a manifest) for the rest.
No Dagster import.
"""

import gzip
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from platform_assets.warehouse.catalog import load_catalog
from platform_assets.warehouse.unload import format_rows
from resources.model.tables import Table

TIMEZONES = ["Europe/Amsterdam", "America/Los_Angeles", "Asia/Tokyo", "UTC", "Australia/Sydney"]
AWKWARD_NAMES = [
    "Pipe | Partners",
    'Quote "Q" Ltd',
    "Back\\slash BV",
    "Two\nLines Inc",
    "\\N",
    "Ünïcödé 日本 ✓",
    "",
]


def _company_rows(n: int, first_day: date) -> list[list[Any]]:
    rows = []
    for i in range(n):
        created = datetime.combine(first_day - timedelta(days=30), time(9), tzinfo=UTC)
        name = AWKWARD_NAMES[i] if i < len(AWKWARD_NAMES) else f"Company {i}"
        rows.append(
            [
                i + 1,
                name,
                None if i % 4 == 3 else ("" if i % 4 == 2 else "tech"),
                i % 9 != 8,
                created,
                created.date(),
            ]
        )
    return rows


def generate_events(
    companies: int,
    days: list[date],
    rng: np.random.Generator,
    people_per_company: int = 12,
    spaces_per_company: int = 3,
) -> dict[str, list[list[Any]]]:
    """Rows for every table (lists in catalog column order)."""
    first = days[0]
    tables: dict[str, list[list[Any]]] = {
        "dim_company": _company_rows(companies, first),
        "dim_space": [],
        "dim_person": [],
        "dim_calendar": [],
        "fact_space_event": [],
    }
    created = datetime.combine(first - timedelta(days=30), time(9), tzinfo=UTC)
    spaces: dict[int, list[int]] = {}
    people: dict[int, list[int]] = {}
    for c in range(1, companies + 1):
        for s in range(spaces_per_company):
            sid = c * 100 + s
            spaces.setdefault(c, []).append(sid)
            tables["dim_space"].append(
                [
                    sid,
                    c,
                    f'Room {s} | floor "{s}"',
                    int(rng.integers(4, 40)),
                    TIMEZONES[(c + s) % len(TIMEZONES)],
                    created,
                    created.date(),
                ]
            )
        for p in range(people_per_company):
            pid = c * 1000 + p
            people.setdefault(c, []).append(pid)
            email = None if p % 7 == 5 else ("" if p % 7 == 6 else f"p{pid}@example.org")
            tables["dim_person"].append(
                [
                    pid,
                    c,
                    f"Person {pid}" + ("\nsecond line" if p % 11 == 0 else ""),
                    email,
                    created,
                    created.date(),
                ]
            )
    event_id = 1
    for day in days:
        iso = day.isocalendar()
        tables["dim_calendar"].append([day, iso.week, iso.weekday, day.weekday() >= 5, day])
        start = datetime.combine(day, time(), tzinfo=UTC)
        for c in range(1, companies + 1):
            for pid in people[c]:
                if rng.random() < 0.3:
                    continue
                sid = spaces[c][int(rng.integers(0, len(spaces[c])))]
                t_in = start + timedelta(seconds=int(rng.integers(0, 86_400 - 600)))
                stay = timedelta(seconds=int(rng.integers(600, 5 * 3600)))
                tables["fact_space_event"].append(
                    [event_id, sid, c, pid, "checkin", t_in, 1, t_in.date()]
                )
                event_id += 1
                t_out = t_in + stay
                if rng.random() > 0.05 and t_out.date() == day:  # some people never check out
                    tables["fact_space_event"].append(
                        [event_id, sid, c, pid, "checkout", t_out, 1, t_out.date()]
                    )
                    event_id += 1
            for sid in spaces[c]:
                for hour in range(0, 24, 2):
                    ts = start + timedelta(hours=hour, minutes=int(rng.integers(0, 60)))
                    tables["fact_space_event"].append(
                        [event_id, sid, c, None, "sensor", ts, int(rng.integers(0, 20)), ts.date()]
                    )
                    event_id += 1
    return tables


def write_unloads(
    landing: Path,
    tables: dict[str, list[list[Any]]],
    incremental_from: date,
    catalog: dict[str, Table] | None = None,
    parts: int = 2,
) -> dict[str, int]:
    """Write snapshot parts (created before ``incremental_from``) and daily increments; returns
    the number of rows written per table. Like a daily UNLOAD job, every day from
    ``incremental_from`` to the data's last day gets its folder, with an empty part and a manifest
    counting 0 on a day without rows (a missing folder means the unload did not run)."""
    catalog = catalog or load_catalog()
    counts = {}
    last = max(
        (
            r[catalog[n].names.index(catalog[n].partition_column)]
            for n, rs in tables.items()
            for r in rs
        ),
        default=incremental_from,
    )
    days = [incremental_from + timedelta(days=i) for i in range((last - incremental_from).days + 1)]
    for name, rows in tables.items():
        table = catalog[name]
        pcol = table.names.index(table.partition_column)
        snapshot = [r for r in rows if r[pcol] < incremental_from]
        folder = landing / "csv" / name / "snapshot"
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(parts):
            chunk = format_rows(snapshot[k::parts])
            path = folder / (f"{name}_{k:04d}_part_00" + (".gz" if k % 2 else ""))
            path.write_bytes(gzip.compress(chunk) if k % 2 else chunk)
        for day in days:
            day_rows = [r for r in rows if r[pcol] == day]
            folder = landing / "csv" / name / "incremental" / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            payload = format_rows(day_rows)
            part = folder / f"{name}_0000_part_00.gz"
            part.write_bytes(gzip.compress(payload))
            manifest = {
                "entries": [
                    {
                        "url": f"s3://unload/{name}/{day}/{part.name}",
                        "mandatory": True,
                        "meta": {"content_length": len(payload), "record_count": len(day_rows)},
                    }
                ],
                "meta": {"content_length": len(payload), "record_count": len(day_rows)},
            }
            (folder / "manifest").write_text(json.dumps(manifest))
        counts[name] = len(rows)
    return counts
