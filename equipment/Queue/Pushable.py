"""What a worker on another process (or machine) can run: the rules, checked at push time.

A Redis job stores the function by name (`module.qualname`) and its arguments pickled; a
worker imports the name and unpickles the arguments. So the function must be reachable by
importing its module and reading a top-level attribute, and every argument must pickle.
The redis driver refuses a push that breaks these rules; the sync driver runs it anyway and
warns, so the mistake shows on a laptop before it fails in production.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import pickle
from collections.abc import Callable
from typing import Any

from equipment.Log.MemoryLogger import MemoryLogger


def describe(fn: Any) -> str:
    """The one name of a pushed callable, in the pusher's log lines and the worker's (it
    travels in `job.meta["function"]`): `module.qualname`, so a bound method is
    `module.Class.method`; a partial is named after the function it wraps, a callable
    object after its class; anything else by its repr."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    target = getattr(fn, "__func__", fn)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if module and qualname:
        return f"{module}.{qualname}"
    if callable(fn):
        return f"{type(fn).__module__}.{type(fn).__qualname__}"
    return repr(fn)


def why_not_portable(fn: Any) -> str | None:
    """None when a worker can import `fn`; otherwise the reason, as a phrase for a log line."""
    if not callable(fn):
        return f"{fn!r} is not callable"
    if inspect.isclass(fn):
        return "a class cannot be queued; queue a module-level function that uses it"
    if inspect.ismethod(fn):
        owner = fn.__self__
        return _not_importable(owner if inspect.isclass(owner) else type(owner)) or _unpicklable(
            owner, "the object the method is bound to"
        )
    if inspect.isfunction(fn) or inspect.isbuiltin(fn):
        return _function_problem(fn)
    return _not_importable(type(fn)) or _unpicklable(fn, "the callable object")


