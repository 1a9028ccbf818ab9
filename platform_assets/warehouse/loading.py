"""From unload parts to per-day tables. No Dagster import."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.warehouse.unload import QUARANTINE_SCHEMA, read_unload
from resources.model.tables import Table


class TooManyBadLines(ValueError):
    """A source had more bad lines than the configured share allows."""


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
