"""Group commit: the POSTs that arrive together are recorded in one transaction.

Under a burst (64 clients, or every cut-off client re-sending at once after a restart) a
transaction per request costs a worker-thread hop, a round of statements and a commit each; the
requests then queue for the store's connections and their latency grows with the queue. Here each
accepted request joins a queue, and a few writers each take whatever has queued (up to
``max_batch``) and records it with the store's ``accept_requests``: one thread hop, two
statements and one commit for the lot. A lone request is written at once (no waiting for company);
requests wait only while a writer is busy, which is when batching pays.

Durability is unchanged: a request is answered only after the transaction holding it commits.
A batch that fails whole is written again item by item, so one request's fault is its own.
"""

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

MAX_BATCH = 64
WRITERS = 2  # one collects while the other commits

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


class GroupCommit(Generic[Item, Outcome]):
    """Writes items in batches through ``write`` (the store's ``accept_requests``: one outcome
    per item, in order, an exception instance for an item refused on its own, such as a
    conflict); ``accept`` is awaited by each POST."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Sequence[Outcome | Exception]],
        max_batch: int = MAX_BATCH,
        writers: int = WRITERS,
    ):
        self.write, self.max_batch, self.writers = write, max_batch, writers
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future]] | None = None
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def accept(self, item: Item) -> Outcome:
        """The item's outcome once the transaction holding it has committed; raises the item's
        own refusal, or the store's error when its batch could not be written."""
        queue = self._started()
        answer: asyncio.Future = asyncio.get_running_loop().create_future()
        queue.put_nowait((item, answer))
        return await answer

    def _started(self) -> asyncio.Queue:
        """The queue of the running event loop, its writers started on first use (a test client
        runs each app session on a loop of its own)."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop:
            self._loop, self._queue = loop, asyncio.Queue()
            self._tasks = [loop.create_task(self._write(self._queue)) for _ in range(self.writers)]
        return self._queue

    async def _write(self, queue: asyncio.Queue) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._settle(batch)

    async def _settle(self, batch: list[tuple[Item, asyncio.Future]]) -> None:
        """Write the batch; if it fails whole, each item alone, so that one item (a pair another
        replica holds locked past the store's lock timeout, a value the database refuses) fails
        only its own POST, not those that arrived with it."""
        try:
            outcomes = await run_in_threadpool(self.write, [item for item, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                for one in batch:
                    await self._settle([one])
                return
            _, answer = batch[0]
            if not answer.done():  # unrecorded: the POST answers 503
                answer.set_exception(exc)
            return
        for (_, answer), outcome in zip(batch, outcomes, strict=True):
            if answer.done():  # the client went away; its request is recorded all the same
                continue
            if isinstance(outcome, Exception):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)

    async def close(self) -> None:
        """Stop the writers; a request still queued is answered with an error, never left
        waiting (nothing of it was recorded)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while self._queue is not None and not self._queue.empty():
            _, answer = self._queue.get_nowait()
            if not answer.done():
                answer.set_exception(RuntimeError("the front door is shutting down"))
        self._queue, self._loop = None, None
