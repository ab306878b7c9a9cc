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
