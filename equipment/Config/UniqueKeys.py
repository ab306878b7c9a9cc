"""YAML and JSON parsing that refuses a key written twice in one mapping.

Both formats let the last of two equal keys win without a word, so a setting edited in one
place and overridden further down looks applied and is not. INI already refuses them.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.constructor import ConstructorError


class DuplicateKeyError(ValueError):
    def __init__(self, key: Any, line: int | None) -> None:
        super().__init__(f"the key {key!r} appears twice in one mapping")
        self.key = key
        self.line = line


class UniqueKeyLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that raises `DuplicateKeyError` for a key written twice.

    Keys brought in by a merge (`<<: *defaults`) may still be overridden: that is what a
    merge is for. Only the keys written in the mapping itself are compared.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            try:
                key = self.construct_object(key_node, deep=True)
                fresh = key not in seen
            except (ConstructorError, TypeError):  # unhashable: the parent reports it
                continue
            if not fresh:
                raise DuplicateKeyError(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(
    "tag:yaml.org,2002:map", UniqueKeyLoader.construct_yaml_map  # type: ignore[type-var]
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def load_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_unique_object)


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key, None)  # json reports no position for a hook's error
        result[key] = value
    return result