def why_not_picklable(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """None when the arguments pickle (what RQ stores); otherwise the reason. Values of
    the types that always pickle are not pickled to know it (a test's logger is pushed
    along with every job of the template: see `_ALWAYS_PICKLE`)."""
    unknown = [value for value in args if type(value) not in _ALWAYS_PICKLE]
    if not unknown and not kwargs:
        return None
    if _unpicklable((unknown, kwargs), "") is None:  # the usual case, in one pickling
        return None
    for position, value in enumerate(args):
        problem = _unpicklable(value, f"argument {position + 1}")
        if problem:
            return problem
    for name, value in kwargs.items():
        problem = _unpicklable(value, f"argument {name}=")
        if problem:
            return problem
    return None


def why_not_queueable(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why a worker could not run `fn(*args, **kwargs)` as pushed, if it could not: the
    function is not importable there, the call does not fit it, or the arguments do not
    pickle. The redis driver refuses the push for it."""
    return (
        why_not_portable(fn)
        or why_not_callable_with(fn, args, kwargs)
        or why_not_picklable(args, kwargs)
    )


#: RQ's own `enqueue` options: a push passes them to the function (only `retry=` and
#: `job_timeout=` are the queue's), so one the function does not take is named as such.
RQ_OPTIONS = frozenset(
    {
        "at_front",
        "depends_on",
        "description",
        "failure_ttl",
        "job_id",
        "meta",
        "on_failure",
        "on_success",
        "queue",
        "result_ttl",
        "timeout",
        "ttl",
    }
)


def why_not_callable_with(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """None when `fn(*args, **kwargs)` fits `fn`'s signature (or it has none to read);
    otherwise the reason: a worker would fail the job with a TypeError before any of it ran.

    The signature is the callable's own, not the one a decorator's `functools.wraps` copies
    from the function it wraps: the wrapper may take more (`(*args, **kwargs)` takes all).
    Whether a call fits depends on how many arguments it has and the keywords' names only,
    so for a plain function (or a method of one) the answer is kept under those: a
    scheduler pushes the same few calls again and again, and binding costs some 250
    bytecodes a push. Only a function its module holds is kept: a closure or a lambda is
    made anew at each call, and kept, it would hold what it captured."""
    target, count = fn, len(args)
    if inspect.ismethod(fn) and inspect.isfunction(fn.__func__):
        target, count = fn.__func__, count + 1
    if not inspect.isfunction(target):  # a partial, a class, a callable object: each time
        return _misfit(fn, args, kwargs)
    shape = (target, count, *kwargs)
    try:
        return _misfits[shape]
    except KeyError:
        pass
    reason = _misfit(fn, args, kwargs)
    if len(_misfits) < 10_000 and _held_by_its_module(target):
        _misfits[shape] = reason
    return reason


def _held_by_its_module(fn: Any) -> bool:
    """Whether `fn` is its module's own top-level function (or a method of one of its
    classes), which the module keeps alive anyway."""
    return _resolve(getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")) is fn


#: `why_not_callable_with`'s answers for plain functions, by call shape.
_misfits: dict[tuple[Any, ...], str | None] = {}


def _misfit(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    try:
        signature = inspect.signature(fn, follow_wrapped=False)
    except (TypeError, ValueError):  # none to read (some builtins)
        return None
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        return f"it cannot be called with these arguments ({exc}){_option_hint(kwargs, signature)}"
    return None


def _option_hint(kwargs: dict[str, Any], signature: inspect.Signature) -> str:
    """For an RQ option the function does not take: where the push's options are."""
    misplaced = sorted(
        name for name in kwargs if name in RQ_OPTIONS and name not in signature.parameters
    )
    if not misplaced:
        return ""
    return (
        f"; {misplaced[0]}= is an option of RQ's enqueue, which push passes to the function: "
        "the queue's own options are retry= and job_timeout="
    )


#: Types whose every value pickles: plain scalars, and a test's `MemoryLogger`, which
#: pickles as its level (its `__reduce__`), wherever it goes.
_ALWAYS_PICKLE = frozenset({str, int, float, bool, bytes, type(None), MemoryLogger})


def why_result_not_stored(result: Any) -> str | None:
    """None when a job's return value pickles, as RQ stores it; otherwise the reason (RQ
    then keeps `UNSERIALIZABLE` as the result, and says nothing)."""
    if result is None:
        return None
    return _unpicklable(result, f"its return value ({type(result).__name__})")


#: What RQ keeps as the result of a job whose return value cannot be pickled (its
#: `rq.defaults.UNSERIALIZABLE_RETURN_VALUE_PAYLOAD`, not imported: the sync queue needs no RQ).
UNSERIALIZABLE = "Unserializable return value"


_checked: dict[Any, str | None] = {}


def _function_problem(fn: Callable[..., Any]) -> str | None:
    """Plain functions are checked once: a scheduler pushes the same few again and again."""
    try:
        return _checked[fn]
    except KeyError:
        pass
    problem = _not_importable(fn)
    if problem is None and len(_checked) < 10_000:
        _checked[fn] = None  # only successes: a failure may be fixed by a later import
    return problem


def _not_importable(obj: Callable[..., Any] | type) -> str | None:
    name = getattr(obj, "__name__", "")
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", name)
    if name == "<lambda>":
        return "it is a lambda; a worker can only import named module-level functions"
    if "<locals>" in qualname:
        return (
            f"{qualname} is defined inside a function; "
            "a worker can only import module-level functions"
        )
    if module in (None, "__main__"):
        return (
            f"{qualname} lives in __main__ (the script being run); a worker imports functions "
            "by module name, so move it into an importable module"
        )
    if _resolve(module, qualname) is not obj:
        return (
            f"{module} has no top-level {qualname} that is this object "
            "(created dynamically, or replaced by a decorator without functools.wraps?)"
        )
    return None


def _resolve(module_name: str | None, qualname: str) -> Any:
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except Exception:  # an import error of any kind means "not reachable"
        return None
    return target


def _unpicklable(value: Any, what: str) -> str | None:
    """Why a worker could not load `value`: it does not pickle, or it pickles a class or a
    function of `__main__` by name, which the worker's own `__main__` (queues.py) lacks."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickle raises TypeError, AttributeError, PicklingError...
        return f"{what} cannot be pickled ({type(exc).__name__}: {exc})"
    if b"__main__" not in data:  # the usual case: no second pickling
        return None
    name = _main_reference(value)
    if name is None:
        return None
    return (
        f"{what} refers to __main__.{name}, which lives in the script being run; a worker "
        "imports it by module name and its own __main__ is a different script, so move it "
        "into an importable module"
    )


class _MainReferences(pickle.Pickler):
    """Pickles to nowhere, noting the first class or function it stores by name from
    `__main__` (an instance's class is stored so; lists, dicts and scalars are not asked)."""

    found: str | None = None

    def reducer_override(self, obj: Any) -> Any:
        if (
            self.found is None
            and (inspect.isclass(obj) or inspect.isroutine(obj))
            and getattr(obj, "__module__", None) == "__main__"
        ):
            self.found = getattr(obj, "__qualname__", None) or repr(obj)
        return NotImplemented


def _main_reference(value: Any) -> str | None:
    """The qualified name of a `__main__` class or function that pickling `value` names."""
    finder = _MainReferences(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        finder.dump(value)
    except Exception:  # it pickled a moment ago; a second try that fails says nothing
        return None
    return finder.found
