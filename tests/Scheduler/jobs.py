"""Module-level job functions for scheduler tests (importable, as real jobs must be)."""

calls: list[str] = []


def cleanup() -> None:
    calls.append("cleanup")


def rebuild_report(report_id: int) -> None:
    calls.append(f"rebuild_report({report_id})")


def explode() -> None:
    raise RuntimeError("the report database is gone")
