"""Running one OS process for a task: its own process group, output streamed line by line to the
task's log, and the whole group killed when the timeout passes. No Dagster import."""

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence

from platform_assets.taskflows.scheduler import TaskFailed

LogLine = Callable[[str], None]


def run_process(
    argv: Sequence[str],
    log: LogLine,
    timeout_s: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> int:
    """Run ``argv``; returns 0 or raises TaskFailed naming the exit code or the timeout."""
    try:
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    except OSError as exc:
        raise TaskFailed(f"cannot start {argv[0]!r}: {exc}") from None
    timed_out = threading.Event()

    def kill_group() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout_s, kill_group) if timeout_s else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            log(raw.decode("utf-8", errors="replace").rstrip("\n"))
        code = proc.wait()
    finally:
        if timer:
            timer.cancel()
    if timed_out.is_set():
        raise TaskFailed(f"timed out after {timeout_s:g}s; process group killed")
    if code != 0:
        raise TaskFailed(f"exit code {code}")
    return code
