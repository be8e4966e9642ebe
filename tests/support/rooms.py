"""docs/architecture.md's rooms table, read as written (tests/test_rooms.py says how)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _without_parentheses(text: str) -> str:
    while True:
        shorter = re.sub(r"\([^()]*\)", "", text)
        if shorter == text:
            return text
        text = shorter


def _dotted(token: str) -> tuple[str, bool]:
    """A backticked module token as (dotted name, is a package prefix)."""
    prefix = token.endswith("/")
    path = token.strip("/").removesuffix("/__init__").replace("/", ".")
    if path == "__init__":
        return "cloudtimeouts", False
    return f"cloudtimeouts.{path}", prefix


def _table() -> list[tuple[str, list[tuple[str, bool]], str]]:
    rows = []
    for line in DOC.read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("| room ", "|---")):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            continue
        room, modules, _, may = cells
        tokens = re.findall(r"`([^`]+)`", _without_parentheses(modules))
        rows.append((room, [_dotted(token) for token in tokens], may))
    return rows


TABLE = _table()
ROOMS = {room: tokens for room, tokens, _ in TABLE}


def _matches(module: str, token: tuple[str, bool]) -> bool:
    name, prefix = token
    return module == name or (prefix and module.startswith(name + "."))


def _room_of(module: str) -> list[str]:
    return [room for room, tokens in ROOMS.items() if any(_matches(module, t) for t in tokens)]


def _allowed(may: str) -> tuple[set[str], list[tuple[str, bool]]]:
    """The rooms and single modules a "may import" cell permits."""
    permits = re.split(r";|\*\*", may)[0]
    if "everything" in permits:
        return set(ROOMS), []
    rooms = {
        room for room in ROOMS if re.search(rf"(?<![`/\w]){re.escape(room)}(?![`/\w])", permits)
    }
    tokens = [_dotted(token) for token in re.findall(r"`([^`]+)`", permits)]
    return rooms, tokens


def core_modules() -> set[str]:
    """The core room's modules, as the table lists them."""
    return {name for name, _ in ROOMS["core"]}
