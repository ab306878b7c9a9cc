"""Equipment: a Python application framework whose heart is a production-grade scheduler.

`import equipment` imports nothing heavy: the container (`Equipment`, and the `equipment()`
shortcut) is imported when first used, so a process that only needs the scheduler
(`from equipment.Scheduler.Scheduler import Scheduler`) never loads dependency-injector, and
redis and rq are imported only when a config chooses the redis queue.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__version__ = "0.1.0"
__all__ = ["Equipment", "equipment", "__version__"]


class _Package(types.ModuleType):
    """This package's module type: `equipment.Equipment` is always the container class.

    The import system binds a submodule to its package once it is loaded, and the
    submodule `equipment.Equipment` has the class's name: without this, `import
    equipment.Equipment` would make `from equipment import Equipment` give the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "Equipment" and isinstance(value, types.ModuleType):
            value = value.Equipment
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name in ("Equipment", "equipment"):
        from equipment.Equipment import Equipment, equipment

        globals()["equipment"] = equipment
        return Equipment if name == "Equipment" else equipment
    raise AttributeError(f"module 'equipment' has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
