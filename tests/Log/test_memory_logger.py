"""MemoryLogger: what a test reads back."""

from equipment.Log.MemoryLogger import MemoryLogger


def test_a_subclass_that_overrides_log_sees_every_line() -> None:
    class Counting(MemoryLogger):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def log(self, level: int, msg: str, *args: object, **kwargs: object) -> None:
            self.calls += 1
            super().log(level, msg, *args, **kwargs)

    logger = Counting()
    logger.debug("a")
    logger.info("b %s", "c")
    logger.warning("d")

    assert logger.calls == 3
    assert logger.messages() == ["a", "b c", "d"]


def test_a_line_whose_arguments_do_not_fit_is_kept_not_raised() -> None:
    """The real logger prints a logging error and goes on: a job must not fail in a test
    for a line that production only reports. A mapping fills named fields, as there."""
    logger = MemoryLogger()
    logger.info("report %s of %s", 7)
    logger.info("%(missing)s", {"other": 1})
    logger.info("report %(id)s", {"id": 7})
    logger.info("total %d", "many", 2)

    assert logger.messages() == [
        "report %s of %s (7,) (not formatted: TypeError: not enough arguments for format string)",
        "%(missing)s {'other': 1} (not formatted: KeyError: 'missing')",
        "report 7",
        "total %d ('many', 2) (not formatted: TypeError: %d format: a real number is required, "
        "not str)",
    ]
