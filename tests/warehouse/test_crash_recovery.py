"""kill -9 at several points of the warehouse load, then a re-run: the lake and the database end
row for row as after a clean run (nothing lost, nothing doubled)."""

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from platform_assets.warehouse.catalog import load_catalog
from resources.storage import LakeResource
from tests.conftest import fresh_database
from tests.warehouse.world import write_world

ROOT = Path(__file__).resolve().parents[2]
TABLES = load_catalog()


def _load(root: Path, dsn: str, point: str = "none", nth: int = 0) -> int:
    return subprocess.run([sys.executable, "-m", "tests.warehouse.crashing_load", str(root), dsn, point, str(nth)],
                          cwd=ROOT, capture_output=True, timeout=600).returncode


def _state(root: Path, dsn: str) -> dict:
    lake = LakeResource(root=str(root / "lake"))
    state = {}
    for name, table in TABLES.items():
        rows = []
        for key in sorted(lake.list(f"warehouse/{name}/")):
            if key.endswith(".parquet"):
                rows += lake.read_table(key).to_pylist()
        state[f"lake/{name}"] = sorted(rows, key=repr)
        order = ", ".join(table.primary_key)
        with psycopg.connect(dsn) as conn:
            state[f"db/{name}"] = conn.execute(f"SELECT * FROM warehouse.{name} ORDER BY {order}").fetchall()
    return state


@pytest.fixture(scope="module")
def clean_state(tmp_path_factory):
    """What a load never interrupted leaves, computed once for every kill point."""
    root = tmp_path_factory.mktemp("clean")
    write_world(root)
    with fresh_database() as dsn:
        assert _load(root, dsn) == 0
        return _state(root, dsn)


@pytest.mark.parametrize(("point", "nth"), [("parquet", 20), ("parquet", 170), ("before_db", 3),
                                            ("after_db", 8)])
def test_a_killed_load_rerun_ends_as_a_clean_load(tmp_path, pg_dsn, clean_state, point, nth):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS warehouse CASCADE")  # the database the clean run filled
    write_world(tmp_path)
    assert _load(tmp_path, pg_dsn, point, nth) == -9  # killed where asked
    assert _load(tmp_path, pg_dsn) == 0
    assert _state(tmp_path, pg_dsn) == clean_state
    shutil.rmtree(tmp_path / "lake")
