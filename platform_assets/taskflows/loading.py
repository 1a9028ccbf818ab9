"""Finding and validating task-graph files. No Dagster import.

Layout of the configured directory: every ``tasks.json`` (the graph is named after its folder) or
``<name>.tasks.json`` (named ``<name>``) is a graph. ``config.json`` and the datasources file
(``datasources.json``, or ``oracle.json`` as the original runner calls it) are read from the tasks
file's folder, else from the top of the directory. A bad file is reported with its problem and the
other graphs still load. ``env`` may be a mapping or the runner's list of ``{key, value}``; values
expand ``$VARS`` from the environment, as the runner does.

A task depending on a task the file does not define (the runner's own README example has one) does
not refuse the graph: it and its dependents are marked not runnable, with the reason, and the rest
runs, as it did under the runner. Duplicate ids and cycles still refuse the file.
"""

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from platform_assets.taskflows.cron import is_valid_cron
from platform_assets.taskflows.spec import Connection, GraphSpec, GraphSpecError, TaskSpec
from platform_assets.taskflows.task_types import TASK_TYPES
from resources.model.secrets import flag_values, looks_secret

SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")  # matched whole (fullmatch): no trailing newline
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
COMMON_KEYS = {
    "id",
    "type",
    "depends",
    "retries",
    "retry_backoff_s",
    "timeout_s",
    "env",
    "description",
}


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GraphSpecError(str(path), f"{what} is not readable JSON ({exc})") from None


def _nearest(folder: Path, top: Path, name: str) -> Path | None:
    for candidate in (folder / name, top / name):
        if candidate.is_file():
            return candidate
    return None


def _connections(path: Path | None) -> dict[str, Connection]:
    if path is None:
        return {}
    raw = _read_json(path, "datasources file")
    if not isinstance(raw, dict) or not isinstance(raw.get("connections"), list):
        raise GraphSpecError(str(path), 'datasources file must be {"connections": [...]}')
    found = {}
    for entry in raw["connections"]:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("connection_string"), str)
        ):
            raise GraphSpecError(
                str(path),
                f"connection entries need name and connection_string, got {entry!r}"[:300],
            )
        found[entry["name"]] = Connection(
            entry["name"], entry["connection_string"], entry.get("user"), entry.get("password")
        )
    return found


def _env(file: str, tid: str | None, raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, list) and all(
        isinstance(e, dict) and isinstance(e.get("key"), str) for e in raw
    ):
        raw = {e["key"]: e.get("value", "") for e in raw}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise GraphSpecError(
            file, "env must map names to strings (or be a list of {key, value})", tid
        )
    return {k: os.path.expandvars(v) for k, v in raw.items()}


def _secrets_in(value: Any, where: str = "") -> Iterator[str]:
    """Where in a task's JSON a credential sits, at any depth: a secret-looking key with a value
    (``env.PGPASSWORD``, a conf ``{"key": "...secret.key", "value": ...}``), a value carrying one
    (a URL or DSN with a password, ``password=``), or a secret flag's value in an argument list."""
    if isinstance(value, dict):
        named = value.get("key") if isinstance(value.get("key"), str) else None
        if named is not None and looks_secret(named, value.get("value")):
            yield f"{where or 'field'} {named!r}"
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if looks_secret(str(key), item) and not isinstance(item, (dict, list)):
                yield f"field {path!r}"
            yield from _secrets_in(item, path)
    elif isinstance(value, list):
        strings = [v for v in value if isinstance(v, str)]
        if flag_values(strings):
            yield f"field {where!r} (a secret flag's value)"
        for index, item in enumerate(value):
            yield from _secrets_in(item, f"{where}[{index}]")
    elif isinstance(value, str) and looks_secret("", value):
        yield f"field {where!r}"


def _passthrough(file: str, raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(n, str) and VARIABLE_NAME.fullmatch(n) for n in raw
    ):
        raise GraphSpecError(
            file, f"env_passthrough must be a list of variable names, got {raw!r}"[:300]
        )
    return tuple(raw)


