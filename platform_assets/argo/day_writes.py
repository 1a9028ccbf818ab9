"""Writing a tenant-day's result levels while the rest of the day is still being computed.

A/R and the endpoint, service and group timelines are ready a second before ``status_metrics``
(the day's two million metric rows). ``DayWrites`` writes each level in a background thread as
soon as it is handed over, so those writes overlap the last computation instead of following it.
Parquet encoding and compression run outside the GIL.

Order and failure rules:
* a level goes to the results store only once it is in the lake, and only when ``to_store`` is
  given (the day passed its blocking sanity checks);
* levels are written in the order they are handed over, one at a time (the other core is the
  computation's);
* every level handed over is attempted, even after one failed; ``finish`` waits for all and
  raises the first failure. Leaving the ``with`` block waits for the writes in flight too, so no
  write outlives the run step, however the step ends.

No Dagster import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType


class DayWrites:
    """The levels of one tenant-day, each written to the lake and then, when ``to_store`` is given,
    to the results store (``to_store`` returns the documents it wrote)."""

    def __init__(
        self, to_lake: Callable[[str], object], to_store: Callable[[str], int] | None
    ) -> None:
        self._to_lake, self._to_store = to_lake, to_store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weir-write")
        self._futures: list[Future[int]] = []

    def submit(self, levels: Iterable[str]) -> None:
        """Write ``levels`` in the background, after those handed over before."""
        self._futures.extend(self._pool.submit(self._write, level) for level in levels)

    def _write(self, level: str) -> int:
        self._to_lake(level)
        return self._to_store(level) if self._to_store is not None else 0

    def finish(self) -> int:
        """Wait for every level handed over; the documents written to the results store. The
        first failure (in hand-over order) is raised once every level has been attempted."""
        wait(self._futures)
        return sum(future.result() for future in self._futures)

    def __enter__(self) -> DayWrites:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True)
