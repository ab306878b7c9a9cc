"""`python web.py`: serve the status page of a project with uvicorn.

Reads `config/web.yaml` (host, port, token); binds to 127.0.0.1 unless told otherwise.
Without FastAPI and uvicorn installed (`pip install 'equipment[web]'`), it says so in one
line instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from equipment.Config.Values import as_int, as_str
from equipment.Errors import EquipmentError


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str = ""

    @classmethod
    def from_config(cls, section: Any) -> WebSettings:
        section = section or {}
        return cls(
            host=as_str(section.get("host"), "web.host", "127.0.0.1"),
            port=as_int(section.get("port"), "web.port", 8000, minimum=1, maximum=65535),
            token=as_str(section.get("token"), "web.token", ""),
        )


def missing_web_extra() -> str | None:
    """Why the status page cannot start (FastAPI or uvicorn missing), or None."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        return (
            f"the status page needs FastAPI and uvicorn ({error.name} is not installed): "
            "pip install 'equipment[web]'"
        )
    return None


def serve(container: Any) -> None:
    """Build the scheduler (collect-only) and serve its status page until interrupted."""
    problem = missing_web_extra()
    if problem:
        raise EquipmentError(problem)
    import uvicorn

    from equipment.Web.StatusApp import status_app

    settings = WebSettings.from_config(_section(container))
    scheduler = container.scheduler()
    if not scheduler.schedule.jobs:
        scheduler.collect()
    app = status_app(scheduler, token=settings.token or None)
    scheduler.log.info(
        "Status page on http://%s:%d/scheduler%s",
        settings.host,
        settings.port,
        " (token required)" if settings.token else "",
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def _section(container: Any) -> Any:
    try:
        return container.config.web()
    except AttributeError:
        return None
