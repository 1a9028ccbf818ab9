"""An hour's chunks parsed by worker processes while the step combines and writes earlier ones.

An hour processed alone (the steady state: one hour closes at a time) would use one core. The
part of a chunk that needs no dedup state (JSON parse, schema check, serialization, key columns:
~85 % of the CPU) is ``hour_processing.parse_chunk``; it runs in ``workers`` processes, each with
one chunk running and one queued, and when the next chunk's result is not back yet the step's
process parses a later chunk itself rather than wait. The step's process applies the dedup state
to each parsed chunk in message order (``HourProcessor.combine``) and writes the tables, so the
outputs are the same, row for row, as parsing in-process (tested). Measured on 2 cores: a
250k-event hour alone ~5.5 s with one worker against ~7 s without; with two hours running at once
a worker only adds work (~1.3 core-seconds per hour: chunks and parsed tables cross a pipe).

The workers come from a fork server that has imported this module once (the step's process has
threads: the event log, the Kafka client; forking it directly could copy a held lock). As in any
program using multiprocessing, a script that runs the step in its own process needs the
``if __name__ == "__main__":`` guard. A one-chunk hour, a custom validator or ``workers < 1``
parses in-process and starts nothing.
"""

import gc
import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pyarrow as pa

from platform_assets.telemetry.extraction import SourceMessage
from platform_assets.telemetry.hour_processing import HourProcessor, ParsedChunk, parse_chunk
from platform_assets.telemetry.process_memory import retain_freed_memory
from platform_assets.telemetry.validation import shipped_validator


def _start_worker() -> None:
    # parsed JSON has no reference cycles (reference counting frees it) and a worker lives for one
    # step: the cyclic collector would only walk every live dict of every chunk (see gc_pause)
    gc.disable()
    retain_freed_memory()
    shipped_validator()


def _parse(messages: list[SourceMessage], now_ms: int, env: str) -> ParsedChunk:
    return parse_chunk(messages, shipped_validator(), now_ms, env)


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        [__name__]
    )  # effective when the fork server starts (once per process)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)


def chunk_tables(
    processor: HourProcessor, chunks: Iterator[list[SourceMessage]], workers: int
) -> Iterator[dict[str, pa.Table]]:
    """The ten tables of each chunk, in chunk order (what ``processor.chunk`` gives for each)."""
    head = list(itertools.islice(chunks, 2))
    if len(head) < 2 or workers < 1 or processor.validator is not shipped_validator():
        for messages in itertools.chain(head, chunks):
            yield processor.chunk(messages)
        return
    upcoming = itertools.chain(head, chunks)
    with _pool(workers) as pool:
        ahead: deque[_Slot] = deque()  # the next chunks, in order: parsed here, or by a worker
        try:
            while True:
                while len(ahead) < 2 * workers + 2 and (chunk := next(upcoming, None)) is not None:
                    ahead.append(_Slot(chunk))
                if not ahead:
                    return
                _keep_workers_busy(pool, ahead, workers, processor)
                first = ahead[0]
                if first.waiting() and (later := _unstarted(ahead)) is not None:
                    later.parsed = processor.parse(
                        later.messages
                    )  # rather than wait: parse a later one here
                    continue
                ahead.popleft()
                yield processor.combine(first.messages, first.result(processor))
        finally:
            for slot in ahead:  # a failed step: drop what is queued, finish what runs
                if slot.future is not None:
                    slot.future.cancel()


def _keep_workers_busy(
    pool: ProcessPoolExecutor, ahead: deque["_Slot"], workers: int, processor: HourProcessor
) -> None:
    """Submit the next unstarted chunks (never the first: it is this process's when still unstarted)
    until each worker has one chunk running and one queued."""
    queued = sum(slot.future is not None and not slot.future.done() for slot in ahead)
    for slot in itertools.islice(ahead, 1, None):
        if queued >= 2 * workers:
            return
        if slot.unstarted():
            slot.future = pool.submit(_parse, slot.messages, processor.now_ms, processor.env)
            queued += 1


class _Slot:
    """A chunk on its way: parsed by this process (``parsed``) or by a worker (``future``)."""

    def __init__(self, messages: list[SourceMessage]) -> None:
        self.messages = messages
        self.future: Future | None = None
        self.parsed: ParsedChunk | None = None

    def unstarted(self) -> bool:
        return self.future is None and self.parsed is None

    def waiting(self) -> bool:
        """A worker has it and is not done."""
        return self.parsed is None and self.future is not None and not self.future.done()

    def result(self, processor: HourProcessor) -> ParsedChunk:
        if self.parsed is None:
            self.parsed = (
                processor.parse(self.messages) if self.future is None else self.future.result()
            )
        return self.parsed


def _unstarted(ahead: deque[_Slot]) -> _Slot | None:
    return next((slot for slot in ahead if slot.unstarted()), None)
