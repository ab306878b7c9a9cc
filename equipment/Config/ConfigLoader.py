"""Load a project's configuration: `.env`, then `config/*.{ini,yaml,yml,json}`.

Each file's stem becomes a top-level key (`config/app.yaml` -> `{"app": {...}}`). A file is
parsed first, with its `${VAR}` / `${VAR:default}` placeholders intact; then the placeholders
inside its string values are replaced from the environment. So a value from `.env` or the
environment is never read as YAML, JSON or INI: it arrives as exactly the string it is
(`REDIS_PASSWORD='*s3cret #x'` stays `*s3cret #x`, `0123` stays `"0123"`), and the settings
that read it convert it. Every problem is a `ConfigError` whose one-line message starts with
`file:` and, where known, the line; no message ever contains a value from the environment.
"""

from __future__ import annotations

import configparser
import io
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from dotenv import load_dotenv
from dotenv.parser import parse_stream

from equipment.Config.UniqueKeys import DuplicateKeyError, load_json, load_yaml
from equipment.Errors import ConfigError, display_path

_SUFFIXES = (".ini", ".yaml", ".yml", ".json")
# `$${...}` is an escaped, literal `${...}`; group 1 marks it.
_PLACEHOLDER = re.compile(r"\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
# While a file is parsed, each placeholder stands in its text as a token made only of letters
# and digits: it is a plain scalar anywhere in YAML (flow collections included), and a `#` or
# `: ` inside a default cannot end it early. The nonce differs per file and never occurs in it.
_TOKEN = re.compile(r"EQPH([0-9a-f]{12})N([0-9]+)E")
_INI_ROOT = "__equipment_root__"
_INI_NO_DEFAULTS = "__equipment_no_defaults__"


def load_config(base_path: Path) -> dict[str, Any]:
    """The configuration of the project at `base_path`, as one nested dict.

    `.env` is loaded into `os.environ` without overriding variables already set there; a line
    it cannot parse is an error naming the file and line. A project without a `config/`
    folder has an empty configuration.
    """
    base = Path(base_path)
    load_env_file(base / ".env", base)
    folder = base / "config"
    if not folder.is_dir():
        return {}
    result: dict[str, Any] = {}
    for path in config_files(folder):
        _merge(result, {path.stem: load_file(path, base)})
    return result


def load_env_file(path: Path, base: Path | None = None) -> None:
    """Check every line of a `.env` file, then load it (a missing file is fine).

    python-dotenv only warns about a line it cannot parse and goes on without it; here that
    line stops start-up instead, as does a key set twice (python-dotenv takes the last, a
    reader of the file the first). The message names the file and line, never the line's
    text, since it may hold a secret.
    """
    name = display_path(path, base)
    if path.is_dir():
        raise ConfigError(f"{name} is a folder; it must be a file of KEY=value lines")
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot be read: {type(error).__name__}") from None
    first_line: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(
                f"{name}:{_env_line(binding)}: cannot parse this line (expected KEY=value; "
                "check for an unclosed quote)"
            )
        if binding.key is not None and binding.value is None:  # a bare word: python-dotenv
            raise ConfigError(  # would set nothing and say nothing
                f"{name}:{_env_line(binding)}: this line has no '=' (expected KEY=value; "
                "write KEY= for an empty value)"
            )
        if binding.key is not None:
            line = _env_line(binding)
            first = first_line.setdefault(binding.key, line)
            if first != line:
                raise ConfigError(
                    f"{name}:{line}: {binding.key} is set again (first on line {first}); "
                    "keep one"
                )
    load_dotenv(stream=io.StringIO(text), override=False)


def _env_line(binding: Any) -> int:
    """The line of `binding`'s text, past the blank lines python-dotenv counts into it."""
    original = binding.original
    blank = original.string[: len(original.string) - len(original.string.lstrip())]
    return int(original.line + blank.count("\n"))


def config_files(folder: Path) -> list[Path]:
    """The files of `folder` that `load_config` reads, in the order it reads them."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)


def load_file(path: Path, base: Path | None = None) -> dict[str, Any]:
    """One config file, parsed and then interpolated; its top level must be a mapping."""
    name = display_path(path, base)
    suffix = path.suffix.lower()
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot be read: {error}") from None
    placeholders = _Placeholders(raw, name)
    try:
        data = _PARSERS[suffix](placeholders.text, name)
    except ConfigError as error:
        raise ConfigError(placeholders.restore(str(error))) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{name}: the top level must be a mapping of keys to values, not {kind}")
    return placeholders.resolve(data)


def interpolate(value: str, where: str = "config") -> str:
    """`value` with each `${VAR}` / `${VAR:default}` replaced from the environment.

    `${VAR:}` means an empty default; `$${VAR}` is a literal `${VAR}`. A `${VAR}` without a
    default whose variable is unset is an error starting with `where`. The result is always
    the environment's string as it is: it is never parsed.
    """
    return _PLACEHOLDER.sub(lambda match: _substitute(match, where), value)


def _substitute(match: re.Match[str], where: str) -> str:
    escaped, variable, default = match.groups()
    if escaped:
        return match.group(0)[1:]
    value = os.environ.get(variable)
    if value is not None:
        return value
    if default is not None:
        return default
    raise ConfigError(
        f"{where}: ${{{variable}}} is not set (set it in .env or the environment, "
        f"or give a default: ${{{variable}:}})"
    )


class _Placeholders:
    """A file's text with each placeholder swapped for a token, and the way back."""

    def __init__(self, raw: str, name: str) -> None:
        self.name = name
        nonce = secrets.token_hex(6)
        while f"EQPH{nonce}" in raw:  # pragma: no cover - 2**48 to one
            nonce = secrets.token_hex(6)
        self.nonce = nonce
        self.found: list[tuple[str, int]] = []  # (placeholder as written, line)
        pieces: list[str] = []
        for number, line in enumerate(raw.splitlines(keepends=True), start=1):
            pieces.append(_PLACEHOLDER.sub(lambda m, n=number: self._token(m, n), line))
        self.text = "".join(pieces)

    def _token(self, match: re.Match[str], line: int) -> str:
        self.found.append((match.group(0), line))
        return f"EQPH{self.nonce}N{len(self.found) - 1}E"

    def _each(self, text: str, replace: Callable[[str, int], str]) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(1) != self.nonce:
                return match.group(0)
            written, line = self.found[int(match.group(2))]
            return replace(written, line)

        return _TOKEN.sub(one, text)

    def restore(self, text: str) -> str:
        """`text` with the tokens turned back into the placeholders as written."""
        return self._each(text, lambda written, line: written)

    def resolve(self, data: Any, path: str = "") -> Any:
        """`data` with the placeholders in its string values replaced from the environment.

        Keys are not interpolated: a placeholder in a key stays as written.
        """
        if isinstance(data, dict):
            resolved: dict[Any, Any] = {}
            for key, value in data.items():
                key = self.restore(key) if isinstance(key, str) else key
                where = f"{path}.{key}" if path else str(key)
                if key in resolved:  # two different tokens, the same placeholder as written
                    raise ConfigError(f"{self.name}: the key {where!r} appears twice")
                resolved[key] = self.resolve(value, where)
            return resolved
        if isinstance(data, list):
            return [self.resolve(item, f"{path}[{i}]") for i, item in enumerate(data)]
        if isinstance(data, str):
            return self._each(
                data,
                lambda written, line: interpolate(written, f"{self.name}:{line}: {path}"),
            )
        return data


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return load_yaml(text)
    except DuplicateKeyError as error:
        raise ConfigError(f"{name}{_at(error.line)}: {error}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"{name}{line}: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: {_first_line(error)}") from None
    except (ValueError, TypeError) as error:  # a tag whose value does not fit: `!!int abc`
        raise ConfigError(f"{name}: a value does not fit its YAML tag: {error}") from None


def _parse_json(text: str, name: str) -> Any:
    try:
        return load_json(text) if text.strip() else None
    except DuplicateKeyError as error:
        raise ConfigError(f"{name}{_at(error.line)}: {error}") from None
    except json.JSONDecodeError as error:
        if _TOKEN.match(text, error.pos):
            raise ConfigError(
                f"{name}:{error.lineno}: a placeholder in JSON goes inside a string, "
                'like "${VAR}"; the value is then a string'
            ) from None
        raise ConfigError(f"{name}:{error.lineno}: {error.msg}") from None


def _parse_ini(text: str, name: str) -> dict[str, Any]:
    """INI sections become nested dicts; keys before the first section stay at the top."""
    # The keys before the first section go into a section of our own, not configparser's
    # DEFAULT, whose keys would leak into (and hide) every section's keys of the same name.
    parser = configparser.ConfigParser(interpolation=None, default_section=_INI_NO_DEFAULTS)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the key's case
    try:
        parser.read_string(f"[{_INI_ROOT}]\n{text}", source=name)
    except configparser.Error as error:
        raise ConfigError(f"{name}{_ini_line(error)}: {_ini_problem(error)}") from None
    result: dict[str, Any] = dict(parser.items(_INI_ROOT))
    for section in parser.sections():
        if section != _INI_ROOT:
            result[section] = dict(parser.items(section))
    return result


def _ini_line(error: configparser.Error) -> str:
    line = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    return f":{line - 1}" if isinstance(line, int) else ""  # -1: the root header we added


def _ini_problem(error: configparser.Error) -> str:
    if isinstance(error, configparser.ParsingError):
        return "expected `key = value` or a `[section]` header"
    if isinstance(error, configparser.DuplicateSectionError):
        return f"section [{error.section}] appears twice"
    if isinstance(error, configparser.DuplicateOptionError):
        top = error.section == _INI_ROOT
        where = "before the first section" if top else f"in [{error.section}]"
        return f"key {error.option!r} appears twice {where}"
    return _first_line(error)


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    ".ini": _parse_ini,
    ".yaml": _parse_yaml,
    ".yml": _parse_yaml,
    ".json": _parse_json,
}


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Deep-merge `source` into `target`: `app.yaml` and `app.json` both fill `app`."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _at(line: int | None) -> str:
    return f":{line}" if line is not None else ""


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
