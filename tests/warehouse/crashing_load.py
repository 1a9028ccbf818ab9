"""Run the warehouse load (the snapshot, then each increment) in this process, killed with SIGKILL
at a chosen point: ``python -m tests.warehouse.crashing_load ROOT DSN POINT N``.

POINT is ``parquet`` (just before the N-th Parquet partition write), ``before_db`` (just before
the N-th database load) or ``after_db`` (just after the N-th database load commits, before Dagster
records it), or ``none``. The test in test_crash_recovery.py runs it and then re-runs cleanly.
"""

import os
import signal
import sys
from pathlib import Path

import dagster as dg
import pyarrow as pa

from resources.storage import LakeResource
from resources.warehouse_db import PostgresWarehouse
from tests.warehouse.world import build, load_everything

ROOT, DSN, POINT, NTH = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
_calls = {"parquet": 0, "before_db": 0, "after_db": 0}


def _maybe_die(point: str) -> None:
    if point != POINT:
        return
    _calls[point] += 1
    if _calls[point] == NTH:
        os.kill(os.getpid(), signal.SIGKILL)


class CrashingLake(LakeResource):
    def write_table(self, key: str, table: pa.Table, *args, **kwargs):  # noqa: ANN002, ANN003
        if "/created_date=" in key:
            _maybe_die("parquet")
        return super().write_table(key, table, *args, **kwargs)


class CrashingWarehouse(PostgresWarehouse):
    def load(self, table, rows, mode):  # noqa: ANN001
        _maybe_die("before_db")
        loaded = super().load(table, rows, mode)
        _maybe_die("after_db")
        return loaded


if __name__ == "__main__":
    defs = build(ROOT, lake=CrashingLake(root=str(ROOT / "lake")), warehouse_db=CrashingWarehouse(dsn=DSN))
    with dg.instance_for_test() as instance:
        results = load_everything(defs, instance)
    sys.exit(0 if all(r.success for r in results) else 3)
