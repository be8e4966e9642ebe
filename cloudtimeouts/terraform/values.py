"""An `after` value read together with its `after_unknown` and `after_sensitive` twins.

Why apart: every judged resource type is read through it, and what a marker means is the JSON
Output Format's ("Change Representation"): the twins have the shape of `after`, with `true`
where a value is unknown / sensitive and known or plain values left out (objects) or `false`
(list elements); a whole block or list may be one `true`; an unknown value is left out of
`after` itself. A sensitive value is still read and judged: it is only never shown.

A string attribute is a JSON string: Terraform converts an HCL number or bool given to a
string-typed argument before it plans, so `terraform show -json` never writes one as a JSON
number ("Values Representation"). Any other JSON type where the provider's schema says string is
a plan this version cannot trust (`Malformed`), never a value left to its default.
"""

from __future__ import annotations

from typing import Any

from cloudtimeouts.model import KNOWN_AFTER_APPLY


class Malformed(Exception):
    """A value of a JSON type the provider's schema never gives the attribute: the plan was not
    printed by terraform show -json for this provider, or was edited since."""

    def __init__(self, attribute: str, value: Any, expected: str = "a string") -> None:
        super().__init__(attribute)
        self.attribute = attribute  # e.g. parameter[2].value
        self.kind = _JSON_TYPES.get(type(value), "value")  # never the value: it may be a secret
        if isinstance(value, float) and not value.is_integer():
            self.kind = "fractional number"
        self.expected = expected  # what the provider's schema makes it


_JSON_TYPES = {dict: "object", list: "array", type(None): "null", bool: "boolean", str: "string"}
_JSON_TYPES |= {int: "number", float: "number"}


class Unknown:
    """A value Terraform knows only after apply; never guessed."""

    def __repr__(self) -> str:
        return KNOWN_AFTER_APPLY


UNKNOWN = Unknown()
Value = str | Unknown | None  # None: the plan leaves no value (the default applies)


class Values:
    """An `after` object read together with its `after_unknown` and `after_sensitive` twins."""

    def __init__(self, after: Any, unknown: Any, sensitive: Any = None, path: str = "") -> None:
        self.after = after if isinstance(after, dict) else {}
        self.unknown = unknown
        self.hidden = sensitive
        self.path = path  # where this object is in the resource, for messages: "parameter[0]."

    def sensitive(self, key: str) -> bool:
        return _marker(self.hidden, key) is True

    def get(self, key: str) -> Value:
        if _marker(self.unknown, key) is True:
            return UNKNOWN
        value = self.after.get(key)
        if value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    def known(self, key: str) -> Value:
        """A value the resource always has (a required argument): missing from `after`, it is
        unknown, since Terraform leaves unknown values out of `after` and writes known ones,
        null included ("omitUnknowns"), whatever `after_unknown` says."""
        return UNKNOWN if key not in self.after else self.get(key)

    def name(self) -> str | Unknown:
        value = self.known("name")
        return UNKNOWN if value is None else value

    def string(self, key: str) -> str | Unknown:
        """A string argument the schema requires (an entry's name and value, a parameter
        resource's name and value): unknown when `after_unknown` marks it or `after`
        leaves it out (see `known`; an unknown list element's object may also carry it as null
        beside its marker); any other JSON type raises `Malformed`, since a required argument is
        never null and a string one never a number, a boolean, an object or an array."""
        if _marker(self.unknown, key) is True or key not in self.after:
            return UNKNOWN
        value = self.after[key]
        if not isinstance(value, str):
            raise Malformed(self.path + key, value)
        return value

    def whole_number(self, key: str) -> str | Unknown:
        """A number argument the cloud takes as a whole number (a timeout in seconds, say):
        unknown as for `string`; a JSON string, boolean, null, object, array or fraction raises
        `Malformed`, never a default."""
        if _marker(self.unknown, key) is True or key not in self.after:
            return UNKNOWN
        value = self.after[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Malformed(self.path + key, value, "a whole number")
        if isinstance(value, float) and not value.is_integer():
            raise Malformed(self.path + key, value, "a whole number")
        return str(int(value))

    def where(self, **keys: str) -> dict[str, str | Unknown]:
        found: dict[str, str | Unknown] = {}
        for ours, theirs in keys.items():
            value = self.get(theirs)
            if value is not None:
                found[ours] = value
        return found

    def blocks(self, key: str) -> tuple[list[Values], bool]:
        """A nested block list and whether any of it is unknown (a dynamic block over an unknown
        collection, for one): then entries may exist that the plan cannot show yet."""
        marker = _marker(self.unknown, key)
        if marker is True:
            return [], True
        if key not in self.after:  # left out of `after`: unknown (see `known`)
            return [], True
        found = self.after[key]
        if not isinstance(found, list):  # null included: an empty block list is written []
            raise Malformed(self.path + key, found, "an array")
        hidden = _marker(self.hidden, key)
        for index, item in enumerate(found):
            if not isinstance(item, dict) and _element(marker, index) is not True:
                raise Malformed(f"{self.path}{key}[{index}]", item, "an object")
        return [
            Values(
                item,
                _element(marker, index),
                _element(hidden, index),
                f"{self.path}{key}[{index}].",
            )
            for index, item in enumerate(found)
        ], False


def _marker(markers: Any, key: str) -> Any:
    """An object's marker for `key`; a marker that is not an object covers everything below."""
    return markers.get(key) if isinstance(markers, dict) else markers


def _element(markers: Any, index: int) -> Any:
    """A list's marker for one element; `true` for the whole list covers every element."""
    if isinstance(markers, list):
        return markers[index] if index < len(markers) else None
    return markers if markers is True else None
