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


def test_values_from_the_environment_are_strings_in_every_format(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    tmp_project.config("app.yaml", 'port: ${PORT}\nquoted: "${PORT}"\nliteral: 8080\n')
    tmp_project.config("web.ini", "[server]\nport = ${PORT}\n")
    tmp_project.config("pool.json", '{"workers": "${PORT}", "name": "${POOL:main}", "n": 4}')

    config = load_config(tmp_project.path)

    # Only what the file itself writes is typed by the parser; the environment gives text.
    assert config["app"] == {"port": "8080", "quoted": "8080", "literal": 8080}
    assert config["web"] == {"server": {"port": "8080"}}
    assert config["pool"] == {"workers": "8080", "name": "main", "n": 4}


def test_defaults_are_strings_too(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("UNSET_X", raising=False)
    tmp_project.config(
        "app.yaml", "port: ${UNSET_X:6379}\nflag: ${UNSET_X:true}\nn: ${UNSET_X:null}\n"
    )

    assert load_config(tmp_project.path)["app"] == {"port": "6379", "flag": "true", "n": "null"}


HOSTILE = [
    "*s3cret",
    "0123",
    "s3cret #x",
    "null",
    "%s3cret",
    "@s3cret",
    "{s3cret",
    "[s3cret",
    "s3cret: x",
    "'s3cret",
    '"s3cret',
    "&s3cret",
    "!s3cret",
    "|s3cret",
    "- s3cret",
    "s3cret\\n",
    "yes",
    "~",
    "1e3",
    " s3cret ",
    "$s3cret",
    "${s3cret}",
    "s3cret}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_environment_values_arrive_exactly(tmp_project, monkeypatch, value) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", value)
    tmp_project.config(
        "queue.yaml",
        'redis:\n  password: ${REDIS_PASSWORD:}\n  quoted: "${REDIS_PASSWORD}"\n'
        "  url: redis://:${REDIS_PASSWORD}@h:6379/0\n  flow: [a, ${REDIS_PASSWORD}]\n",
    )
    tmp_project.config("sec.json", '{"password": "${REDIS_PASSWORD}"}')
    tmp_project.config("sec.ini", "[redis]\npassword = ${REDIS_PASSWORD}\n")

    config = load_config(tmp_project.path)

    redis = config["queue"]["redis"]
    assert redis["password"] == redis["quoted"] == value
    assert redis["url"] == f"redis://:{value}@h:6379/0"
    assert redis["flow"] == ["a", value]
    assert config["sec"] == {"password": value, "redis": {"password": value}}


@pytest.mark.parametrize("value", HOSTILE)
def test_an_environment_value_never_appears_in_an_error(tmp_project, monkeypatch, value) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", value)
    monkeypatch.delenv("UNSET_X", raising=False)
    tmp_project.config("queue.yaml", "redis:\n  password: ${REDIS_PASSWORD}\n  db: ${UNSET_X}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("config/queue.yaml:3: redis.db: ${UNSET_X} is not set")


def test_defaults_may_hold_yaml_punctuation(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("UNSET_X", raising=False)
    tmp_project.config(
        "app.yaml", "a: ${UNSET_X:x #y}\nb: ${UNSET_X:k: v}\nc: {k: ${UNSET_X:1, 2}}\n"
    )

    assert load_config(tmp_project.path)["app"] == {"a": "x #y", "b": "k: v", "c": {"k": "1, 2"}}


def test_an_unquoted_placeholder_in_json_is_explained(tmp_project, monkeypatch) -> None:
    monkeypatch.setenv("WORKERS", "4")
    tmp_project.config("pool.json", '{\n  "workers": ${WORKERS}\n}')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value).startswith("config/pool.json:2: a placeholder in JSON goes inside")


def test_placeholders_in_keys_and_comments_are_left_alone(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("UNSET_IN_COMMENT", raising=False)
    tmp_project.config(
        "app.yaml",
        "# set ${UNSET_IN_COMMENT} in .env\nname: x  # or ${UNSET_IN_COMMENT}\n"
        "${UNSET_IN_COMMENT}: 1\n",
    )
    tmp_project.config("db.ini", "; ${UNSET_IN_COMMENT}\n[db]\nhost = h\n")

    config = load_config(tmp_project.path)

    assert config["app"] == {"name": "x", "${UNSET_IN_COMMENT}": 1}
    assert config["db"] == {"db": {"host": "h"}}


def test_double_dollar_is_a_literal_placeholder(tmp_project) -> None:
    assert interpolate("a $${HOME} b", "x.yaml") == "a ${HOME} b"
    tmp_project.config("app.yaml", 'a: $${HOME}\nb: "$${UNSET_X}"\n')
    tmp_project.config("j.json", '{"a": "$${HOME}"}')

    config = load_config(tmp_project.path)

    assert config["app"] == {"a": "${HOME}", "b": "${UNSET_X}"}
    assert config["j"] == {"a": "${HOME}"}


def test_missing_variable_in_json_and_ini_names_the_key(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("UNSET_X", raising=False)
    tmp_project.config("pool.json", '{"a": {"b": ["x", "${UNSET_X}"]}}')

    with pytest.raises(ConfigError, match=r"^config/pool\.json:1: a\.b\[1\]: \$\{UNSET_X\}"):
        load_config(tmp_project.path)

    tmp_project.config("pool.json", "{}")
    tmp_project.config("db.ini", "[db]\nhost = ${UNSET_X}\n")
    with pytest.raises(ConfigError, match=r"^config/db\.ini:2: db\.host: \$\{UNSET_X\} is not"):
        load_config(tmp_project.path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('A=1\nLOG_CHANNEL="x\nB=2\n', 2),
        ("A=1\n\n\nLOG_CHANNEL='s3cret\n", 4),
        ("A=1\nthis is not a setting s3cret\n", 2),
    ],
)
def test_a_malformed_env_line_is_an_error(tmp_project, monkeypatch, text, line) -> None:
    monkeypatch.delenv("A", raising=False)
    monkeypatch.delenv("B", raising=False)
    tmp_project.write(".env", text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value).startswith(f".env:{line}: cannot parse this line")
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)
    assert "A" not in os.environ  # nothing of a broken .env is loaded


def test_env_values_keep_their_text(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    tmp_project.write(".env", "REDIS_PASSWORD='*s3cret #x'\n# comment\nexport OTHER=1\n")
    tmp_project.config("app.yaml", "password: ${REDIS_PASSWORD}\n")
    monkeypatch.delenv("OTHER", raising=False)

    assert load_config(tmp_project.path)["app"] == {"password": "*s3cret #x"}
    assert os.environ["OTHER"] == "1"


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


def test_ini_top_level_keys_do_not_hide_section_keys(tmp_path, monkeypatch):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "db.ini").write_text("top = 1\n[db]\ntop = 2\nhost = x\n")
    assert load_config(tmp_path)["db"] == {"top": "1", "db": {"top": "2", "host": "x"}}


def test_ini_repeated_top_level_key_is_named_without_internal_names(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "db.ini").write_text("a = 1\na = 2\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert "key 'a' appears twice before the first section" in str(error.value)
    assert "__equipment" not in str(error.value)


def test_a_placeholder_section_written_twice_is_refused_not_merged(tmp_path, monkeypatch):
    monkeypatch.setenv("S", "x")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "db.ini").write_text("[${S}]\na = 1\n[${S}]\nb = 2\n")
    with pytest.raises(ConfigError, match=r"the key '\$\{S\}' appears twice"):
        load_config(tmp_path)


def test_a_yaml_tag_that_does_not_fit_is_one_line_naming_the_placeholder(tmp_path, monkeypatch):
    monkeypatch.setenv("PORT", "12")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.yaml").write_text("port: !!int ${PORT}\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    message = str(error.value)
    assert message.startswith("config/app.yaml: a value does not fit its YAML tag")
    assert "${PORT}" in message and "EQPH" not in message and "12" not in message


@pytest.mark.parametrize(
    ("text", "line"),
    [("A=1\nJUSTAWORD\nB=2\n", 2), ("# a comment\n\nexport TOKEN\n", 3)],
)
def test_an_env_line_without_equals_is_an_error(tmp_project, monkeypatch, text, line) -> None:
    monkeypatch.delenv("A", raising=False)
    tmp_project.write(".env", text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value).startswith(f".env:{line}: this line has no '='")
    assert "A" not in os.environ


def test_an_env_key_set_twice_is_an_error_naming_both_lines(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("TOKEN", raising=False)
    tmp_project.write(".env", "TOKEN=first-s3cret\n# later\nexport TOKEN=second-s3cret\n")

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value) == ".env:3: TOKEN is set again (first on line 1); keep one"
    assert "TOKEN" not in os.environ


def test_an_env_that_is_a_folder_is_an_error(tmp_project) -> None:
    (tmp_project.path / ".env").mkdir()

    with pytest.raises(ConfigError, match=r"^\.env is a folder; it must be a file"):
        load_config(tmp_project.path)


def test_an_env_key_with_an_empty_value_is_fine(tmp_project, monkeypatch) -> None:
    monkeypatch.delenv("EMPTY", raising=False)
    tmp_project.write(".env", "EMPTY=\n")

    load_config(tmp_project.path)

    assert os.environ["EMPTY"] == ""


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("app.yaml", "name: a\nenv: x\nname: b\n", "config/app.yaml:3: the key 'name'"),
        ("log.yaml", "channels:\n  a: {}\n  b: {}\n  a: {}\n", "config/log.yaml:4: the key 'a'"),
        ("x.yaml", "a: {k: 1, k: 2}\n", "config/x.yaml:1: the key 'k'"),
        ("app.json", '{"name": "a", "name": "b"}', "config/app.json: the key 'name'"),
        ("x.json", '{"a": {"k": 1, "k": 2}}', "config/x.json: the key 'k'"),
    ],
)
def test_a_key_written_twice_in_yaml_or_json_is_refused(tmp_project, name, text, message) -> None:
    tmp_project.config(name, text)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_project.path)

    assert str(caught.value) == f"{message} appears twice in one mapping"


def test_a_yaml_merge_may_still_override_merged_keys(tmp_project) -> None:
    tmp_project.config("x.yaml", "base: &b {k: 1, j: 2}\nuse:\n  <<: *b\n  k: 3\n")

    assert load_config(tmp_project.path)["x"]["use"] == {"k": 3, "j": 2}
