"""Group commit: POSTs that arrive together are recorded in one transaction, each with the answer
it would get alone (new, repeat, or conflict), and a batch the store cannot write is answered 503
for every request in it with nothing recorded. Against the machine's PostgreSQL."""

import asyncio
import json
import threading

import psycopg
import pytest
from starlette.testclient import TestClient

from platform_assets.job_templates.group_commit import GroupCommit
from platform_assets.job_templates.service import create_app
from resources.job_template_store import JobTemplateStore, NewRequest, RequestConflict
from tests.job_templates.test_exactly_once import config as one_users_config
from tests.job_templates.test_exactly_once import store  # noqa: F401  (the same store fixture)

TOKEN = "t0ken"
URL = "/streamsets/job-template-runner"


def config(user_run_id: str, table: str = "orders", user_id: str = "u1") -> dict:
    return {**one_users_config(user_run_id, table), "user-id": user_id}


def request(n: int, user_run_id: str, table: str = "orders", user_id: str = "u1") -> NewRequest:
    return NewRequest(f"00000000-0000-0000-0000-{n:012d}", user_id, user_run_id,
                      config(user_run_id, table, user_id))


def test_one_batch_answers_each_request_as_if_it_came_alone(store):
    store.accept_request("00000000-0000-0000-0000-000000000099", "u1", "old", config("old"))
    outcomes = store.accept_requests([
        request(1, "a"),
        request(2, "old"),  # a repeat of a stored request
        request(3, "old", table="other"),  # a different request under a stored pair
        request(4, "b"),
        request(5, "a"),  # a repeat of the batch's own first request
        request(6, "b", table="other"),  # a conflict with the batch's own request
        request(7, "a", user_id="u2"),  # another user's pair
    ])
    assert outcomes[0] == ("00000000-0000-0000-0000-000000000001", True)
    assert outcomes[1] == ("00000000-0000-0000-0000-000000000099", False)
    assert isinstance(outcomes[2], RequestConflict)
    assert outcomes[2].run_id == "00000000-0000-0000-0000-000000000099"
    assert outcomes[3] == ("00000000-0000-0000-0000-000000000004", True)
    assert outcomes[4] == ("00000000-0000-0000-0000-000000000001", False)
    assert isinstance(outcomes[5], RequestConflict)
    assert outcomes[5].run_id == "00000000-0000-0000-0000-000000000004"
    assert outcomes[6] == ("00000000-0000-0000-0000-000000000007", True)
    assert store.request_counts()["accepted"] == 4  # old, a, b, a (u2)


def test_concurrent_batches_holding_the_same_pairs_record_each_once(store):
    """Two writers with the same pairs in opposite orders: no deadlock, one row per pair, both
    batches answered with the same run ids."""
    firsts = [request(n, f"pair-{n}") for n in range(1, 41)]
    seconds = [request(100 + n, f"pair-{n}") for n in range(40, 0, -1)]
    results: dict[str, list] = {}

    def write(name: str, batch: list[NewRequest]) -> None:
        results[name] = store.accept_requests(batch)

    threads = [threading.Thread(target=write, args=(name, batch))
               for name, batch in (("first", firsts), ("second", seconds))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    by_pair = {item.user_run_id: outcome[0] for item, outcome in zip(firsts, results["first"])}
    assert {item.user_run_id: outcome[0] for item, outcome in zip(seconds, results["second"])} == by_pair
    created = [o[1] for o in results["first"] + results["second"]]
    assert created.count(True) == 40
    assert store.request_counts()["accepted"] == 40


class CountingStore(JobTemplateStore):
    """The real store, counting the batches it is handed."""

    def accept_requests(self, batch):
        self.__dict__.setdefault("batches", []).append(len(batch))
        return super().accept_requests(batch)


def test_a_burst_of_posts_shares_transactions_and_each_gets_its_own_answer(pg_dsn, store):
    counting = CountingStore(dsn=pg_dsn, pool_size=4)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(counting, "http://127.0.0.1:9/graphql", TOKEN, launcher_threads=0)) as client:
        answers: list = [None] * 48

        def post(n: int) -> None:
            body = config(f"burst-{n % 40}")  # 8 of them repeat another's request
            answers[n] = client.post(URL, json=body, headers=headers)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(48)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert [a.status_code for a in answers] == [200] * 48
    run_ids = [a.json()["run_id"] for a in answers]
    assert all(run_ids[n] == run_ids[n + 40] for n in range(8))
    assert len(set(run_ids)) == 40
    assert sum(counting.batches) == 48 and len(counting.batches) < 48  # some requests shared
    with psycopg.connect(pg_dsn) as conn:
        stored = dict(conn.execute("SELECT user_run_id, id::text FROM streamsets.run_request").fetchall())
    assert stored == {f"burst-{n}": run_ids[n] for n in range(40)}


