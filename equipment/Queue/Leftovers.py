"""A job's leftover processes: what still runs in its work horse's process group.

RQ runs each job in a work horse that leads a process group of its own (`os.setpgrp()`),
and whatever the job starts (`subprocess.Popen`, `multiprocessing.Process`, `os.fork`, and
their children in turn) joins that group. Once the horse has ended, the processes still in
the group are the job's leftovers: `end_group` asks them to stop (SIGTERM) and kills
(SIGKILL) those still running after `GRACE_SECONDS`. A process that left the group on
purpose (`start_new_session=True`, `os.setsid()`, a daemon's double fork) is not touched.

The group's ID is the horse's PID. While any process is in the group, the kernel does not
give that number to a new process, so signalling the group reaches the job's processes
only; the members are listed first and nothing is sent to an empty group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

GRACE_SECONDS = 2.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Ended:
    """The leftovers of one group: asked to stop, and killed after the grace period."""

    terminated: tuple[int, ...] = ()
    killed: tuple[int, ...] = ()


def end_group(pgid: int, *, grace: float = GRACE_SECONDS, spare: int | None = None) -> Ended:
    """Stop the processes in group `pgid`; `spare` (the horse, dying on its own) is signalled
    with the group but not counted as a leftover."""
    found = [pid for pid in group_members(pgid) if pid != spare]
    if not found:
        return Ended()
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = found
    while left and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)  # waiting on other processes to exit
        left = [pid for pid in group_members(pgid) if pid != spare]
    if left:
        _signal_group(pgid, signal.SIGKILL)
    return Ended(tuple(found), tuple(left))


def group_members(pgid: int) -> list[int]:
    """The live processes (zombies left out) in group `pgid`, in PID order."""
    try:
        os.killpg(pgid, 0)  # one call answers the usual case: nobody is left
    except ProcessLookupError:
        return []
    except PermissionError:
        pass  # a member runs as another user: it exists
    if os.path.isdir("/proc/self"):
        return sorted(_proc_members(pgid))
    return sorted(_ps_members(pgid))


def _proc_members(pgid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended while the list was read
        if fields[2] == str(pgid).encode() and fields[0] != b"Z":
            found.append(int(name))
    return found


def _ps_members(pgid: int) -> list[int]:
    listing = subprocess.run(
        ["ps", "-A", "-o", "pid=", "-o", "pgid=", "-o", "stat="],
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == str(pgid) and not fields[2].startswith("Z"):
            found.append(int(fields[0]))
    return found


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # all gone already, or one runs as another user (the others still get it)
