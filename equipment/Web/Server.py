"""`python web.py`: serve the status page of a project with uvicorn.

Reads `config/web.yaml` (host, port, token); binds to 127.0.0.1 unless told otherwise.
Without FastAPI and uvicorn installed (`pip install 'equipment[web]'`), it says so in one
line instead of a traceback.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equipment.Config.KnownKeys import check_known_keys
from equipment.Config.Values import as_int, as_str
from equipment.Errors import ConfigError, EquipmentError


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str = ""

    @classmethod
    def from_config(cls, section: Any) -> WebSettings:
        section = section or {}
        if not isinstance(section, Mapping):
            raise ConfigError(f"config/web.yaml must be a mapping, got {section!r}")
        # A misspelt `token:` would otherwise serve the page to anyone, without a word.
        check_known_keys(section, "config/web.yaml", cls.__dataclass_fields__)
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
    check_listen(settings.host, settings.port)  # a taken port is one line, not uvicorn's
    scheduler.log.info(
        "Status page on http://%s:%d/scheduler%s",
        settings.host,
        settings.port,
        " (token required)" if settings.token else "",
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def check_listen(host: str, port: int) -> None:
    """Whether uvicorn will be able to listen on `host:port`, tried on every address the host
    resolves to as asyncio binds them (IPv6 ones IPv6 only): a port that is taken or a host
    that does not resolve is one line naming the setting, not uvicorn's error and exit 3."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise EquipmentError(f"web.host: cannot resolve {host!r} ({reason})") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            try:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
            except OSError as error:
                raise EquipmentError(
                    f"web.port: cannot listen on {host}:{port} ({error.strerror or error}); "
                    "choose a free port (config/web.yaml, WEB_PORT)"
                ) from None


def _section(container: Any) -> Any:
    try:
        return container.config.web()
    except AttributeError:
        return None
