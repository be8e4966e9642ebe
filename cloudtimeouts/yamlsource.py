"""Safe YAML loading that remembers where every value came from.

PyYAML composes the node graph (which carries line marks); we build plain Python values from it
ourselves so that we can: keep a line for every path, refuse duplicate keys and object-building
tags, bound alias expansion, and resolve plain scalars with YAML 1.2's core schema (so `off`, `no`
and `1:30` stay strings instead of YAML 1.1's booleans and sexagesimal numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

MAX_NODES = 10_000  # more than any real profile; stops "billion laughs" alias bombs
MAX_DEPTH = 64

_STANDARD_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # implicit resolution only; the value stays a string
}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class YamlSourceError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class LoadedYaml:
    data: Any
    lines: dict[Path, int]  # 1-based line of each path's value (mappings: of the key)

    def line_of(self, path: Path) -> int | None:
        """The line of the deepest known prefix of path."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load(text: str) -> LoadedYaml:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"not valid YAML: {error.problem or error.context}"
        if error.context and error.problem and error.context_mark:
            message += f" ({error.context} that starts on line {error.context_mark.line + 1})"
        raise YamlSourceError(message, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise YamlSourceError(f"not valid YAML: {error}", None) from None
    if len(documents) > 1:
        raise YamlSourceError("a profile is one YAML document; found several", None)
    if not documents or documents[0] is None:
        raise YamlSourceError("the file is empty; a profile is a mapping with name, engine, …", 1)
    builder = _Builder()
    data = builder.build(documents[0], (), 0)
    return LoadedYaml(data, builder.lines)


class _Builder:
    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.visited = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.visited += 1
        line = node.start_mark.line + 1
        if self.visited > MAX_NODES or depth > MAX_DEPTH:
            raise YamlSourceError("the document expands to too many values (alias bomb?)", line)
        if node.tag not in _STANDARD_TAGS:
            raise YamlSourceError(f"YAML tag {node.tag!r} is not allowed in a profile", line)
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                raise YamlSourceError(
                    "keys must be plain names (no merge keys or complex keys)", line
                )
            key = str(key_node.value)
            if key in result:
                first = self.lines.get((*path, key))
                raise YamlSourceError(f"duplicate key {key!r} (first set on line {first})", line)
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    if node.style is not None or node.tag == "tag:yaml.org,2002:str":
        return value  # quoted or explicitly a string
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value
