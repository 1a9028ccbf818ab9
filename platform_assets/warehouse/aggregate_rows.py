"""An aggregate file's rows as its database table holds them (catalog.yaml ``aggregates``). No
Dagster import.

The kernels keep time as integer microseconds (``hour_start_us``); the database and Athena tables
hold UTC timestamps (``hour_start``). Every other column is cast to the catalog's type, so a kernel
that changes a column's type fails here, by name, instead of loading something else.
"""

import pyarrow as pa

from resources.model.tables import Table


class AggregateShapeError(ValueError):
    """An aggregate file does not have the columns its catalog entry declares."""


def database_rows(table: Table, part: pa.Table) -> pa.Table:
    columns = []
    for column in table.columns:
        source = f"{column.name}_us" if column.type == "timestamp" else column.name
        if source not in part.column_names:
            raise AggregateShapeError(
                f"{table.name}: the aggregate file has no column {source!r} "
                f"(it has {', '.join(part.column_names)})"
            )
        values = part.column(source)
        if column.type == "timestamp":
            values = values.cast(pa.int64()).cast(column.arrow_type())
        else:
            try:
                values = values.cast(column.arrow_type())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise AggregateShapeError(
                    f"{table.name}.{column.name}: {values.type} does not cast to "
                    f"{column.arrow_type()} ({exc})"
                ) from None
        columns.append(values)
    return pa.Table.from_arrays(columns, schema=table.schema())
