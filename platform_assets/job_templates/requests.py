"""The job-template runner's request, validated, and each parameter set merged with the store's
template parameters. No Dagster import.

A request is the original service's payload: ``{user-id, user-run-id, source-type, target-type,
runtime-parameters: [ {...}, ... ]}``. Every parameter set becomes one template instance. The
store's static parameters fill keys the caller did not give; connection ids are the administrator's:
a set that names a connection key is refused.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_SETS = 500
MAX_KEYS_PER_SET = 200
MAX_VALUE_CHARS = 4096
MAX_ID_CHARS = 128
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")  # matched whole (fullmatch)
TYPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class RequestError(ValueError):
    """The request is not acceptable; the message says which field and why (answered with 4xx)."""


@dataclass(frozen=True)
class TemplateRequest:
    user_id: str
    user_run_id: str
    source_type: str
    target_type: str
    parameter_sets: tuple[Mapping[str, Any], ...]


def _text(payload: Mapping[str, Any], field: str, pattern: re.Pattern[str] | None = None) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"{field}: required, a non-empty string")
    if len(value) > MAX_ID_CHARS:
        raise RequestError(f"{field}: at most {MAX_ID_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):  # a newline, NUL, escape ...
        raise RequestError(f"{field}: control characters are not allowed")
    if pattern is not None and not pattern.fullmatch(value):
        raise RequestError(f"{field}: only letters, digits, '_' and '-' are allowed")
    return value


def _parameter_set(index: int, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise RequestError(f"runtime-parameters[{index}]: must be a non-empty object")
    if len(raw) > MAX_KEYS_PER_SET:
        raise RequestError(f"runtime-parameters[{index}]: at most {MAX_KEYS_PER_SET} keys")
    for key, value in raw.items():
        if not KEY.fullmatch(key):
            raise RequestError(
                f"runtime-parameters[{index}]: key {key[:40]!r} is not a parameter name"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (str, int, float))
            and value is not None
        ):
            raise RequestError(
                f"runtime-parameters[{index}].{key}: must be a string, number or null"
            )
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            raise RequestError(
                f"runtime-parameters[{index}].{key}: at most {MAX_VALUE_CHARS} characters"
            )
    return dict(raw)


def parse_request(payload: Any) -> TemplateRequest:
    """The request, or RequestError naming the first problem."""
    if not isinstance(payload, dict):
        raise RequestError("the body must be a JSON object")
    sets = payload.get("runtime-parameters")
    if not isinstance(sets, list) or not sets:
        raise RequestError("runtime-parameters: required, a non-empty list of objects")
    if len(sets) > MAX_SETS:
        raise RequestError(f"runtime-parameters: at most {MAX_SETS} sets per request")
    return TemplateRequest(
        _text(payload, "user-id"),
        _text(payload, "user-run-id"),
        _text(payload, "source-type", TYPE),
        _text(payload, "target-type", TYPE),
        tuple(_parameter_set(i, s) for i, s in enumerate(sets)),
    )


def merge_parameters(
    caller: Mapping[str, Any], static: Mapping[str, Any], connections: Mapping[str, Any]
) -> dict[str, Any]:
    """One instance's runtime parameters: static defaults, then the caller's, then connection
    ids."""
    taken = sorted(set(caller) & set(connections))
    if taken:
        raise RequestError(
            f"runtime parameters {', '.join(taken)} are connections set by the administrator"
        )
    return {**static, **caller, **connections}
