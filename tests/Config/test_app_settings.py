from __future__ import annotations

from pathlib import Path

import pytest

from equipment.Config.ConfigLoader import load_config
from equipment.Equipment import Equipment
from equipment.Errors import ConfigError
from equipment.Log.LogSettings import LogSettings

TEMPLATE = Path(__file__).resolve().parents[2] / "equipment" / "Template"


def test_an_unknown_key_in_app_yaml_is_refused_naming_file_and_key(tmp_project) -> None:
    tmp_project.config("app.yaml", "name: shop\nenv: local\nenviron: production\n")

    with pytest.raises(ConfigError) as caught:
        Equipment.make(tmp_project.path)

    assert str(caught.value) == "config/app.yaml: unknown key 'environ' (known keys: env, name)"


def test_app_yaml_with_its_known_keys_loads(tmp_project) -> None:
    try:
        assert Equipment.make(tmp_project.path).config.app.env() == "testing"
    finally:
        Equipment.forget(tmp_project.path)


def test_the_templates_own_config_files_pass_the_checks(tmp_path: Path) -> None:
    config = load_config(TEMPLATE)

    assert set(config["app"]) == {"name", "env"}
    LogSettings.from_config(config["log"], tmp_path)
