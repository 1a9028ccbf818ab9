"""The first day of a slice's partitions: a fixed date, or a number of days back.

A fresh deployment should not greet its users with two years of empty partitions ("0 % filled",
and "Materialize all" offering every one of them), so the ARGO and telemetry slices default to
``-30d``: 30 days before the day the code location loads. A deployment that keeps its history
pins the day instead (``WEIR_START_DATE=2024-01-01``): with a relative start, days that fall out
of the window leave the partition set (their data stays where it is).
"""

import re
from datetime import UTC, date, datetime, timedelta

RECENT = "-30d"
_DAYS_BACK = re.compile(r"-(\d{1,5})d")


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
