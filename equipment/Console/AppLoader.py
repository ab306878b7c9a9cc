"""Load a project's application container from `module:factory` (default `app:App`).

Commands that inspect or serve a project (`equipment schedule ...`, `equipment queue work`)
run in its root: the root goes on `sys.path`, the module is imported, and the factory's
`.make(base_path)` builds the container (a plain callable is called with no arguments).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from pathlib import Path
from typing import Any

from equipment.Console.Entrypoint import ENTRYPOINT_MARK
from equipment.Errors import EquipmentError


class AppLoadError(EquipmentError):
    """The project's container could not be found or built."""


def load_app(spec: str, base_path: Path) -> Any:
    """The container `spec` ('module:factory') names, built for the project at `base_path`."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise AppLoadError(f"--app must look like module:factory (e.g. app:App), got {spec!r}")
    base = Path(base_path).resolve()
    module = _import(module_name, base, spec)
    factory = getattr(module, attribute, None)
    if factory is None:
        raise AppLoadError(f"{spec}: module {module_name!r} has no attribute {attribute!r}")
    make = getattr(factory, "make", None)
    if callable(make):
        return make(base)
    _check_factory(factory, spec)
    return factory()


def _check_factory(factory: Any, spec: str) -> None:
    """Refuse what is not a factory before calling it: `scheduler:main` would run the
    scheduler, jobs and all, where the user only asked to list them."""
    if getattr(factory, ENTRYPOINT_MARK, False):
        raise AppLoadError(
            f"{spec} is a script's entry point, and calling it would run the script: name "
            "the container instead (e.g. app:App)"
        )
    if not callable(factory):
        raise AppLoadError(
            f"{spec} is a {type(factory).__name__}, not the container: name its class "
            "(e.g. app:App) or a function that returns it"
        )


def _import(module_name: str, base: Path, spec: str) -> Any:
    """Import `module_name` from the project at `base`, never a namesake elsewhere."""
    top = module_name.split(".")[0]
    if importlib.machinery.PathFinder.find_spec(top, [str(base)]) is None:
        raise AppLoadError(
            f"no module {top!r} in {base}: run this in the project's root or pass "
            f"--app module:factory (looked for {spec})"
        )
    if str(base) in sys.path:
        sys.path.remove(str(base))
    sys.path.insert(0, str(base))
    _forget_foreign(top, base)
    importlib.invalidate_caches()
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise AppLoadError(
                f"no module {module_name!r} in {base}: check --app (looked for {spec})"
            ) from None
        raise


def _forget_foreign(top: str, base: Path) -> None:
    """Drop an already imported package `top` that belongs to another directory.

    One process may load several projects (tests do), and each has its own `app` package.
    """
    loaded = sys.modules.get(top)
    if loaded is None:
        return
    location = getattr(loaded, "__file__", None) or ""
    if location and Path(location).resolve().is_relative_to(base):
        return
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
