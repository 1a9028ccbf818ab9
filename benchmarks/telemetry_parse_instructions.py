"""Benchmark: CPU instructions per event for reading an hour's events (``parse_chunk``), counted by
valgrind, so that a change can be judged on this project's VM, whose speed moves by a third or
more between half hours (wall and CPU seconds of the same code differ more than most changes do).

    .venv/bin/python benchmarks/telemetry_parse_instructions.py [--messages 20] [--repeat 2]

Generates the throughput benchmark's events (~1 KB, every eid, 1 % invalid, 1 % re-sent), then runs
itself twice under ``valgrind --tool=callgrind``: once parsing nothing, once parsing ``--messages``
batches ``--repeat`` times after a warm-up; the difference of the two instruction totals over the
events parsed is the figure. It counts instructions, not time: memory stalls are not in it.
Prints figures; asserts nothing.
"""

import argparse
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

NOW_MS = 1_800_000_000_000


def parse(values_file: str, messages: int, repeat: int) -> None:
    """What runs under valgrind: a warm-up chunk, then ``repeat`` chunks of ``messages`` batches."""
    import gc

    from platform_assets.telemetry.extraction import SourceMessage
    from platform_assets.telemetry.hour_processing import parse_chunk
    from platform_assets.telemetry.validation import shipped_validator

    gc.disable()  # as in the hour step (gc_pause)
    values = pickle.loads(Path(values_file).read_bytes())
    batch = [SourceMessage("bench", 0, i, None, value) for i, value in enumerate(values)]
    validator = shipped_validator()
    parse_chunk(batch[:messages], validator, NOW_MS, "bench")
    for _ in range(repeat):
        parse_chunk(batch[messages:], validator, NOW_MS, "bench")


def instructions(values_file: str, messages: int, repeat: int) -> int:
    run = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          __file__, "--inner", values_file, "--messages", str(messages), "--repeat", str(repeat)],
                         capture_output=True, text=True, check=True)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", run.stderr).group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20, help="batches (of 100 events) per timed chunk")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.inner:
        parse(opts.inner, opts.messages, opts.repeat)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    from telemetry_throughput import make_batches

    values = make_batches(2 * opts.messages * 100, 100, NOW_MS - 3_600_000, 1)
    with tempfile.NamedTemporaryFile(suffix=".pickle") as file:
        file.write(pickle.dumps(values))
        file.flush()
        idle = instructions(file.name, opts.messages, 0)
        busy = instructions(file.name, opts.messages, opts.repeat)
    events = opts.messages * 100 * opts.repeat
    print(f"parse_chunk: {(busy - idle) / events:,.0f} instructions per event "
          f"({busy - idle:,} for {events} events in {opts.repeat} chunks of {opts.messages} batches; "
          f"the process without them: {idle:,})")


if __name__ == "__main__":
    main()
