"""The warehouse table catalog: what each unloaded table looks like. No Dagster import."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from platform_assets.tenancy import validate_name

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
ARROW_TYPES = {
    "int64": pa.int64(), "int32": pa.int32(), "float64": pa.float64(), "string": pa.string(),
    "bool": pa.bool_(), "date": pa.date32(),
}
POSTGRES_TYPES = {
    "int64": "BIGINT", "int32": "INTEGER", "float64": "DOUBLE PRECISION", "string": "TEXT", "bool": "BOOLEAN",
    "date": "DATE",
}


class CatalogError(ValueError):
    """The catalog file does not describe a usable table."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    utc: bool = False

    def arrow_type(self) -> pa.DataType:
        if self.type == "timestamp":
            return pa.timestamp("us", tz="UTC" if self.utc else None)
        return ARROW_TYPES[self.type]

    def postgres_type(self) -> str:
        if self.type == "timestamp":
            return "TIMESTAMPTZ" if self.utc else "TIMESTAMP"
        return POSTGRES_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    partition_column: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.arrow_type()) for c in self.columns])


def _table(name: str, raw: dict[str, Any]) -> Table:
    validate_name(name, "table")
    try:
        utc = set(raw.get("utc_timestamps", []))
        columns = tuple(Column(validate_name(c["name"], f"{name} column"), c["type"], c["name"] in utc)
                        for c in raw["columns"])
        table = Table(name, columns, tuple(raw["primary_key"]), raw["partition_column"])
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"table {name!r}: malformed catalog entry ({exc!r})") from None
    unknown = [c.type for c in columns if c.type not in ARROW_TYPES and c.type != "timestamp"]
    missing = [k for k in (*table.primary_key, table.partition_column) if k not in table.names]
    if unknown or missing or not utc <= set(table.names):
        raise CatalogError(f"table {name!r}: unknown types {unknown}, unknown key columns {missing}, "
                           f"or utc_timestamps not among its columns")
    return table


def load_catalog(path: Path = CATALOG_PATH) -> dict[str, Table]:
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise CatalogError(f"{path}: expected a mapping with 'tables'")
    return {name: _table(name, entry) for name, entry in raw["tables"].items()}
