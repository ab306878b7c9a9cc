"""`python web.py`'s settings: a taken port, a host that does not resolve or a key
`config/web.yaml` does not have is one line."""

from __future__ import annotations

import socket

import pytest

from equipment.Errors import ConfigError, EquipmentError
from equipment.Web.Server import WebSettings, check_listen


def test_a_port_in_use_is_one_line_naming_the_setting() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(EquipmentError) as caught:
            check_listen("127.0.0.1", port)
    finally:
        taken.close()

    assert str(caught.value) == (
        f"web.port: cannot listen on 127.0.0.1:{port} (Address already in use); choose a "
        "free port (config/web.yaml, WEB_PORT)"
    )


def test_a_host_that_does_not_resolve_is_one_line() -> None:
    with pytest.raises(EquipmentError, match=r"^web.host: cannot resolve '999.9.9.9' \("):
        check_listen("999.9.9.9", 8000)


def test_a_free_port_passes_and_is_left_free() -> None:
    from tests.Queue.helpers import free_port

    port = free_port()
    check_listen("127.0.0.1", port)
    check_listen("localhost", port)  # every address localhost has, as uvicorn binds them
    check_listen("127.0.0.1", port)  # left free


def test_an_unknown_key_in_web_yaml_is_refused_in_one_line() -> None:
    # A misspelt `token:` must not start the page without authentication.
    with pytest.raises(ConfigError) as caught:
        WebSettings.from_config({"host": "127.0.0.1", "tokn": "secret"})

    assert str(caught.value) == (
        "config/web.yaml: unknown key 'tokn' (known keys: host, port, token)"
    )


def test_web_yaml_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^config/web.yaml must be a mapping, got"):
        WebSettings.from_config(["token"])

