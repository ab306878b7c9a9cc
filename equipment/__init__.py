"""Equipment: a Python application framework whose heart is a production-grade scheduler.

`import equipment` is light on purpose: the container and everything it wires are imported
on first use, and heavy drivers (redis, rq) only when a config chooses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Equipment", "equipment", "__version__"]

if TYPE_CHECKING:
    from equipment.Equipment import Equipment, equipment


def __getattr__(name: str) -> Any:
    if name in ("Equipment", "equipment"):
        from equipment import Equipment as module

        return getattr(module, name)
    raise AttributeError(f"module 'equipment' has no attribute {name!r}")
