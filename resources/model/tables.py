"""A table's schema as plain data: columns with their Arrow and PostgreSQL types, primary key and
partition column. The warehouse slice reads them from its catalog.yaml; the warehouse database and
table catalog resources create and register tables from them."""

from dataclasses import dataclass

import pyarrow as pa

ARROW_TYPES = {
    "int64": pa.int64(),
    "int32": pa.int32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
POSTGRES_TYPES = {
    "int64": "BIGINT",
    "int32": "INTEGER",
    "float64": "DOUBLE PRECISION",
    "string": "TEXT",
    "bool": "BOOLEAN",
    "date": "DATE",
}

# Glue / Athena (Hive) column types: what the catalog registers and the Athena DDL declares
GLUE_TYPES = {
    "int64": "bigint",
    "int32": "int",
    "float64": "double",
    "string": "string",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    utc: bool = False

    def arrow_type(self) -> pa.DataType:
        if self.type == "timestamp":
            return pa.timestamp("us", tz="UTC" if self.utc else None)
        return ARROW_TYPES[self.type]

    def glue_type(self) -> str:
        return GLUE_TYPES[self.type]

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
