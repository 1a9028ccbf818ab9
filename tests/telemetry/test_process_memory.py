"""retain_freed_memory: freed heap memory stays in the process for the next micro-batch."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # no external service: make test-fast

ROOT = Path(__file__).resolve().parents[2]

ROUNDS = textwrap.dedent("""
    import resource, sys
    sys.path.insert(0, {root!r})
    from platform_assets.telemetry.process_memory import retain_freed_memory
    if {retain}:
        assert retain_freed_memory() is True and retain_freed_memory() is True  # once per process, then cached
    def round_trip():  # a micro-batch: 400 messages of 100 KB, touched, then all freed
        values = [bytes(100_000) for _ in range(400)]
        return sum(len(v) for v in values)
    round_trip()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        round_trip()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def faults(retain: bool) -> int:
    out = subprocess.run([sys.executable, "-c", ROUNDS.format(root=str(ROOT), retain=retain)],
                         capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_batches_are_reused_instead_of_faulted_in_again():
    kept, returned = faults(retain=True), faults(retain=False)
    # 20 rounds x 40 MB: returned to the OS each round that is ~10k page faults per round
    assert returned > 50_000 and kept < returned / 10, (kept, returned)
