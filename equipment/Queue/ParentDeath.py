"""A worker's children end with it: its work horse, RQ's scheduler process, and the group
guard (`GroupGuard`), which then ends what the running job started.

Killed with SIGKILL (or by the OOM killer), a worker cannot stop its children, and they
ran on for minutes, the scheduler child holding the scheduler lock. Each child asks the
kernel for a signal when its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`); elsewhere a
daemon thread watches the parent's pid. Either way the parent is checked once right after,
in case it died before the request was made.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5


def die_with_parent(signum: int, parent_pid: int) -> None:
    """Deliver `signum` to this process when `parent_pid` (its parent) ends."""
    if not (sys.platform.startswith("linux") and _prctl_pdeathsig(signum)):
        threading.Thread(target=_watch, args=(signum, parent_pid), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the request
        os.kill(os.getpid(), signum)


def _prctl_pdeathsig(signum: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(signum: int, parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os.kill(os.getpid(), signum)
