"""The first day of a slice's partitions: a fixed date, or a number of days back, pinned.

A fresh deployment should not greet its users with two years of empty partitions ("0 % filled",
and "Materialize all" offering every one of them), so the ARGO and telemetry slices default to
``-30d``: 30 days before the deployment first loaded. That day is pinned in the Dagster instance's
key-value store the first time a process of the deployment loads the code location, and every
process after that (code server, daemon, run workers, the next release) reads the same day. A start
that moved with the clock would give the code server and a run worker started a day later two
different partition sets, and a run or backfill of a day in one but not the other would fail.
Without an instance (``DAGSTER_HOME`` unset: a unit test, ``dg check defs``) the day is computed and
not pinned. A deployment that keeps its history names the day instead (``2024-01-01``).
"""

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

RECENT = "-30d"
_DAYS_BACK = re.compile(r"-(\d{1,5})d")
PIN_PREFIX = "weir/partitions_start"


class StartDateError(ValueError):
    """A start date that is neither YYYY-MM-DD nor -<N>d."""


def resolve_start(value: str, variable: str, today: date | None = None) -> str:
    """``value`` as a YYYY-MM-DD day: itself when it is one, ``today`` (UTC) minus N days for
    ``-<N>d``; anything else is refused naming ``variable``."""
    back = _DAYS_BACK.fullmatch(value.strip())
    if back:
        base = today or datetime.now(UTC).date()
        return (base - timedelta(days=int(back.group(1)))).isoformat()
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise StartDateError(
            f"{variable} {value!r} is neither a YYYY-MM-DD date nor a number of days back "
            "such as -30d"
        ) from None


def pinned_start(value: str, variable: str, env: Mapping[str, str] = os.environ) -> str:
    """``value`` resolved once per deployment: a relative start is resolved the first time and
    remembered in the instance (``env``'s ``DAGSTER_HOME``) under the variable and the value, so
    that changing the setting starts a new pin."""
    day = resolve_start(value, variable)
    if not _DAYS_BACK.fullmatch(value.strip()) or not env.get("DAGSTER_HOME"):
        return day
    import dagster as dg

    key = f"{PIN_PREFIX}/{variable}/{value.strip()}"
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        pinned = instance.run_storage.get_cursor_values({key}).get(key)
        if pinned:
            return resolve_start(pinned, variable)
        instance.run_storage.set_cursor_values({key: day})
    return day
