import dataclasses
import functools
import gc
import sys
import threading
import weakref

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Queue.Pushable import (
    describe,
    why_not_callable_with,
    why_not_picklable,
    why_not_portable,
)
from tests.Queue import jobs


def test_module_level_function_is_portable():
    assert why_not_portable(jobs.record) is None
    assert describe(jobs.record) == "tests.Queue.jobs.record"


def test_builtin_and_bound_method_are_portable():
    assert why_not_portable(len) is None
    assert why_not_portable(jobs.Greeter("k").greet) is None


def test_lambda_is_not():
    assert "lambda" in why_not_portable(lambda: None)


def test_nested_function_is_not():
    assert "defined inside a function" in why_not_portable(jobs.make_nested())


def test_function_not_reachable_at_top_level_is_not():
    assert "no top-level renamed" in why_not_portable(jobs.alias)


def test_main_module_function_is_not():
    def fake() -> None:
        return None

    fake.__module__ = "__main__"
    fake.__qualname__ = "fake"
    assert "__main__" in why_not_portable(fake)


def test_class_and_non_callable_are_not():
    assert "class" in why_not_portable(jobs.Greeter)
    assert "not callable" in why_not_portable(42)


def test_unpicklable_arguments():
    assert why_not_picklable((1, "a"), {"b": [1]}) is None
    assert "argument 2 cannot be pickled" in why_not_picklable((1, threading.Lock()), {})
    assert "argument cb= cannot be pickled" in why_not_picklable((), {"cb": lambda: 1})


def test_a_test_logger_among_the_arguments_is_taken_as_pickling_and_the_others_still_checked():
    log = MemoryLogger()
    assert why_not_picklable((log, "text", 3), {}) is None
    problem = why_not_picklable((log, threading.Lock()), {})
    assert problem is not None and problem.startswith("argument 2 cannot be pickled")


def test_a_subclass_of_the_test_logger_is_pickled_to_check_it():
    class Holding(MemoryLogger):
        def __reduce__(self):  # state of its own that does not pickle
            return (Holding, (threading.Lock(),))

    assert "argument 1 cannot be pickled" in why_not_picklable((Holding(),), {})


def _in_main(monkeypatch, obj):
    """`obj` as if the script being run had defined it (pickle finds it in `__main__`)."""
    obj.__module__ = "__main__"
    obj.__qualname__ = obj.__name__
    monkeypatch.setattr(sys.modules["__main__"], obj.__name__, obj, raising=False)
    return obj


def test_an_argument_of_a_class_of_the_script_being_run_is_not(monkeypatch):
    @dataclasses.dataclass
    class Order:
        id: int

    _in_main(monkeypatch, Order)
    problem = why_not_picklable(("text", [Order(1)]), {})
    assert problem is not None
    assert problem.startswith("argument 2 refers to __main__.Order")
    assert "script being run" in problem
    assert "argument key= refers to __main__.Order" in why_not_picklable((), {"key": Order})


def test_a_partial_of_a_function_of_the_script_being_run_is_not(monkeypatch):
    def export(n: int) -> None:
        return None

    _in_main(monkeypatch, export)
    problem = why_not_portable(functools.partial(export, 1))
    assert problem is not None
    assert problem.startswith("the callable object refers to __main__.export")


def test_the_text_main_among_the_arguments_is_no_reference():
    assert why_not_picklable((["__main__"], {"__main__": b"__main__"}), {}) is None


def test_a_call_that_fits_the_signature_is_fine():
    assert why_not_callable_with(jobs.record, ("k",), {"value": "v"}) is None
    assert why_not_callable_with(jobs.Greeter("k").greet, (), {}) is None
    assert why_not_callable_with(functools.partial(jobs.record, "k"), ("v",), {}) is None
    assert why_not_callable_with(print, (1, 2), {"sep": ","}) is None


def test_a_call_that_does_not_fit_says_why():
    assert "unexpected keyword argument 'valu'" in why_not_callable_with(
        jobs.record, ("k",), {"valu": "v"}
    )
    assert "missing a required argument: 'key'" in why_not_callable_with(jobs.record, (), {})
    assert "too many positional" in why_not_callable_with(jobs.Greeter("k").greet, (1,), {})


def test_the_answer_kept_for_a_call_shape_is_that_shapes_own():
    """Kept by function, argument count and keyword names (binding is costly), so each
    shape asked again gets its own answer, not another's."""
    for _ in range(2):
        assert why_not_callable_with(jobs.record, ("k",), {"value": "v"}) is None
        assert "'valu'" in why_not_callable_with(jobs.record, ("k",), {"valu": "v"})
        assert why_not_callable_with(jobs.record, ("k", "v"), {}) is None
        assert "too many" in why_not_callable_with(jobs.record, ("k", "v", 3), {})
        assert why_not_callable_with(jobs.Greeter("k").greet, (), {}) is None
        assert "too many" in why_not_callable_with(jobs.Greeter("k").greet, (1,), {})


def test_a_closure_asked_about_is_not_kept_alive():
    """The answers are kept per function, but a closure (what a sync-driver push of a
    lambda is) is made anew at each call: kept, it held what it captured (a request, a
    batch of rows) for as long as the process ran, up to 10,000 of them."""

    class Payload:
        pass

    def handle() -> weakref.ref:
        payload = Payload()
        assert why_not_callable_with(lambda: payload, (), {}) is None
        assert why_not_callable_with(lambda x: payload, (1,), {"y": 2}) is not None
        return weakref.ref(payload)

    gone = handle()
    gc.collect()
    assert gone() is None


def test_an_rq_option_the_function_does_not_take_says_where_the_options_are():
    problem = why_not_callable_with(jobs.record, ("k",), {"job_id": "x", "at_front": True})
    assert problem.endswith(
        "; at_front= is an option of RQ's enqueue, which push passes to the function: "
        "the queue's own options are retry= and job_timeout="
    )


def test_a_decorated_function_is_held_to_its_wrapper_which_may_take_more():
    def injecting(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            kwargs.pop("session", None)
            return fn(*args, **kwargs)

        return wrapper

    assert why_not_callable_with(injecting(jobs.record), ("k",), {"session": 1}) is None


def test_a_callable_without_a_signature_to_read_is_not_held_to_one():
    class NoSignature:
        __signature__ = "not a signature"  # inspect.signature raises TypeError

        def __call__(self, *args):
            return None

    assert why_not_callable_with(NoSignature(), (1, 2), {"x": 1}) is None
