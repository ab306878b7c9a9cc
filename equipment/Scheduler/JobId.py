"""Stable job IDs: the same wherever the same code registers the same job.

An ID is derived from what the job does and when: the callable's qualified name and the
schedule in words (`rebuild_report:every-hour`). `do(queue.push, rebuild_report, 1)` is
named after `rebuild_report`, not after `push`. Arguments never enter an ID, in clear or
hashed: an ID is in every log line, and a hash of a secret argument would let a reader of
the logs test guesses of it. Jobs that would share an ID (the same function on the same
schedule with other arguments) are told apart by the order the code registers them in:
the second is `rebuild_report:every-hour#2`. Give such jobs a `.name()` to keep their IDs
when that order changes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

_PUSH_METHODS = {"push": 0, "push_at": 1, "push_in": 1}


def derive_job_id(job_func: functools.partial, schedule_words: str) -> str:
    target, _, _ = _unwrap(job_func)
    return f"{callable_name(target)}:{_slug(schedule_words)}"


def twin_id(job_id: str, ordinal: int) -> str:
    """The ID of the `ordinal`-th job (from 2) registered under the same derived ID."""
    return f"{job_id}#{ordinal}"


def is_queue_push(job_func: functools.partial) -> bool:
    """Whether the job is `do(queue.push, fn, ...)` (or push_at, push_in), even in a partial."""
    target, _, _ = _flatten(job_func)
    return _push_position(target) is not None


def _unwrap(job_func: functools.partial) -> tuple[Callable[..., Any], tuple, dict]:
    """The callable a job is named after: for a queue push, the pushed function."""
    target, args, kwargs = _flatten(job_func)
    position = _push_position(target)
    if position is not None and len(args) > position:
        return args[position], args[:position] + args[position + 1 :], kwargs
    return target, args, kwargs


def _flatten(job_func: functools.partial) -> tuple[Callable[..., Any], tuple, dict]:
    """The innermost callable of nested partials, with all their arguments."""
    target, args, kwargs = job_func.func, tuple(job_func.args), dict(job_func.keywords)
    while isinstance(target, functools.partial):
        args = tuple(target.args) + args
        kwargs = {**target.keywords, **kwargs}
        target = target.func
    return target, args, kwargs


def _push_position(target: Any) -> int | None:
    """Where the pushed function sits in the arguments, if `target` is a queue's push method."""
    position = _PUSH_METHODS.get(getattr(target, "__name__", ""))
    if position is None or not _is_queue(getattr(target, "__self__", None)):
        return None
    return position


def _is_queue(owner: Any) -> bool:
    from equipment.Queue.AbstractQueue import AbstractQueue

    return isinstance(owner, AbstractQueue)


_NOT_NAME = re.compile(r"[^A-Za-z0-9_.]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_NOT_CRON = re.compile(r"[^a-z0-9*/,\-]+")


def callable_name(target: Any) -> str:
    """'cleanup', 'Reports.rebuild', 'Scheduler.run.lambda': readable, without addresses."""
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if name is None:
        name = type(target).__qualname__
    return _clean_name(name)


@functools.lru_cache(maxsize=4096)
def _clean_name(name: str) -> str:
    name = name.replace("<locals>.", "").replace("<lambda>", "lambda")
    return _NOT_NAME.sub("_", name)


@functools.lru_cache(maxsize=4096)
def _slug(words: str) -> str:
    words, _, zone = words.lower().partition(" (")
    zone = _NOT_SLUG.sub("-", zone).strip("-")
    if words.startswith("cron "):
        # Fields verbatim and apart: "*/15 * * * *" and "15 * * * *" must not meet.
        fields = [_NOT_CRON.sub("", field) for field in words.split()[1:]]
        slug = "cron-" + "_".join(fields)
    else:
        slug = _NOT_SLUG.sub("-", words).strip("-")
    return f"{slug}-{zone}" if zone else slug
