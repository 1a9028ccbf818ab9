"""Writing task-graph folders for tests, and a bash step that records when it ran."""

import json
from pathlib import Path
from typing import Any


def recorder(folder: Path, task_id: str, seconds: float = 0.3, exit_code: int = 0) -> str:
    """A command that appends '<id> start|end <epoch>' lines to times.log around a sleep."""
    log = folder / "times.log"
    return (f"echo {task_id} start $(date +%s.%N) >> {log}; sleep {seconds}; "
            f"echo {task_id} end $(date +%s.%N) >> {log}; exit {exit_code}")


def read_times(folder: Path) -> dict[str, tuple[float, float]]:
    spans: dict[str, dict[str, float]] = {}
    for line in (folder / "times.log").read_text().splitlines():
        task, what, when = line.split()
        spans.setdefault(task, {})[what] = float(when)
    return {t: (s["start"], s.get("end", float("nan"))) for t, s in spans.items()}


def max_overlap(spans: dict[str, tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def write_graph(folder: Path, tasks: list[dict[str, Any]], concurrency: int = 2, name: str = "tasks.json",
                datasources: list[dict[str, Any]] | None = None, **extra: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"max_process_concurrency": concurrency,
                                                    "check_new_config_interval": 10, "log_directory": "logs"}))
    if datasources is not None:
        (folder / "datasources.json").write_text(json.dumps({"connections": datasources}))
    path = folder / name
    path.write_text(json.dumps({"tasks": tasks, **extra}))
    return path


# The original runner's README example graph (tarea5, referenced there but never defined, is added).
EXAMPLE_DEPENDS = {"tarea1": [], "tarea2": ["tarea1"], "tarea3": ["tarea2"], "tarea4": ["tarea1", "tarea3"],
                   "tarea5": [], "tarea6": ["tarea5", "tarea2"], "tarea7": []}


def example_tasks(folder: Path, fail: str | None = None) -> list[dict[str, Any]]:
    """The runner's example graph with its commands replaced by scripts that record start and end."""
    return [{"id": tid, "type": "bash", "command": recorder(folder, tid, exit_code=int(tid == fail)),
             "depends": depends, "db": ""} for tid, depends in EXAMPLE_DEPENDS.items()]
