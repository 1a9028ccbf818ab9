"""Where warehouse inputs and outputs live (landing for unloads, lake for Parquet)."""

from datetime import date

from resources.model.tenancy import validate_name


def unload_snapshot(table: str) -> str:
    return f"csv/{validate_name(table, 'table')}/snapshot"


def unload_incremental(table: str) -> str:
    return f"csv/{validate_name(table, 'table')}/incremental"


def partition_file(table: str, day: date) -> str:
    return (
        f"warehouse/{validate_name(table, 'table')}/created_date={day.isoformat()}/part-0.parquet"
    )


def quarantine_file(table: str, first: date, last: date) -> str:
    return (
        f"warehouse_quarantine/{validate_name(table, 'table')}/"
        f"{first.isoformat()}_{last.isoformat()}.parquet"
    )


def aggregate_file(name: str, partition: str) -> str:
    return f"warehouse/{validate_name(name, 'aggregate')}/{partition.replace(':', '')}.parquet"


def incomplete_marker(table: str, day: date) -> str:
    """Present while a day of ``table`` failed source_completeness: aggregates refuse to read that
    day."""
    return f"warehouse/{validate_name(table, 'table')}_incomplete/{day.isoformat()}.json"


def rewrites_file(table: str, day: date) -> str:
    """Earlier (or later) days whose partitions the run ending on ``day`` rewrote: its database
    load upserts them too."""
    return f"warehouse/{validate_name(table, 'table')}_rewrites/{day.isoformat()}.json"