def _number(
    file: str, tid: str, raw: Mapping[str, Any], key: str, default: float | None, minimum: float
) -> Any:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise GraphSpecError(file, f"{key} must be a number >= {minimum:g}, got {value!r}", tid)
    return value


def _task(
    file: str, raw: Any, connections: Mapping[str, Connection], graph_env: Mapping[str, str]
) -> TaskSpec:
    if not isinstance(raw, dict):
        raise GraphSpecError(file, f"every task must be an object, got {type(raw).__name__}")
    tid = raw.get("id")
    if not isinstance(tid, str) or not SAFE_ID.fullmatch(tid):
        raise GraphSpecError(
            file, f"task id must be 1-100 letters, digits, '_' or '-', got {tid!r}"
        )
    kind = raw.get("type")
    if kind not in TASK_TYPES:
        raise GraphSpecError(
            file, f"unknown type {kind!r} (known: {', '.join(sorted(TASK_TYPES))})", tid
        )
    for where in _secrets_in(raw):
        raise GraphSpecError(
            file, f"{where} holds a secret: credentials belong in the datasources file", tid
        )
    task_type = TASK_TYPES[kind]
    fields = {k: v for k, v in raw.items() if k not in COMMON_KEYS}
    for name, rule in task_type.fields.items():
        if name not in fields or fields[name] is None:
            if rule.required:
                raise GraphSpecError(file, f"{kind} task needs field {name!r}", tid)
            continue
        if isinstance(fields[name], bool) or not isinstance(fields[name], rule.types):
            expected = " or ".join(t.__name__ for t in rule.types)
            raise GraphSpecError(
                file, f"field {name!r} must be {expected}, got {type(fields[name]).__name__}", tid
            )
    depends = raw.get("depends") or []
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise GraphSpecError(file, "depends must be a list of task ids", tid)
    env = {**graph_env, **_env(file, tid, raw.get("env"))}
    retries = raw.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
        raise GraphSpecError(file, f"retries must be a whole number 0-20, got {retries!r}", tid)
    spec = TaskSpec(
        tid,
        kind,
        tuple(depends),
        fields,
        retries,
        _number(file, tid, raw, "retry_backoff_s", 1.0, 0),
        _number(file, tid, raw, "timeout_s", None, 0.001),
        env,
        raw.get("description") if isinstance(raw.get("description"), str) else None,
    )
    problems = task_type.problems(spec, connections)
    if problems:
        raise GraphSpecError(file, "; ".join(problems), tid)
    return spec


def _not_runnable(tasks: list[TaskSpec]) -> dict[str, str]:
    """Task id -> why it cannot run: it depends on a task the file does not define, or on such a
    task, transitively. The original runner ran everything else; so does Weir."""
    ids = {t.id for t in tasks}
    reasons: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for task in tasks:
            if task.id in reasons:
                continue
            undefined = [d for d in task.depends if d not in ids]
            blocked = [d for d in task.depends if d in reasons]
            if undefined:
                reasons[task.id] = "depends on undefined task " + ", ".join(map(repr, undefined))
            elif blocked:
                reasons[task.id] = "depends on task " + ", ".join(map(repr, blocked))
                reasons[task.id] += " that cannot run"
            else:
                continue
            changed = True
    return reasons


def _check_graph(file: str, tasks: list[TaskSpec]) -> None:
    """Duplicate ids and cycles refuse the file: no order of its tasks is right."""
    ids: set[str] = set()
    for task in tasks:
        if task.id in ids:
            raise GraphSpecError(file, "duplicate task id", task.id)
        ids.add(task.id)
    parents = {t.id: tuple(d for d in t.depends if d in ids) for t in tasks}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(tid: str, path: list[str]) -> None:
        state[tid] = 1
        for dep in parents[tid]:
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [tid, dep] if dep in path else [tid, dep]
                raise GraphSpecError(file, "dependency cycle: " + " -> ".join(cycle), tid)
            if dep not in state:
                visit(dep, path + [tid])
        state[tid] = 2

    for task in tasks:
        if task.id not in state:
            visit(task.id, [])


