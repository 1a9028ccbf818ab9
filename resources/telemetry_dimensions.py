"""Dimension tables for telemetry denormalization: device, user, content, dialcode.

PostgreSQL (``dsn``): schema ``telemetry_dims``, one table per kind ``(id text primary key, data
jsonb)``, looked up in one parameterized ``= ANY(%s)`` query per kind and batch. Embedded default
(``root``): ``<root>/<kind>.json`` files mapping id -> row. ``load`` fills either (tests, demo,
or a nightly sync from the systems of record).
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

KINDS = ("device", "user", "content", "dialcode")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown dimension {kind!r}; known: {', '.join(KINDS)}")
    return kind


class DimensionsResource(dg.ConfigurableResource):
    dsn: str = ""  # PostgreSQL; empty: the files under ``root``
    root: str = ""

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, connect_timeout=10)

    def create_tables(self) -> None:
        with self._connect() as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS telemetry_dims")
            for kind in KINDS:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS telemetry_dims.{kind} "
                    "(id text PRIMARY KEY, data jsonb NOT NULL)"
                )

    def load(self, kind: str, rows: Mapping[str, Mapping[str, Any]]) -> None:
        """Insert or replace rows ``{id: row}`` of one kind."""
        kind = _kind(kind)
        if not self.dsn:
            path = Path(self.root) / f"{kind}.json"
            current = json.loads(path.read_text()) if path.exists() else {}
            current.update({k: dict(v) for k, v in rows.items()})
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(current, ensure_ascii=False))
            return
        self.create_tables()
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO telemetry_dims.{kind} (id, data) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data",
                [(key, Jsonb(dict(row))) for key, row in rows.items()],
            )

    def lookup(self, kind: str, keys: list[str]) -> dict[str, dict[str, Any]]:
        kind = _kind(kind)
        if not keys:
            return {}
        if not self.dsn:
            path = Path(self.root) / f"{kind}.json"
            table = json.loads(path.read_text()) if path.exists() else {}
            return {k: table[k] for k in keys if k in table}
        with self._connect() as conn:
            found = conn.execute("SELECT to_regclass(%s)", (f"telemetry_dims.{kind}",)).fetchone()
            assert found is not None  # a SELECT without FROM returns one row
            exists = found[0]
            if exists is None:
                return {}
            rows = conn.execute(
                f"SELECT id, data FROM telemetry_dims.{kind} WHERE id = ANY(%s)", (keys,)
            ).fetchall()
        return {key: data for key, data in rows}
