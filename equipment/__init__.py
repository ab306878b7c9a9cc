"""Equipment: a Python application framework whose heart is a production-grade scheduler.

`import equipment` imports the container and what it wires, but never a heavy driver:
redis and rq are imported only when a config chooses the redis queue.
"""

__version__ = "0.1.0"

# Imported last and by name: the class `Equipment` must win over the submodule of the same
# name, which the import system binds to this package while loading it.
from equipment.Equipment import Equipment, equipment  # noqa: E402

__all__ = ["Equipment", "equipment", "__version__"]
