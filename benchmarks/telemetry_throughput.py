"""Benchmark: telemetry throughput, end to end from a real broker and in memory.

    .venv/bin/python benchmarks/telemetry_throughput.py [--events 1000000] [--hours-at-once 2] [--workers 0] [--end-to-end-only] [--runs 1]

Generates realistic Sunbird v3 events (~1 KB each, every eid, 1 % invalid, 1 % re-sent mids) in
batches, produces them to a real Kafka-protocol broker (tansu, as in the tests), then times end to
end: ``telemetry_ingest`` (landing + backups + commits) and ``telemetry_hourly``'s extract /
validate + dedup / route step for every hour touched, ``--hours-at-once`` hours at a time (each
run worker a process of its own; an hour reads what the one before saw from its landing files when
that hour is not processed yet: ``dedup_window``), each hour's chunks parsed by ``--workers``
processes beside its step (``hour_workers``). As in a deployment, the run workers (definitions, job, a Dagster instance on
SQLite) exist before the clock starts; each run is then a real ``execute_in_process`` with its
event log. The figures include the CPU time (user + system) of ingest and of the broker, which
shares the 2 cores, and the machine's busy core-seconds during each hour. Separately, on the same events in memory: extraction +
validation + dedup (one pass: the native reader checks while it reads each event's row); validation + dedup
alone, on the event texts extraction splits out (reading included: checking an event means reading
it); the one-pass hour processing (extraction to the ten Arrow tables, no files),
and a naive baseline (json.loads + jsonschema's Draft7Validator per event). Targets (issue 4, 2
cores): end to end >= 50k events/s; validation + dedup >= 150k events/s and >= 5x the naive
baseline. ``--runs N`` repeats the end-to-end part N times, each on a fresh broker, lake and run
workers, and prints the median too: this VM's speed drifts by a third or more between runs and
phases, so one figure says little. Prints figures; asserts nothing about time.
"""

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOUR_MS = 3_600_000


