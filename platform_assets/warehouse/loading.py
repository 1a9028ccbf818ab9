"""From unload parts to per-day tables. No Dagster import."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.warehouse.unload import QUARANTINE_SCHEMA, format_rows, read_unload
from resources.model.tables import Table


class TooManyBadLines(ValueError):
    """A source had more bad lines than the configured share allows."""


class NoSource(ValueError):
    """A day has no unload files: never loaded as an empty day."""


@dataclass
class Loaded:
    table: pa.Table
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    files: list[str] = field(default_factory=list)

    def quarantine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.quarantine, schema=QUARANTINE_SCHEMA)


def load_parts(
    table: Table, parts: Iterable[tuple[str, bytes]], max_bad_share: float, what: str
) -> Loaded:
    """Parse unload parts; fail when the bad-line share of ``what`` exceeds ``max_bad_share``."""
    tables, loaded = [], Loaded(table.schema().empty_table())
    for name, payload in parts:
        parsed = read_unload(payload, table, name)
        refused = refused_rows(table, parsed.table)
        if refused:
            keep = np.ones(parsed.table.num_rows, dtype=bool)
            rows = parsed.table.take(pa.array(sorted(refused))).to_pylist()
            for (row, reason), values in zip(sorted(refused.items()), rows, strict=True):
                keep[row] = False
                line = format_rows([list(values.values())]).decode("utf-8").rstrip("\n")
                loaded.quarantine.append(
                    {
                        "table": table.name,
                        "file": name,
                        "line": int(parsed.lines[row]),
                        "reason": reason,
                        "text": line[:500],
                    }
                )
            parsed.table = parsed.table.filter(pa.array(keep))
        tables.append(parsed.table)
        loaded.quarantine.extend(parsed.quarantine)
        loaded.records += parsed.records
        loaded.files.append(name)
    if tables:
        loaded.table = pa.concat_tables(tables)
    share = len(loaded.quarantine) / loaded.records if loaded.records else 0.0
    if share > max_bad_share:
        raise TooManyBadLines(
            f"{table.name} {what}: {len(loaded.quarantine)} of {loaded.records} lines are bad "
            f"({share:.2%}, allowed {max_bad_share:.2%}); see the quarantine file"
        )
    return loaded


def refused_rows(table: Table, rows: pa.Table) -> dict[int, str]:
    """Rows of one file that no database would take as they are, with the reason: a NULL partition
    column or primary key, or a primary key that appears more than once in the file (its copies
    kept once when they are identical, all refused when they differ: which is newer is unknown)."""
    refused: dict[int, str] = {}
    partition = rows.column(table.partition_column)
    for row in np.flatnonzero(pc.is_null(partition).to_numpy(zero_copy_only=False)):
        refused[int(row)] = f"NULL partition column {table.partition_column}"
    for name in table.primary_key:
        for row in np.flatnonzero(pc.is_null(rows.column(name)).to_numpy(zero_copy_only=False)):
            refused.setdefault(int(row), f"NULL primary key column {name}")
    key = list(table.primary_key)
    indexed = rows.append_column("__row", pa.array(np.arange(rows.num_rows), pa.int64()))
    counts = indexed.group_by(key, use_threads=False).aggregate([("__row", "count")])
    repeated = counts.filter(pc.greater(counts.column("__row_count"), 1))
    if repeated.num_rows == 0:
        return refused
    copies = indexed.join(repeated.select(key), keys=key, join_type="inner").to_pylist()
    groups: dict[tuple, list[dict]] = {}
    for copy in copies:
        groups.setdefault(tuple(copy[k] for k in key), []).append(copy)
    for values, group in groups.items():
        group.sort(key=lambda c: c["__row"])
        bodies = [{k: v for k, v in c.items() if k != "__row"} for c in group]
        identical = all(b == bodies[0] for b in bodies)
        for position, copy in enumerate(group):
            if identical and position == 0:
                continue
            refused.setdefault(
                copy["__row"],
                f"primary key {values} repeated in the file"
                + (" (an identical copy is kept)" if identical else " with different values"),
            )
    return refused


def latest_by_key(table: pa.Table, key: list[str]) -> pa.Table:
    """One row per primary key; a later row (an increment after the snapshot) wins."""
    if table.num_rows == 0:
        return table
    indexed = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
    last = indexed.group_by(key, use_threads=False).aggregate([("__row", "max")])
    keep = pc.is_in(indexed.column("__row"), value_set=last.column("__row_max"))
    return indexed.filter(keep).drop_columns(["__row"])


def split_by_day(table: pa.Table, column: str, days: Iterable[date]) -> dict[date, pa.Table]:
    """Rows of each requested day (sorted by all columns' first key for stable bytes)."""
    out = {}
    values = table.column(column)
    for day in days:
        part = table.filter(pc.equal(values, pa.scalar(day, pa.date32())))
        out[day] = part.sort_by([(table.schema.names[0], "ascending")]) if part.num_rows else part
    return out


def rows_by_day(table: pa.Table, column: str) -> dict[date, int]:
    counts = table.group_by(column).aggregate([([], "count_all")]).to_pylist()
    return {row[column]: row["count_all"] for row in counts}
