"""The warehouse table catalog: what each unloaded table looks like. No Dagster import."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from resources.model.tables import ARROW_TYPES, Column, Table
from resources.model.tenancy import validate_name

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")


class CatalogError(ValueError):
    """The catalog file does not describe a usable table."""


@dataclass(frozen=True)
class CompletenessRule:
    """A table's ``completeness`` entry: the share of expected rows and of active entities a day
    must hold (see catalog.yaml), and where the entities are."""

    min_share: float
    entities_table: str
    entities_key: str
    entities_active: str


def _table(name: str, raw: dict[str, Any]) -> Table:
    validate_name(name, "table")
    try:
        utc = set(raw.get("utc_timestamps", []))
        columns = tuple(
            Column(validate_name(c["name"], f"{name} column"), c["type"], c["name"] in utc)
            for c in raw["columns"]
        )
        table = Table(name, columns, tuple(raw["primary_key"]), raw["partition_column"])
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"table {name!r}: malformed catalog entry ({exc!r})") from None
    unknown = [c.type for c in columns if c.type not in ARROW_TYPES and c.type != "timestamp"]
    missing = [k for k in (*table.primary_key, table.partition_column) if k not in table.names]
    if unknown or missing or not utc <= set(table.names):
        raise CatalogError(
            f"table {name!r}: unknown types {unknown}, unknown key columns {missing}, "
            f"or utc_timestamps not among its columns"
        )
    return table


def load_catalog(path: Path = CATALOG_PATH) -> dict[str, Table]:
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise CatalogError(f"{path}: expected a mapping with 'tables'")
    return {name: _table(name, entry) for name, entry in raw["tables"].items()}


def load_aggregates(path: Path = CATALOG_PATH) -> dict[str, Table]:
    """The aggregates' database tables (catalog.yaml ``aggregates``): what the aggregate files
    become in the warehouse database and in Athena."""
    raw = yaml.safe_load(path.read_text())
    entries = raw.get("aggregates") if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        raise CatalogError(f"{path}: expected a mapping 'aggregates'")
    return {name: _table(name, entry) for name, entry in entries.items()}


def _completeness(name: str, raw: dict[str, Any], tables: dict[str, Table]) -> CompletenessRule:
    try:
        entities = raw["entities"]
        rule = CompletenessRule(
            float(raw["min_share"]), entities["table"], entities["key"], entities["active"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"table {name!r}: malformed completeness entry ({exc!r})") from None
    target = tables.get(rule.entities_table)
    if (
        not 0 < rule.min_share <= 1
        or target is None
        or not {rule.entities_key, rule.entities_active} <= set(target.names)
        or rule.entities_key not in tables[name].names
    ):
        raise CatalogError(
            f"table {name!r}: completeness needs 0 < min_share <= 1 and an entities table of "
            f"the catalog holding its key and active columns (key also in {name!r})"
        )
    return rule


def load_completeness_rules(path: Path = CATALOG_PATH) -> dict[str, CompletenessRule]:
    """The tables that declare a ``completeness`` rule, with their rule."""
    tables = load_catalog(path)
    raw = yaml.safe_load(path.read_text())["tables"]
    return {
        name: _completeness(name, entry["completeness"], tables)
        for name, entry in raw.items()
        if isinstance(entry, dict) and "completeness" in entry
    }
