"""Running one OS process for a task: its own session, only the environment it declares, output
streamed line by line to the task's log with credentials hidden, and everything it started killed
when it ends or its timeout passes. No Dagster import.

A task's environment is its declared ``env``, the variables its graph passes through
(``env_passthrough`` in ``config.json``) and a small allowlist (``BASE_VARIABLES``): never the
whole environment of the Dagster process, which holds the platform's secrets.

Every process of a task carries a marker variable (``WEIR_TASK_MARK``) that its children inherit,
detached ones included (``setsid cmd &``, double forks): at the end, whatever still carries the
task's mark is killed, so a timeout cannot be escaped and no orphan outlives its task. The log
reader never waits on a pipe that such a child keeps open.
"""

import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from platform_assets.taskflows.scheduler import TaskFailed
from resources.model.secrets import mask_text, secret_values

LogLine = Callable[[str], None]
BASE_VARIABLES = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "JAVA_HOME",
    "SPARK_HOME",
    "HADOOP_CONF_DIR",
    "SPARK_LOCAL_IP",
)
MARK = "WEIR_TASK_MARK"
DRAIN_AFTER_EXIT_S = 1.0  # output still arriving after the task's own process ended


def task_environment(
    declared: Mapping[str, str],
    passthrough: Sequence[str] = (),
    parent: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The allowlisted and passed-through variables of ``parent`` (default: this process's),
    then the task's own ``declared`` variables."""
    parent = os.environ if parent is None else parent
    names = (*BASE_VARIABLES, *passthrough)
    return {**{n: parent[n] for n in names if n in parent}, **declared}


def _marked(mark: str) -> Iterator[int]:
    """Pids of the processes whose environment carries ``MARK=mark`` (Linux /proc)."""
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                yield int(entry.name)
        except OSError:  # gone, or not ours to read
            continue


def kill_marked(mark: str, leader: int) -> None:
    """Kill the task's process group and session and every process carrying its mark."""
    try:
        os.killpg(leader, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for _ in range(3):  # a process may fork while we look
        pids = list(_marked(mark))
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def run_process(
    argv: Sequence[str],
    log: LogLine,
    timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    passthrough: Sequence[str] = (),
) -> int:
    """Run ``argv``; returns 0 or raises TaskFailed naming the exit code or the timeout."""
    mark = uuid.uuid4().hex
    task_env = {**task_environment(env or {}, passthrough), MARK: mark}
    hidden = [*secret_values(task_env), *secret_values()]  # what the task's output must not show
    try:
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=task_env,
            start_new_session=True,
        )
    except OSError as exc:
        raise TaskFailed(f"cannot start {argv[0]!r}: {mask_text(str(exc), hidden)}") from None
    assert proc.stdout is not None
    reader = threading.Thread(target=_pump, args=(proc.stdout, log, hidden), daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    kill_marked(mark, proc.pid)  # the timeout's victims, or what the task left running
    code = proc.wait()
    reader.join(DRAIN_AFTER_EXIT_S)
    if timed_out:
        raise TaskFailed(f"timed out after {timeout_s:g}s; its processes were killed")
    if code != 0:
        raise TaskFailed(f"exit code {code}")
    return code


def _pump(stream, log: LogLine, hidden: Sequence[str]) -> None:  # noqa: ANN001 - a binary pipe
    with stream:
        for raw in stream:
            log(mask_text(raw.decode("utf-8", errors="replace").rstrip("\n"), hidden, env={}))
