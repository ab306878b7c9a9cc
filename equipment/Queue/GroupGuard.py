"""When a worker is killed, the processes its running job started end too.

`kill -9` of the worker, or the OOM killer, gives it no time to end anything: its work
horse dies with it (`ParentDeath`), but what the job started (`Leftovers`) ran on. A guard,
a small child the worker forks at its first job, waits for the worker's death (the kernel's
parent-death signal; elsewhere a thread watching the parent) and then ends the process
group of the job that was running, naming it in a warning. The worker tells the guard which
job that is through memory they share (`watch` when a horse is forked, `clear` once the
horse's leftovers are ended); the guard touches nothing while the worker lives.
"""

from __future__ import annotations

import json
import mmap
import os
import signal
import struct
import traceback
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from equipment.Queue.Leftovers import Ended, end_group
from equipment.Queue.ParentDeath import die_with_parent

#: What the guard does with a job's leftovers: (the job's log fields, what was ended).
OnEnded = Callable[[dict[str, Any], Ended], None]

_HEADER = struct.Struct("<iI")  # the job's process group, then the length of its fields
_SIZE = mmap.PAGESIZE
_QUIET = [s for s in (signal.SIGINT, getattr(signal, "SIGHUP", None)) if s is not None]


class GroupGuard:
    def __init__(self, on_ended: OnEnded) -> None:
        self.on_ended = on_ended
        self.worker_pid = os.getpid()
        self.pid = 0  # the guard's; 0 before it is started and after it is stopped
        self._shared = mmap.mmap(-1, _SIZE)  # shared with the guard across fork

    def watch(self, pgid: int, extra: dict[str, Any]) -> None:
        """The job now running leads group `pgid`; `extra` names it in the warning."""
        fields = json.dumps(extra).encode()
        if _HEADER.size + len(fields) > _SIZE:  # a huge run ID, say: the rest says enough
            short = {name: str(extra.get(name))[:200] for name in ("rq_job_id", "function")}
            fields = json.dumps(short).encode()  # ASCII (escaped): 2,400 bytes at most
        self._shared[_HEADER.size : _HEADER.size + len(fields)] = fields
        self._shared[: _HEADER.size] = _HEADER.pack(pgid, len(fields))

    def clear(self) -> None:
        self._shared[: _HEADER.size] = _HEADER.pack(0, 0)

    def watched(self) -> tuple[int, dict[str, Any]]:
        pgid, length = _HEADER.unpack(self._shared[: _HEADER.size])
        if not pgid:
            return 0, {}
        return pgid, json.loads(self._shared[_HEADER.size : _HEADER.size + length])

    def ensure_running(self) -> None:
        """Fork the guard unless it runs (it may have been killed: a new one then)."""
        if self.pid and not _reaped(self.pid):
            return
        self.clear()
        # Born with SIGTERM blocked: the worker's own SIGTERM handler never runs in the guard.
        saved = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            pid = os.fork()
            if pid == 0:
                _run_then_exit(self._serve)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, saved)
        self.pid = pid

    def stop(self) -> None:
        """End the guard (it holds nothing) and reap it; only the worker that forked it."""
        if not self.pid or os.getpid() != self.worker_pid:
            return
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.pid = 0

    def _serve(self) -> None:
        """In the guard: wait for the worker's death, then end the watched job's group.

        Ctrl-C and a hang-up reach the whole terminal's group: they are the worker's to
        handle. A SIGTERM while the worker lives (one sent to the group) changes nothing.
        """
        for signum in _QUIET:
            signal.signal(signum, signal.SIG_IGN)
        die_with_parent(signal.SIGTERM, self.worker_pid)
        while os.getppid() == self.worker_pid:
            signal.sigwait({signal.SIGTERM})
        pgid, extra = self.watched()
        if pgid:
            self.on_ended(extra, end_group(pgid, spare=pgid))  # the horse dies on its own


def _reaped(pid: int) -> bool:
    """Whether our child `pid` has ended (and is now reaped)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _run_then_exit(serve: Callable[[], None]) -> None:
    """A forked child never returns into the worker's code."""
    code = 0
    try:
        serve()
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)