def graph_name(path: Path) -> str:
    """``<folder>/tasks.json`` -> folder, ``<name>.tasks.json`` or ``<name>.json`` -> name."""
    if path.name == "tasks.json":
        stem = path.parent.name
    else:
        stem = path.name.removesuffix(".json").removesuffix(".tasks")
    return re.sub(r"[^A-Za-z0-9_]", "_", stem) or "graph"


CONFIG_KEYS = {"max_process_concurrency", "log_directory", "env", "env_passthrough"}
IGNORED_CONFIG_KEYS = {
    "check_new_config_interval": (
        "check_new_config_interval is ignored: the original runner polled for finished tasks "
        "every that many seconds; Weir starts a task the moment its dependencies succeed"
    ),
}


def _config_warnings(config_path: Path | None, config: Mapping[str, Any]) -> list[str]:
    warnings = [IGNORED_CONFIG_KEYS[k] for k in config if k in IGNORED_CONFIG_KEYS]
    unknown = sorted(k for k in config if k not in CONFIG_KEYS | IGNORED_CONFIG_KEYS.keys())
    if unknown:
        warnings.append(f"{config_path}: unknown key(s) ignored: {', '.join(unknown)}")
    return warnings


def load_graph(
    path: Path,
    top: Path | None = None,
    datasources: Path | None = None,
    config: Path | None = None,
) -> GraphSpec:
    """One tasks file. ``config.json`` and the datasources file are the ones given, else the
    nearest (the file's folder, then ``top``), as the runner's ``--datasources`` flag works."""
    file = str(path)
    top = top or path.parent
    config_path = config or _nearest(path.parent, top, "config.json")
    settings = _read_json(config_path, "config.json") if config_path else {}
    if not isinstance(settings, dict):
        raise GraphSpecError(str(config_path), "config.json must be an object")
    concurrency = settings.get("max_process_concurrency", 4)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise GraphSpecError(
            str(config_path),
            f"max_process_concurrency must be a whole number >= 1, got {concurrency!r}",
        )
    connections = _connections(
        datasources
        or _nearest(path.parent, top, "datasources.json")
        or _nearest(path.parent, top, "oracle.json")
    )
    graph_env = _env(str(config_path), None, settings.get("env"))
    raw = _read_json(path, "tasks file")
    if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), list) or not raw["tasks"]:
        raise GraphSpecError(file, 'tasks file must be {"tasks": [ ... ]} with at least one task')
    tasks = [_task(file, t, connections, graph_env) for t in raw["tasks"]]
    _check_graph(file, tasks)
    blocked = _not_runnable(tasks)
    tasks = [replace(t, not_runnable=blocked.get(t.id)) for t in tasks]
    schedule = raw.get("schedule")
    if schedule is not None and (not isinstance(schedule, str) or not is_valid_cron(schedule)):
        raise GraphSpecError(file, f"schedule must be a cron string, got {schedule!r}")
    log_dir = Path(str(settings.get("log_directory", "logs")))
    return GraphSpec(
        graph_name(path),
        file,
        tuple(tasks),
        concurrency,
        str(log_dir if log_dir.is_absolute() else path.parent / log_dir),
        schedule,
        raw.get("description") if isinstance(raw.get("description"), str) else None,
        connections,
        _passthrough(str(config_path), settings.get("env_passthrough")),
        tuple(_config_warnings(config_path, settings))
        + tuple(f"task {t}: not runnable, {why}" for t, why in blocked.items()),
    )


def load_graphs(directory: str | Path) -> tuple[list[GraphSpec], list[tuple[str, GraphSpecError]]]:
    """Every graph under ``directory``, and (graph name, error) for each file that is not
    acceptable."""
    top = Path(directory)
    if not top.is_dir():
        return [], []
    graphs, errors, seen = [], [], set()
    for path in sorted([*top.rglob("tasks.json"), *top.rglob("*.tasks.json")]):
        name = graph_name(path)
        try:
            if name in seen:
                raise GraphSpecError(
                    str(path), f"graph name {name!r} is used by another tasks file"
                )
            seen.add(name)
            graphs.append(load_graph(path, top))
        except GraphSpecError as exc:
            errors.append((name, exc))
    return graphs, errors
