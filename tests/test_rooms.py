"""docs/architecture.md's rooms table, enforced as written: every module is in exactly one room,
and imports only from its own room, the core's namespace and the rooms (or modules) its row's
"may import" cell names. Read from the doc and from the source with `ast`, so that the doc cannot
say one thing while the code does another.

How the table is read: the modules cell names a room's modules in backticks (`planning`; a
package with a trailing slash, `terraform/`; a package's own `__init__` as `providers/__init__`),
and a parenthesis after one names its parts (not modules of the room). The "may import" cell
names whole rooms by their names, single modules in backticks, "everything", or nothing;
anything after a ';' or in bold ("**no ...**") is a prohibition or a note, not a permission.
"""

from __future__ import annotations

import pytest
from support.rooms import ROOMS, TABLE, _allowed, _matches, _room_of
from test_architecture import MODULES, _imports, _ours


def test_the_table_has_every_room_the_doc_describes() -> None:
    assert {"core", "reading", "writing", "providers", "CLI", "sandbox"} <= set(ROOMS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_is_in_exactly_one_room(module: str) -> None:
    assert len(_room_of(module)) == 1, f"{module}: rooms {_room_of(module)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_what_its_rooms_row_permits(module: str) -> None:
    (room,) = _room_of(module)
    may = next(cell for name, _, cell in TABLE if name == room)
    rooms, tokens = _allowed(may)
    rooms.add(room)
    for name in _ours(_imports(MODULES[module])):
        # `from cloudtimeouts.x import y`: y may be a name, not a module
        target = next((m for m in (name, name.rpartition(".")[0]) if m in MODULES), name)
        if target == "cloudtimeouts":  # the lazy library namespace (PEP 562) imports nothing
            continue
        allowed = any(_matches(target, t) for t in tokens) or bool(set(_room_of(target)) & rooms)
        assert allowed, f"{module} ({room}) imports {target} ({_room_of(target)}); may: {may}"
