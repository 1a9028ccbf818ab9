"""Which expected streaming jobs are not running, from the cluster's job list. No Dagster import."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALIVE = frozenset({"RUNNING", "CREATED", "INITIALIZING", "RESTARTING"})


@dataclass(frozen=True)
class Incident:
    """An expected job that is not running: its newest run's state (or MISSING) and id."""

    job_name: str
    state: str
    job_id: str | None

    @property
    def key(self) -> str:
        """Stable while the situation is unchanged: one reaction per incident."""
        return f"{self.state}:{self.job_id or '-'}"


def incidents(jobs: Sequence[Mapping[str, Any]], expected: Sequence[str]) -> dict[str, Incident]:
    """For every expected job name with no live job: what happened to its newest run."""
    found: dict[str, Incident] = {}
    for name in expected:
        runs = [j for j in jobs if j.get("name") == name]
        if any(j.get("state") in ALIVE for j in runs):
            continue
        newest = max(runs, key=lambda j: j.get("start-time", 0), default=None)
        found[name] = (
            Incident(name, newest["state"], newest["jid"])
            if newest
            else Incident(name, "MISSING", None)
        )
    return found


def job_states(jobs: Sequence[Mapping[str, Any]], expected: Sequence[str]) -> dict[str, str]:
    """Each expected job's state as an operator reads it: a live run's state if there is one,
    else its newest run's (FAILED, CANCELED, FINISHED...), else MISSING."""
    states: dict[str, str] = {}
    for name in expected:
        runs = [j for j in jobs if j.get("name") == name]
        alive = [j for j in runs if j.get("state") in ALIVE]
        newest = max(alive or runs, key=lambda j: j.get("start-time", 0), default=None)
        states[name] = str(newest["state"]) if newest else "MISSING"
    return states
