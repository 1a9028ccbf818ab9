"""Whether a string is a cron schedule Dagster accepts: five fields (minute, hour, day of month,
month, day of week) of ``*``, numbers, ranges, steps and lists, month and weekday names, or one
of the ``@hourly`` / ``@daily`` / ``@weekly`` / ``@monthly`` shorthands. No Dagster import."""

import re

SHORTHANDS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly"})
_NAMES = {
    3: ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    4: ("sun", "mon", "tue", "wed", "thu", "fri", "sat"),
}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_ITEM = re.compile(r"(\*|(?P<low>\w+)(-(?P<high>\w+))?)(/(?P<step>\d+))?")


def _value(text: str, field: int) -> int | None:
    if text.isdigit():
        return int(text)
    names = _NAMES.get(field, ())
    return names.index(text.lower()) + (1 if field == 3 else 0) if text.lower() in names else None


def _item_ok(item: str, field: int) -> bool:
    match = _ITEM.fullmatch(item)
    if match is None or match["step"] == "0":
        return False
    low, high = _BOUNDS[field]
    ends = [_value(match[name], field) for name in ("low", "high") if match[name] is not None]
    return all(v is not None and low <= v <= high for v in ends)


def is_valid_cron(schedule: str) -> bool:
    if schedule.strip() in SHORTHANDS:
        return True
    fields = schedule.split()
    return len(fields) == 5 and all(
        all(_item_ok(item, index) for item in field.split(","))
        for index, field in enumerate(fields)
    )
