"""The monitoring config's ``[LOGS]`` handlers, honoured by the streaming slice's runs.

The wrappers logged to the console, syslog and a file as ``log_modes`` said. In Weir every run's
log is kept by Dagster (UI, event log, compute logs) whatever the config says; on top of that,
while a streaming op works, the run's log also goes to the ``syslog`` handler (``syslog_socket``: a
Unix socket path such as ``/dev/log``, or ``host:port`` over UDP) and the ``file`` handler
(``file_path``, appended), each at its own level (``syslog_level``, ``file_level``) or
``log_level``. ``console`` is Dagster's console logger, already there; ``console_level`` is not
applied to it (the run config's ``loggers.console.config.log_level`` is). A syslog socket that
cannot be opened is a warning in the run's log, not a failed run: the log is in Dagster anyway.
"""

import logging
import logging.handlers
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from resources.model.monitoring_conf import LogSettings

FORMAT = "%(asctime)s %(name)s[%(process)d]: %(levelname)s %(message)s"


def _syslog_address(socket: str) -> str | tuple[str, int]:
    host, _, port = socket.rpartition(":")
    if "/" not in socket and host and port.isdigit():
        return host, int(port)
    return socket


def _unix_socket_answers(path: str) -> bool:
    """Whether a syslog daemon listens on the Unix socket ``path`` (Python's handler would only
    find out, noisily, on the first message)."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        probe = socket.socket(socket.AF_UNIX, kind)
        try:
            probe.connect(path)
            return True
        except OSError:
            continue
        finally:
            probe.close()
    return False


def build_handlers(settings: LogSettings) -> tuple[list[logging.Handler], list[str]]:
    """(the handlers of ``settings``, a warning per handler that could not be opened)."""
    handlers: list[logging.Handler] = []
    problems = []
    if "syslog" in settings.modes and settings.syslog_socket:
        address = _syslog_address(settings.syslog_socket)
        try:
            if isinstance(address, str) and not _unix_socket_answers(address):
                raise OSError("no syslog daemon listens on it")
            handler: logging.Handler = logging.handlers.SysLogHandler(address)
            handler.setLevel(settings.syslog_level or settings.level)
            handlers.append(handler)
        except OSError as exc:
            problems.append(
                f"[LOGS] syslog_socket {settings.syslog_socket}: not logging there ({exc})"
            )
    if "file" in settings.modes and settings.file_path:
        try:
            handler = logging.FileHandler(settings.file_path, encoding="utf-8")
            handler.setLevel(settings.file_level or settings.level)
            handlers.append(handler)
        except OSError as exc:
            problems.append(f"[LOGS] file_path {settings.file_path}: not logging there ({exc})")
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
    return handlers, problems


@contextmanager
def logs_section(log: logging.Logger, settings: LogSettings) -> Iterator[None]:
    """``log`` (a run's ``context.log``) also goes to the config's syslog and file handlers until
    the block ends; a failure raised in the block is logged to them first."""
    handlers, problems = build_handlers(settings)
    for handler in handlers:
        log.addHandler(handler)
    for problem in problems:
        log.warning(problem)
    try:
        yield
    except Exception as exc:  # to the config's handlers only: Dagster records the failure itself
        record = log.makeRecord(
            log.name, logging.ERROR, "", 0, f"{type(exc).__name__}: {exc}", (), None
        )
        for handler in handlers:
            if record.levelno >= handler.level:
                handler.handle(record)
        raise
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()