def make_batches(events: int, per_batch: int, start_ms: int, hours: int) -> list[bytes]:
    from platform_assets.demo import telemetry_sample as sample_data

    rng = random.Random(3)
    values = sample_data.batches(events // per_batch, per_batch, start_ms, spread_ms=hours * HOUR_MS, seed=3, pad=330)
    out = []
    for value in values:  # 1 % invalid events, 1 % re-sent mids (duplicates)
        batch = orjson.loads(value)
        for event in batch["events"]:
            roll = rng.random()
            if roll < 0.01:
                event["actor"] = {"id": 12345}
            elif roll < 0.02:
                event["mid"] = f"resent-{rng.randrange(events // 200)}"
        out.append(orjson.dumps(batch))
    return out


_WORKER: dict = {}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
HOUR_ASSETS = ("raw_events", "extractor_duplicates", "extractor_failed", "unique_events", "failed_events",
               "duplicate_events", "routed_events", "druid_log_events", "druid_error_events", "audit_events")


def start_worker(data_dir: str, registry: str, hour_workers: int = 1) -> None:
    """Once per worker process, as a deployment has them before its runs: the definitions, the
    hourly job and a Dagster instance (SQLite storage in the work directory)."""
    os.environ["WEIR_DATA_DIR"] = data_dir
    import dagster as dg

    from platform_assets.definitions import build_definitions
    from platform_assets.telemetry.settings import TelemetrySettings
    from tests.platform import local_resources

    resources = local_resources(Path(data_dir), Path(registry),
                                telemetry=TelemetrySettings(env="bench", hour_workers=hour_workers))
    job = build_definitions(resources).resolve_job_def("telemetry_hourly").get_subset(
        asset_selection={dg.AssetKey(["telemetry", n]) for n in HOUR_ASSETS})
    folder = Path(data_dir) / f"instance-{os.getpid()}"
    folder.mkdir()
    _WORKER.update(lake=resources["lake"], job=job, instance=dg.DagsterInstance.local_temp(str(folder)))


def run_ingest(bootstrap: str) -> tuple[float, float, float, list[str]]:
    """``telemetry_ingest`` against the broker in this worker: (seconds, user CPU s, system CPU s, hours)."""
    from platform_assets.definitions import build_definitions
    from resources.kafka import KafkaResource
    from tests.platform import local_resources

    data_dir = Path(os.environ["WEIR_DATA_DIR"])
    resources = local_resources(data_dir, data_dir / "none.yaml", telemetry=_ingest_settings(),
                                kafka=KafkaResource(bootstrap_servers=bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2))
    job = build_definitions(resources).resolve_job_def("telemetry_ingest")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = job.execute_in_process(instance=_WORKER["instance"], run_config=QUIET)
    seconds, done = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    assert result.success
    return seconds, done.ru_utime - usage.ru_utime, done.ru_stime - usage.ru_stime, result.output_for_node("ingest_telemetry")["hours"]


def _ingest_settings():  # noqa: ANN202 - TelemetrySettings
    from platform_assets.telemetry.settings import TelemetrySettings

    return TelemetrySettings(env="bench", source="kafka", consumer_group="weir-bench", micro_batch_messages=500)


def run_hour(hour: str) -> tuple[str, float, int, float, float]:
    """One hour's step in this worker: (hour, seconds, raw rows, the step process's CPU s, the
    machine's busy core-seconds: the parse workers, the fork server and anything else)."""
    usage, busy = resource.getrusage(resource.RUSAGE_SELF), busy_core_s()
    started = time.perf_counter()
    result = _WORKER["job"].execute_in_process(partition_key=hour, instance=_WORKER["instance"], run_config=QUIET)
    seconds, done = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    assert result.success
    rows = _WORKER["lake"].parquet_file(f"telemetry/raw_events/{hour}.parquet").metadata.num_rows
    return hour, seconds, rows, done.ru_utime - usage.ru_utime + done.ru_stime - usage.ru_stime, busy_core_s() - busy


def busy_core_s() -> float:
    """Core-seconds the machine has spent busy (all cores, /proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def broker_cpu_s() -> float:
    """CPU seconds (user + system) of the tansu broker this benchmark started (it shares the 2 cores)."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and "tansu" in (stat.parent / "cmdline").read_text():
                return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return float("nan")


def in_memory(messages: list, now_ms: int) -> tuple[int, float, Counter]:
    """Extraction + validation + dedup, message by message as the hour step runs them (each batch
    split, its events decoded by their compiled types or parsed and checked exactly, then each valid
    event's mid looked up): one pass, since the compiled types check while they decode."""
    from platform_assets.telemetry.gc_pause import cyclic_gc_paused
    from platform_assets.telemetry.hour_processing import checked_events
    from platform_assets.telemetry.validation import shipped_validator

    validator, seen_msgids, seen_mids, kinds = shipped_validator(), set(), set(), Counter()
    n, took, clock = 0, 0.0, time.perf_counter
    with cyclic_gc_paused():
        for message in messages:
            started = clock()
            checked = checked_events(message, validator, now_ms, "bench")
            msgid = checked.extract.msgid
            if msgid is None or msgid in seen_msgids:
                kinds["batch refused"] += 1
            else:
                seen_msgids.add(msgid)
                for row, error in zip(checked.rows, checked.errors):
                    if error is not None:
                        kinds["failed"] += 1
                    elif row[0] in seen_mids:
                        kinds["duplicate"] += 1
                    else:
                        seen_mids.add(row[0])
                        kinds["unique"] += 1
            took += clock() - started
            n += len(checked.rows)
    return n, took, kinds


def validation_and_dedup(messages: list) -> tuple[int, float, Counter]:
    """Validation + dedup alone, on what extraction hands on: each usable batch's event texts as
    sent (split beforehand, not timed). Each text is read by the native reader (checked against its
    schema, its row read) or, where that refuses it, decoded and checked by its eid's compiled type,
    or parsed by orjson and checked exactly (jsonschema-rs, for the reason); then the valid event's
    mid is looked up. The parse is in the figure: validation cannot skip reading the JSON, as the
    naive baseline's json.loads does not either."""
    from platform_assets.telemetry.extraction import frame_batch
    from platform_assets.telemetry.gc_pause import cyclic_gc_paused
    from platform_assets.telemetry.validation import shipped_validator

    validator, seen_mids, kinds = shipped_validator(), set(), Counter()
    batches = [texts for frame, texts, _ in map(frame_batch, messages) if frame is not None]
    n, took, clock = 0, 0.0, time.perf_counter
    read_row, valid_event, error = validator.row_reader, validator.valid_event, validator.error
    syncts, stamp = 1_795_400_000_000, b'"syncts":1795400000000,"@timestamp":"2026-11-23T02:13:20.000Z"'
    with cyclic_gc_paused():
        for texts in batches:
            started = clock()
            for text in texts:
                hit = read_row(text, syncts, stamp) if read_row is not None else None
                if hit is not None:
                    mid = hit[0][0]
                elif (event := valid_event(text)) is not None:
                    mid = event.mid
                else:
                    parsed = orjson.loads(text)
                    if error(parsed) is not None:
                        kinds["failed"] += 1
                        continue
                    mid = parsed["mid"]
                if mid in seen_mids:
                    kinds["duplicate"] += 1
                else:
                    seen_mids.add(mid)
                    kinds["unique"] += 1
            took += clock() - started
            n += len(texts)
    return n, took, kinds


def naive(values: list[bytes], limit: int) -> tuple[float, int]:
    import jsonschema

    from platform_assets.telemetry.validation import event_schemas

    validators = {eid: jsonschema.Draft7Validator(s) for eid, s in event_schemas().items()}
    started = time.perf_counter()
    n = invalid = 0
    seen = set()
    for value in values:
        for event in json.loads(value)["events"]:
            validator = validators.get(event.get("eid"))
            if validator is None or list(validator.iter_errors(event)):
                invalid += 1
            else:
                seen.add(event["mid"])
            n += 1
            if n >= limit:
                return time.perf_counter() - started, n
    return time.perf_counter() - started, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-batch", type=int, default=100)
    parser.add_argument("--hours", type=int, default=4)
    parser.add_argument("--hours-at-once", type=int, default=2, help="hour runs at a time")
    parser.add_argument("--workers", type=int, default=0, help="processes parsing each hour's chunks beside its step")
    parser.add_argument("--naive-events", type=int, default=100_000, help="the baseline is slow: time this many")
    parser.add_argument("--end-to-end-only", action="store_true", help="skip the in-memory figures and the baseline")
    parser.add_argument("--runs", type=int, default=1, help="end-to-end runs (each on a fresh broker and lake); "
                        "with more than one, their median too: this VM's speed drifts between runs")
    opts = parser.parse_args()

    start_ms = (int(time.time() * 1000) // HOUR_MS - opts.hours - 1) * HOUR_MS
    t = time.perf_counter()
    values = make_batches(opts.events, opts.per_batch, start_ms, opts.hours)
    size = sum(len(v) for v in values)
    print(f"{opts.events} events in {len(values)} batches, {size / 1e6:.0f} MB "
          f"({size / opts.events:.0f} bytes/event), generated in {time.perf_counter() - t:.1f} s; {os.cpu_count()} cores")

    if not opts.end_to_end_only:
        print_in_memory(values, start_ms, opts)
    runs = [end_to_end(values, opts, run) for run in range(1, opts.runs + 1)]
    if len(runs) > 1:
        rates = sorted(opts.events / s for s in runs)
        print(f"end to end, {len(runs)} runs: median {statistics.median(rates):,.0f} produced events/s "
              f"(min {rates[0]:,.0f}, max {rates[-1]:,.0f}; target >= 50k)")


def print_in_memory(values: list[bytes], start_ms: int, opts: argparse.Namespace) -> None:
    """The in-memory figures: extraction + validation + dedup, the one-pass hour processing,
    validation + dedup alone, and the naive baseline."""
    from platform_assets.telemetry.extraction import SourceMessage
    from platform_assets.telemetry.gc_pause import cyclic_gc_paused
    from platform_assets.telemetry.hour_processing import HourProcessor
    from platform_assets.telemetry.landing import CHUNK_BYTES, cut_by_bytes
    from platform_assets.telemetry.validation import shipped_validator

    messages = [SourceMessage("bench", 0, i, None, v) for i, v in enumerate(values)]
    now_ms = start_ms + opts.hours * HOUR_MS
    n, t_checked, kinds = in_memory(messages, now_ms)
    print(f"in memory, message by message as the hour step runs: extraction + validation + dedup "
          f"{n / t_checked:,.0f} events/s ({dict(kinds)})")
    per_hour = -(-len(messages) // opts.hours)  # the messages are in sync-time order: one chunk per hour
    with cyclic_gc_paused():
        t = time.perf_counter()
        produced = 0
        for i in range(0, len(messages), per_hour):
            processor = HourProcessor(shipped_validator(), set(), set(), now_ms, "bench")
            for chunk in cut_by_bytes(messages[i:i + per_hour], CHUNK_BYTES):
                processor.chunk(chunk)
            produced += processor.totals.events
        t_one_pass = time.perf_counter() - t
    print(f"in memory: one-pass hour processing (extract, validate + dedup, route, the ten Arrow tables; "
          f"no files, one hour at a time, in {CHUNK_BYTES >> 20} MiB chunks as the step) {produced / t_one_pass:,.0f} events/s")
    n_valid, t_valid, valid_kinds = validation_and_dedup(messages)
    print(f"in memory: validation + dedup alone, on the extracted event texts (each read by the native reader, "
          f"else its compiled type, else parsed and checked exactly; then its mid) {n_valid / t_valid:,.0f} events/s "
          f"({dict(valid_kinds)}; target >= 150k)")
    naive_s, naive_n = naive(values, opts.naive_events)
    naive_rate = naive_n / naive_s
    print(f"naive json + jsonschema per event: {naive_rate:,.0f} events/s (on {naive_n} events); "
          f"Weir's validation + dedup is {n_valid / t_valid / naive_rate:.1f}x, its extraction + validation "
          f"+ dedup {n / t_checked / naive_rate:.1f}x (target for validation + dedup: >= 5x)")


def end_to_end(values: list[bytes], opts: argparse.Namespace, run: int) -> float:
    """One end-to-end run on a fresh broker and work directory: produce (untimed), then ingest and
    every hour's step (timed). Prints its figures; returns its seconds."""
    from resources.kafka import KafkaResource
    from tests.services import tansu_broker

    work = Path(tempfile.mkdtemp(prefix="weir-telemetry-bench-"))
    registry = work / "none.yaml"
    # The run workers (one for ingest, --hours-at-once for the hours) are fresh interpreters, as a
    # deployment's are: forked from this process, they would share the heap of the generated events.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, spawn, start_worker, (str(work), str(registry))) as ingest_pool, \
            ProcessPoolExecutor(opts.hours_at_once, spawn, start_worker,
                                (str(work), str(registry), opts.workers)) as hour_pool:
        # the workers (definitions, job, instance) are up before the clock starts, as a deployment's are
        list(ingest_pool.map(time.sleep, [0.1]))
        list(hour_pool.map(time.sleep, [0.5] * opts.hours_at_once))
        with tansu_broker() as bootstrap:
            kafka = KafkaResource(bootstrap_servers=bootstrap, session_timeout_ms=2000, poll_timeout_s=0.2)
            topic = _ingest_settings().topic("ingest")
            kafka.create_topic(topic, partitions=2)
            t = time.perf_counter()
            kafka.produce_all(topic, values, keys=[str(i % 2).encode() for i in range(len(values))])
            print(f"run {run}: produced to the broker in {time.perf_counter() - t:.1f} s (not part of the end-to-end figure)")
            broker_before = broker_cpu_s()
            ingest_s, ingest_user, ingest_system, hours = ingest_pool.submit(run_ingest, bootstrap).result()
            ingest_cpu = (ingest_user, ingest_system, broker_cpu_s() - broker_before)
            started = time.perf_counter()
            per_hour = list(hour_pool.map(run_hour, hours))
            total_s = ingest_s + time.perf_counter() - started
    size = sum(len(v) for v in values)
    events = sum(hour[2] for hour in per_hour)
    print(f"ingest (landing + backups + commits): {ingest_s:.1f} s = {len(values) / ingest_s:,.0f} messages/s, "
          f"{size / ingest_s / 1e6:,.0f} MB/s; CPU user {ingest_cpu[0]:.1f} s + system {ingest_cpu[1]:.1f} s "
          f"(the broker: {ingest_cpu[2]:.1f} s more)")
    print(f"hours {len(hours)} ({opts.hours_at_once} at a time, {opts.workers} parse workers each): " + ", ".join(
        f"{h[11:]} {s:.1f} s (step process CPU {own:.1f} s, machine busy {busy:.1f} core-s)" for h, s, _, own, busy in per_hour))
    print(f"end to end: {events} events (audit events included) in {total_s:.1f} s = {opts.events / total_s:,.0f} "
          f"produced events/s (target >= 50k)")
    shutil.rmtree(work, ignore_errors=True)
    return total_s


if __name__ == "__main__":
    main()
