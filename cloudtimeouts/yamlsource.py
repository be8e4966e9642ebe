"""Safe YAML loading that remembers where every value came from.

PyYAML composes the node graph (which carries line marks); we build plain Python values from it
ourselves so that we can: keep a line for every path, refuse duplicate keys and object-building
tags, bound alias expansion, and resolve plain scalars with YAML 1.2's core schema (so `off`, `no`
and `1:30` stay strings instead of YAML 1.1's booleans and sexagesimal numbers).

Every input, however hostile, ends in a value or in one `YamlSourceError` with a line, and the
work and memory it costs are bounded: composing stops at `MAX_DEPTH` levels of nesting (PyYAML's
composer recurses, so 1,000 nested `[` would otherwise be a RecursionError) and at `MAX_NODES`
nodes; building stops at `MAX_NODES` values however aliases multiply them ("billion laughs");
numbers longer than `MAX_NUMBER_LENGTH` characters are refused before Python converts them
(it refuses beyond 4300 digits with a ValueError, and no profile value has more than 10).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from cloudtimeouts.durations import shown

Path = tuple[str | int, ...]

MAX_NODES = 10_000  # more than any real profile; stops "billion laughs" alias bombs
MAX_DEPTH = 64  # a profile nests 4 levels deep (targets: - provider: ...)
MAX_NUMBER_LENGTH = 1_000  # characters; the largest profile value, 2147483647, has 10
_MAX_PROBLEM_LENGTH = 120  # PyYAML quotes the input in some messages (an undefined alias…)

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
_NONZERO_MANTISSA = re.compile(r"[1-9]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class YamlSourceError(ValueError):
    """A document that is not a profile's YAML; `line` is 1-based, None when there is none."""

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
    """Compose and build one document; every failure is a YamlSourceError with its line."""
    documents: list[yaml.Node] = []
    loader_lines: list[int] = []  # where each document starts (its `---`, if any)

    def loader(stream: str) -> _BoundedLoader:
        return _BoundedLoader(stream, loader_lines)

    try:
        for document in yaml.compose_all(text, Loader=loader):
            documents.append(document)
            if len(documents) > 1:  # stop here: do not compose the rest of a stream of them
                raise YamlSourceError(
                    "a profile is one YAML document; a second one starts here",
                    loader_lines[-1] if loader_lines else None,
                )
    except yaml.reader.ReaderError as error:
        raise _unreadable_character(text, error) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"not valid YAML: {_short(error.problem or error.context or '')}"
        if error.context and error.problem and error.context_mark:
            message += f" ({error.context} that starts on line {error.context_mark.line + 1})"
        raise YamlSourceError(message, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise YamlSourceError(f"not valid YAML: {_short(str(error))}", None) from None
    if not documents or documents[0] is None:
        raise YamlSourceError("the file is empty; a profile is a mapping with name, engine, …", 1)
    builder = _Builder()
    data = builder.build(documents[0], (), 0)
    return LoadedYaml(data, builder.lines)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer counts nesting and nodes as it goes.

    PyYAML's parser keeps its state on a list, but its composer recurses once (three frames) per
    level of nesting; checking depth here refuses `[[[[…` long before Python's recursion limit,
    and counting nodes bounds the memory of a document of a hundred thousand small values.
    """

    def __init__(self, stream: str, document_lines: list[int]) -> None:
        super().__init__(stream)
        self.depth = 0
        self.nodes = 0
        self.document_lines = document_lines

    def compose_document(self) -> yaml.Node | None:
        self.document_lines.append(self.peek_event().start_mark.line + 1)
        return super().compose_document()  # type: ignore[no-any-return]

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)  # an existing node: nothing new
        line = self.peek_event().start_mark.line + 1
        self.depth += 1
        self.nodes += 1
        if self.depth > MAX_DEPTH:
            raise YamlSourceError(_too_deep(), line)
        if self.nodes > MAX_NODES:
            raise YamlSourceError(_too_many(), line)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Builder:
    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.visited = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.visited += 1
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:  # only through aliases: the composer bounds the rest
            raise YamlSourceError(_too_deep(), line)
        if self.visited > MAX_NODES:
            raise YamlSourceError(_too_many(), line)
        if node.tag not in _STANDARD_TAGS:
            raise YamlSourceError(f"YAML tag {_tag(node.tag)} is not allowed in a profile", line)
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        return _scalar(node, line)

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
            if key_node.tag not in _STANDARD_TAGS:
                raise YamlSourceError(
                    f"YAML tag {_tag(key_node.tag)} is not allowed in a profile", line
                )
            key = _characters(str(key_node.value), line)
            if key in result:
                first = self.lines.get((*path, key))
                raise YamlSourceError(
                    f"duplicate key {shown(key)} (first set on line {first})", line
                )
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result


def _scalar(node: yaml.ScalarNode, line: int) -> Any:
    value = _characters(node.value, line)
    if node.style is not None or node.tag == "tag:yaml.org,2002:str":
        return value  # quoted or explicitly a string
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    is_int, is_float = bool(_INT.match(value)), bool(_FLOAT.match(value))
    if (is_int or is_float) and len(value) > MAX_NUMBER_LENGTH:
        raise YamlSourceError(
            f"a number of {len(value)} characters is longer than any value a profile holds "
            f"(at most {MAX_NUMBER_LENGTH})",
            line,
        )
    if is_int:
        return int(value)
    if is_float:
        number = float(value)
        mantissa = re.split("[eE]", value)[0]
        if not math.isfinite(number) or (number == 0 and _NONZERO_MANTISSA.search(mantissa)):
            raise YamlSourceError(f"the number {shown(value)} is out of range", line)
        return number
    return value


def _tag(tag: str) -> str:
    """`!!python/object:os.system` as the user wrote it, not PyYAML's expanded URI."""
    standard = "tag:yaml.org,2002:"
    return shown("!!" + tag[len(standard) :] if tag.startswith(standard) else tag, limit=80)


def _characters(text: str, line: int) -> str:
    """Text as real characters: a `"\\ud83d\\ude00"` pair joined, a lone half refused.

    YAML's `\\u` escapes can name UTF-16 surrogates, which are no characters: Python holds them,
    but they cannot be encoded to print a message nor passed to pydantic's Rust core.
    """
    if _SURROGATE.search(text) is None:
        return text
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        raise YamlSourceError(
            "a \\u escape names half of a UTF-16 surrogate pair, which is not a character", line
        ) from None


def _too_deep() -> str:
    return f"the document nests more than {MAX_DEPTH} levels deep; a profile needs 4"


def _too_many() -> str:
    return f"the document expands to too many values (more than {MAX_NODES}; an alias bomb?)"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_PROBLEM_LENGTH else text[:_MAX_PROBLEM_LENGTH] + "…"


def _unreadable_character(text: str, error: yaml.reader.ReaderError) -> YamlSourceError:
    """PyYAML's "unacceptable character #x0000 … position 63" as a line and a name."""
    position = max(0, min(int(error.position), len(text)))
    line = text.count("\n", 0, position) + 1
    character = error.character
    code = ord(character) if isinstance(character, str) else int(character)
    if code == 0:
        name = "a NUL byte"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        name = "a control character"
    else:
        name = "a character"
    return YamlSourceError(
        f"the file holds {name} (U+{code:04X}) that YAML does not allow; a profile is text", line
    )
