"""Is the scheduler healthy? One rule, for `equipment schedule health` and the status page.

Healthy when some scheduler process's heartbeat is at most `max_age` seconds late (and,
in this host's pid namespace, its pid is alive) and no job is stuck. A heartbeat promises
the next one (an idle loop sleeping an hour until its next job promises it for then: see
`Presence`), and is late only once that promise is broken; a heartbeat without a promise
(an older version's) is late from when it was written.
A job is stuck when a live process has been running it (its heartbeat names the run) for
longer than ten times the longest of its last 20 finished runs, and never less than
`stuck_after` seconds (default 300): a job that usually takes 2 s is stuck after 5
minutes, one that usually takes 10 minutes after 100.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from equipment.Scheduler.State.StateStore import ProcessInfo, StateStore

STUCK_FACTOR = 10
STUCK_AFTER = 300.0
USUAL_RUNS = 20


def stale_after(max_sleep: float) -> dt.timedelta:
    """How late past its promise a heartbeat is a dead process's: three times `max_sleep`,
    and never less than a minute (`health`'s default `--max-age`, the start-up check of
    other schedulers, and `schedule list`'s replicas all go by it)."""
    return max(dt.timedelta(minutes=1), 3 * dt.timedelta(seconds=max_sleep))


@dataclass
class Health:
    ok: bool
    reason: str
    #: One entry per process with a heartbeat: its ID, age of the beat, leader, running job.
    replicas: list[dict[str, object]] = field(default_factory=list)
    leader: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok, "reason": self.reason, "leader": self.leader,
            "replicas": self.replicas,
        }


def check(
    state: StateStore, now: dt.datetime, max_age: float, stuck_after: float = STUCK_AFTER
) -> Health:
    processes = sorted(state.processes(), key=lambda p: p.heartbeat_at, reverse=True)
    replicas = [_describe(p, now) for p in processes]
    allowance = dt.timedelta(seconds=max_age)
    fresh = [p for p in processes if p.is_alive(now, allowance)]  # (and its pid, if ours)
    leading = [p.process_id for p in fresh if p.leader]
    leader = leading[0] if len(leading) == 1 else None  # several: nobody is *the* leader
    if not processes:
        return Health(False, f"no scheduler heartbeat recorded in {state.location}")
    if not fresh:
        newest = processes[0]
        age = (now - newest.heartbeat_at).total_seconds()
        late = newest.lateness(now).total_seconds()
        if late <= max_age:  # not late: its pid is gone (a kill -9, a crash)
            return Health(
                False,
                f"scheduler process {newest.process_id} is gone: pid {newest.pid} no longer "
                f"runs on this host (its last heartbeat was {age:.0f} s ago)",
                replicas,
            )
        return Health(
            False,
            f"last scheduler heartbeat {age:.0f} s ago ({newest.process_id}), "
            f"{late:.0f} s later than it promised the next one, more than {max_age:g} s",
            replicas,
        )
    for process in fresh:
        stuck = _stuck(state, process, now, stuck_after)
        if stuck:
            return Health(False, stuck, replicas, leader)
    marked = leader if len(fresh) > 1 else None
    named = sorted(fresh, key=lambda p: p.process_id != marked)  # the leader first
    names = ", ".join(p.process_id + (" (leader)" if p.process_id == marked else "") for p in named)
    reason = f"{len(fresh)} scheduler(s) alive: {names}"
    if len(leading) > 1:  # uncoordinated (each leads alone), or a handover caught mid-way
        reason += f"; {len(leading)} of them say they lead: without coordination, each runs "
        reason += "every job"
    return Health(True, reason, replicas, leader)


def _describe(process: ProcessInfo, now: dt.datetime) -> dict[str, object]:
    return {
        "process_id": process.process_id,
        "heartbeat_age_seconds": round((now - process.heartbeat_at).total_seconds(), 3),
        "next_heartbeat_by": (process.next_beat_by or process.heartbeat_at).isoformat(),
        "leader": process.leader,
        "running_job": process.running_job,
    }


def _stuck(
    state: StateStore, process: ProcessInfo, now: dt.datetime, stuck_after: float
) -> str | None:
    if process.running_job is None or process.running_since is None:
        return None
    elapsed = (now - process.running_since).total_seconds()
    limit = stuck_limit(state, process.running_job, stuck_after)
    if elapsed <= limit:
        return None
    return (
        f"job {process.running_job} has been running for {elapsed:.0f} s on "
        f"{process.process_id}, more than {limit:.0f} s (10x its usual longest run, at least "
        f"{stuck_after:g} s): stuck"
    )


def stuck_limit(state: StateStore, job_id: str, stuck_after: float) -> float:
    durations = [
        row.duration
        for row in state.history(job_id, limit=USUAL_RUNS * 2)
        if row.duration is not None
    ][:USUAL_RUNS]
    usual = max(durations, default=0.0)
    return max(stuck_after, STUCK_FACTOR * usual)
