"""The peak resident set of this process's own memory image, in MB.

Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that figure across ``exec``, so a child
started by a benchmark that had generated gigabytes of test data reports the parent's peak, not
its own. ``VmHWM`` belongs to the memory image the process runs now."""

import resource


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
