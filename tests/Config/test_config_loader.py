from __future__ import annotations

import os
from pathlib import Path

import pytest

from equipment.Config.ConfigLoader import interpolate, load_config
from equipment.Errors import ConfigError


def test_each_file_stem_becomes_a_top_level_key(tmp_project) -> None:
    tmp_project.config("extra.json", '{"items": [1, 2], "nested": {"on": true}}')
    tmp_project.config("db.ini", "[primary]\nhost = localhost\nport = 5432\n")
    tmp_project.config("cache.yml", "ttl: 30\n")

    config = load_config(tmp_project.path)

    assert config["app"] == {"name": "test-app", "env": "testing"}
    assert config["extra"] == {"items": [1, 2], "nested": {"on": True}}
    assert config["db"] == {"primary": {"host": "localhost", "port": "5432"}}
    assert config["cache"] == {"ttl": 30}
    assert set(config) == {"app", "log", "queue", "extra", "db", "cache"}


def test_missing_config_folder_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(tmp_path) == {}


def test_other_files_in_config_are_ignored(tmp_project) -> None:
    tmp_project.config("notes.txt", "not: config")
    tmp_project.config("README.md", "# hi")
    assert "notes" not in load_config(tmp_project.path)


def test_interpolation_uses_the_environment(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    tmp_project.config("app.yaml", "env: ${APP_ENV}\nname: ${APP_NAME:demo}\n")

    assert load_config(tmp_project.path)["app"] == {"env": "production", "name": "demo"}


def test_empty_default_is_an_empty_string(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("PREFIX", raising=False)
    tmp_project.config("app.yaml", 'prefix: "${PREFIX:}"\nother: x${PREFIX:}y\n')

    assert load_config(tmp_project.path)["app"] == {"prefix": "", "other": "xy"}


def test_set_but_empty_variable_beats_the_default(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("GREETING", "")
    tmp_project.config("app.yaml", 'greeting: "${GREETING:hello}"\n')

    assert load_config(tmp_project.path)["app"] == {"greeting": ""}


def test_missing_variable_without_default_names_file_line_and_variable(
    tmp_project, monkeypatch
) -> None:
    monkeypatch.delenv("SECRET_TOKEN", raising=False)
    tmp_project.config("app.yaml", "name: x\ntoken: ${SECRET_TOKEN}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    message = str(caught.value)
    assert message.startswith("config/app.yaml:2:")
    assert "SECRET_TOKEN" in message
    assert "\n" not in message


def test_dotenv_fills_variables(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    tmp_project.write(".env", "APP_ENV=staging\n")
    tmp_project.config("app.yaml", "env: ${APP_ENV:local}\n")

    assert load_config(tmp_project.path)["app"]["env"] == "staging"
    assert os.environ["APP_ENV"] == "staging"


def test_environment_beats_dotenv(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    tmp_project.write(".env", "APP_ENV=staging\n")
    tmp_project.config("app.yaml", "env: ${APP_ENV:local}\n")

    assert load_config(tmp_project.path)["app"]["env"] == "production"
    assert os.environ["APP_ENV"] == "production"


def test_values_are_typed_by_the_parser_not_by_the_loader(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    tmp_project.config("app.yaml", 'port: ${PORT}\nquoted: "${PORT}"\n')
    tmp_project.config("web.ini", "[server]\nport = ${PORT}\n")

    config = load_config(tmp_project.path)

    assert config["app"] == {"port": 8080, "quoted": "8080"}
    assert config["web"] == {"server": {"port": "8080"}}


def test_interpolation_works_in_json(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("WORKERS", "4")
    tmp_project.config("pool.json", '{"workers": ${WORKERS}, "name": "${POOL:main}"}')

    assert load_config(tmp_project.path)["pool"] == {"workers": 4, "name": "main"}


def test_comment_lines_are_not_interpolated(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("UNSET_IN_COMMENT", raising=False)
    tmp_project.config("app.yaml", "# set ${UNSET_IN_COMMENT} in .env\nname: x\n")
    tmp_project.config("db.ini", "; ${UNSET_IN_COMMENT}\n[db]\nhost = h\n")

    config = load_config(tmp_project.path)

    assert config["app"] == {"name": "x"}
    assert config["db"] == {"db": {"host": "h"}}


def test_double_dollar_is_a_literal_placeholder() -> None:
    assert interpolate("a: $${HOME}\n", "x.yaml") == "a: ${HOME}\n"


def test_bad_yaml_names_file_and_line(tmp_project) -> None:
    tmp_project.config("app.yaml", "name: demo\nenv: local\nbroken: key: value\n")

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value) == "config/app.yaml:3: mapping values are not allowed here"


def test_bad_json_names_file_and_line(tmp_project) -> None:
    tmp_project.config("extra.json", '{\n  "a": 1,\n  "b": \n}\n')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value) == "config/extra.json:4: Expecting value"


def test_bad_ini_names_file_and_line(tmp_project) -> None:
    tmp_project.config("db.ini", "[db]\nhost = h\nthis line is not a setting\n")

    with pytest.raises(ConfigError, match=r"^config/db\.ini:3: "):
        load_config(tmp_project.path)


def test_duplicate_ini_section_is_an_error(tmp_project) -> None:
    tmp_project.config("db.ini", "[db]\nhost = h\n[db]\nport = 1\n")

    with pytest.raises(ConfigError, match=r"^config/db\.ini:3: section \[db\] appears twice"):
        load_config(tmp_project.path)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [("app.yaml", "- a\n- b\n", "list"), ("app.json", '"text"', "str"), ("x.yaml", "42\n", "int")],
)
def test_top_level_must_be_a_mapping(tmp_project, name: str, text: str, kind: str) -> None:
    tmp_project.config(name, text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value).startswith(f"config/{name}: the top level must be a mapping")
    assert kind in str(caught.value)


def test_empty_files_are_empty_sections(tmp_project) -> None:
    tmp_project.config("empty.yaml", "# nothing yet\n")
    tmp_project.config("blank.json", "")

    config = load_config(tmp_project.path)

    assert config["empty"] == {} and config["blank"] == {}


def test_ini_keeps_key_case_and_top_level_keys(tmp_project) -> None:
    tmp_project.config("svc.ini", "Version = 2\n[Api]\nBaseUrl = http://x/%s\n")

    assert load_config(tmp_project.path)["svc"] == {
        "Version": "2",
        "Api": {"BaseUrl": "http://x/%s"},
    }


def test_files_with_the_same_stem_merge_in_sorted_order(tmp_project) -> None:
    tmp_project.config("app.json", '{"env": "from-json", "json_only": 1}')

    # app.json sorts before app.yaml, so the YAML file wins where both set a key.
    assert load_config(tmp_project.path)["app"] == {
        "env": "testing",
        "json_only": 1,
        "name": "test-app",
    }
