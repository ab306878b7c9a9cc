"""A push scope entered again inside itself keeps the outer run's pushes."""

from equipment.Queue.RunContext import PushScope, enter_run, leave_run, note_push, push_scope


def test_the_outer_run_still_knows_its_last_push() -> None:
    scope = PushScope("report@2026-03-01T03:00:00Z")
    outer = enter_run(scope)
    note_push("outer-1")
    inner = enter_run(scope)
    note_push("inner-1")

    assert leave_run(inner) == "inner-1"
    assert leave_run(outer) == "outer-1"


def test_a_scope_entered_again_later_starts_with_no_pushes() -> None:
    scope = PushScope("report@2026-03-01T03:00:00Z")
    with push_scope(scope):
        note_push("first")
    entered = enter_run(scope)

    assert leave_run(entered) is None