class BrokenStore:
    """Fails every batch as a database that went away would."""

    def __init__(self):
        self.calls = 0

    def accept_requests(self, batch):
        self.calls += 1
        raise psycopg.OperationalError("the connection was lost")


def test_a_batch_the_store_cannot_write_fails_every_request_in_it():
    broken = BrokenStore()
    recorder = GroupCommit(broken.accept_requests)

    async def burst():
        results = await asyncio.gather(
            *(recorder.accept(NewRequest(f"id-{n}", "u1", f"r{n}", config(f"r{n}"))) for n in range(10)),
            return_exceptions=True)
        await recorder.close()
        return results

    results = asyncio.run(burst())
    assert all(isinstance(r, psycopg.OperationalError) for r in results)
    assert broken.calls == 11  # the batch of ten, then each of them alone


def test_the_writers_keep_working_after_a_failed_batch(store):
    recorder = GroupCommit(store.accept_requests, writers=1)

    async def two_rounds():
        with pytest.raises(RequestConflict):
            await recorder.accept(request(1, "r"))
            await recorder.accept(request(2, "r", table="x"))
        again = await recorder.accept(request(3, "s"))
        await recorder.close()
        return again

    assert asyncio.run(two_rounds()) == ("00000000-0000-0000-0000-000000000003", True)


def test_a_pair_another_transaction_holds_stalls_only_its_own_request(store, pg_dsn, monkeypatch):
    """Another replica's batch holds pair K uncommitted: the requests for K wait (at most the lock
    timeout, then 503), and a request that arrived with them is written all the same."""
    import time

    import psycopg

    from resources import job_template_store

    monkeypatch.setattr(job_template_store, "LOCK_TIMEOUT_MS", 300)
    holder = psycopg.connect(pg_dsn)
    held = request(1, "held")
    holder.execute(
        "INSERT INTO streamsets.run_request (id, user_id, user_run_id, config, idempotency_key, payload_hash) "
        "VALUES (%s, 'u1', 'held', '{}', %s, 'x')", (held.request_id, json.dumps(["u1", "held"])))
    recorder = GroupCommit(store.accept_requests, writers=1)

    async def together():
        started = time.monotonic()
        results = await asyncio.gather(recorder.accept(request(2, "held")), recorder.accept(request(3, "free")),
                                       return_exceptions=True)
        await recorder.close()
        return results, time.monotonic() - started

    try:
        (held_result, free_result), seconds = asyncio.run(together())
    finally:
        holder.rollback()
        holder.close()
    assert isinstance(held_result, psycopg.errors.LockNotAvailable)
    assert free_result == ("00000000-0000-0000-0000-000000000003", True)
    assert seconds < 5
    assert store.request_counts()["accepted"] == 1


def test_close_answers_what_is_still_queued():
    class Never:
        def accept_requests(self, batch):
            raise AssertionError("not reached")

    recorder = GroupCommit(Never().accept_requests)

    async def queued_then_closed():
        recorder._started()  # the writers exist but have not run: the request stays queued
        pending = asyncio.ensure_future(recorder.accept(NewRequest("id-1", "u1", "r", config("r"))))
        await asyncio.sleep(0)
        for task in recorder._tasks:
            task.cancel()
        await recorder.close()
        return await asyncio.gather(pending, return_exceptions=True)

    [result] = asyncio.run(queued_then_closed())
    assert isinstance(result, RuntimeError) and "shutting down" in str(result)
