"""Each cloud's Terraform mapping is its package's (`Cloud.terraform`); the room names no cloud."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudtimeouts.cloud import clouds
from cloudtimeouts.terraform import mapping
from cloudtimeouts.terraform.mapping import TerraformMapping

PACKAGE = Path(__file__).resolve().parents[2] / "cloudtimeouts"
# The clouds' and their services' names; each mapping's resource types are added below.
CLOUD_WORDS = ("aws", "amazon", "rds", "aurora", "gcp", "google", "cloud sql", "cloudsql")
CLOUD_WORDS += ("azure", "azurerm", "microsoft", "flexible server")


def test_every_registered_cloud_has_a_mapping_of_its_own_types() -> None:
    found = mapping.mappings()
    assert list(found) == list(clouds())
    seen: dict[str, str] = {}
    for name, each in found.items():
        assert each.types, name
        for kind in each.types:
            assert kind not in seen, f"{kind}: {seen.get(kind)} and {name}"
            seen[kind] = name
            assert mapping.of_type(kind) is each
    assert set(mapping.judged_types()) == set(seen)


@pytest.mark.parametrize("name", list(clouds()))
def test_a_mapping_has_what_the_protocol_asks(name: str) -> None:
    """Structurally a TerraformMapping: every attribute and method the Protocol declares."""
    each = mapping.mappings()[name]
    declared = {
        member
        for member in vars(TerraformMapping)
        if not member.startswith("_") and member not in ("types", "per_parameter", "case_blind")
    }
    assert declared, "the Protocol declares its methods"
    for member in declared:
        assert callable(getattr(each, member, None)), f"{name}: {member}"
    assert isinstance(each.types, frozenset)
    assert isinstance(each.per_parameter, bool) and isinstance(each.case_blind, bool)


def _sources() -> list[Path]:
    return [*sorted((PACKAGE / "terraform").glob("*.py")), PACKAGE / "importer.py"]


@pytest.mark.parametrize("path", _sources(), ids=lambda path: path.name)
def test_the_terraform_room_and_the_importer_name_no_cloud(path: Path) -> None:
    """Not in code, comments or docstrings: a cloud's Terraform knowledge and import options
    live in its provider package, with the sources that support them."""
    words = [*CLOUD_WORDS, *clouds(), *mapping.judged_types()]
    pattern = re.compile("|".join(rf"\b{re.escape(word)}" for word in words), re.IGNORECASE)
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)
