"""Stable job IDs: the same across restarts, different for different registrations.

An ID is derived from what the job does and when: the callable's qualified name, the
schedule in words, and a short hash of its arguments. Arguments count by value when they
are plain data and by type otherwise, since an object's repr usually holds its address.
`do(queue.push, rebuild_report, 1)` is named after `rebuild_report`, not after `push`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

_PUSH_METHODS = {"push": 0, "push_at": 1, "push_in": 1}


def derive_job_id(job_func: functools.partial, schedule_words: str) -> str:
    target, args, kwargs = _unwrap(job_func)
    parts = [callable_name(target), _slug(schedule_words)]
    if args or kwargs:
        parts.append(_digest(args, kwargs))
    return ":".join(parts)


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


def callable_name(target: Any) -> str:
    """'cleanup', 'Reports.rebuild', 'Scheduler.run.lambda': readable, without addresses."""
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if name is None:
        name = type(target).__qualname__
    name = name.replace("<locals>.", "").replace("<lambda>", "lambda")
    return re.sub(r"[^A-Za-z0-9_.]+", "_", name)


def _slug(words: str) -> str:
    words, _, zone = words.lower().partition(" (")
    zone = re.sub(r"[^a-z0-9]+", "-", zone).strip("-")
    if words.startswith("cron "):
        # Fields verbatim and apart: "*/15 * * * *" and "15 * * * *" must not meet.
        fields = [re.sub(r"[^a-z0-9*/,\-]+", "", field) for field in words.split()[1:]]
        slug = "cron-" + "_".join(fields)
    else:
        slug = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    return f"{slug}-{zone}" if zone else slug


def _digest(args: tuple, kwargs: dict) -> str:
    text = _stable((args, sorted(kwargs.items())))
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _stable(value: Any) -> str:
    if isinstance(value, (str, int, float, bool, type(None), decimal.Decimal, enum.Enum)):
        return repr(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_stable(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted((_stable(k), _stable(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_stable(item) for item in value)) + "}"
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"
