"""Writing a tenant-day's result levels while the rest of the day is still being computed.

A/R and the endpoint, service and group timelines are ready a second before ``status_metrics``
(the day's two million metric rows). ``DayWrites`` writes each level to the lake in a background
thread as soon as it is handed over: Parquet encoding and compression run outside the GIL, so
those writes overlap the computation still running. The results-store writes wait for
``finish``, on the caller's thread: building and sending documents is Python work, and beside the
computation it would only slow it down (each holds the GIL the other needs); after it, they
overlap the lake write of the last level instead.

Order and failure rules:
* a level goes to the results store only once it is in the lake, and only when ``to_store`` is
  given (the day passed its blocking sanity checks);
* lake writes go one at a time, in hand-over order (the other core is the computation's); store
  writes in the same order;
* every level handed over is attempted, even after one failed; ``finish`` raises the first
  failure once all are done;
* leaving the ``with`` block waits for the lake write in flight, so no write outlives the run
  step; when the block ends with an error (the computation failed), the lake writes not yet
  started are cancelled: a failed day writes as little as it can.

No Dagster import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType


class DayWrites:
    """The levels of one tenant-day, each written to the lake and then, when ``to_store`` is given,
    to the results store (``to_store`` returns the documents it wrote)."""

    def __init__(
        self, to_lake: Callable[[str], object], to_store: Callable[[str], int] | None
    ) -> None:
        self._to_lake, self._to_store = to_lake, to_store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weir-write")
        self._in_lake: list[tuple[str, Future[object]]] = []

    def submit(self, levels: Iterable[str]) -> None:
        """Write ``levels`` to the lake in the background, after those handed over before."""
        self._in_lake.extend((level, self._pool.submit(self._to_lake, level)) for level in levels)

    def finish(self) -> int:
        """Each level's store write once its lake write is done; the documents written to the
        results store. The first failure is raised once every level has been attempted."""
        failures: list[Exception] = []
        written = 0
        for level, lake_write in self._in_lake:
            try:
                lake_write.result()
                if self._to_store is not None:
                    written += self._to_store(level)
            except Exception as exc:  # noqa: BLE001 (raised below, once all are attempted)
                failures.append(exc)
        if failures:
            raise failures[0]
        return written

    def __enter__(self) -> DayWrites:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=error is not None)
