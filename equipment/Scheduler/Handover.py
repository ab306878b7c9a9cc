"""How late an occurrence may still run when a scheduler starts, or a replica takes the
lead, after another one: what keeps a deploy from losing runs, and never runs one twice.

A scheduler that stops cleanly ends its heartbeat span with a goodbye, written once every
run it began is recorded, and stores with it when its stop began (the stop signal). So an
occurrence after the last one it recorded for a job ran nowhere, and may run late:

- after a goodbye at most `GAP` before this start or takeover (a restart, a deploy, a
  handover), the latest one that fell due since that scheduler's stop began runs now: it
  started nothing from then on, though a job it was finishing kept it alive for up to
  `shutdown_grace`;
- after an older goodbye (a downtime), one due at most `LATE` ago runs; the rest follow
  each job's catch-up rule (missed by default);
- after a crash (no goodbye), none at a start: it may have been running when the process
  died. At a takeover, one due at most `LATE` ago (or since the stop of a replica that
  said goodbye within `GAP`, a standby's as well: a takeover cannot tell which led), the
  dead leader's claims keep it from running twice.

The latest due one runs, once; the ones before it are missed, as after any gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from equipment.Scheduler.State.StateStore import HeartbeatSpan

#: A clean handover (the leader gives back what it claimed ahead, releases the lease, a
#: standby polling every 0.5 s takes it) or a quick restart leaves a gap about this long.
LATE = dt.timedelta(seconds=1)
#: A start or takeover at most this long after a goodbye goes on from that stop (a
#: process restarted by its supervisor, a container replaced) rather than after a downtime.
GAP = dt.timedelta(seconds=10)


def late_at_start(spans: Iterable[HeartbeatSpan], now: dt.datetime) -> dt.timedelta:
    """At a start: the spans of the schedulers before this one (not its own)."""
    last = max(spans, key=lambda span: span.last_beat, default=None)
    if last is None or not last.stopped:
        return dt.timedelta(0)
    return _after_goodbye(last, now)


def late_at_takeover(spans: Iterable[HeartbeatSpan], now: dt.datetime) -> dt.timedelta:
    """At a takeover: the spans of the other replicas. Standbys beat on, and one may stop
    after the leader did (a rolling deploy stops them all): the leader's goodbye is not
    the newest one, so the window is that of the recent goodbye whose stop began first.
    A larger one runs nothing twice: the leader's claims keep what it began its own."""
    return max(
        (_after_goodbye(span, now) for span in spans if span.stopped), default=LATE
    )


def _after_goodbye(span: HeartbeatSpan, now: dt.datetime) -> dt.timedelta:
    if span.stop_began is None or now - span.last_beat > GAP:
        return LATE
    return max(LATE, now - span.stop_began + LATE)
