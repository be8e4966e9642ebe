"""Server parameters ("configurations") as the core sees them, and back.

Configurations - List By Server / Get (Azure REST API reference, Microsoft.DBforPostgreSQL and
Microsoft.DBforMySQL flexibleServers) return value, defaultValue, dataType, allowedValues, source,
isDynamicConfig, isReadOnly, isConfigPendingRestart; PostgreSQL nests them under `properties` and
answers JSON booleans and a `unit`, MySQL is flat and answers the strings "True"/"False". Both are
read into one shape here, so that the adapter never asks which SDK a model came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudtimeouts.catalog import ApplyType
from cloudtimeouts.model import Change, ParameterState
from cloudtimeouts.providers.engines import allowed_range


@dataclass(frozen=True, slots=True)
class Configuration:
    """One server parameter, the same shape for both SDKs (PostgreSQL nests, MySQL is flat)."""

    name: str
    value: str | None
    default: str | None
    allowed: str | None
    source: str | None
    dynamic: bool
    read_only: bool
    pending_restart: bool
    unit: str | None


def name_of(raw: Any) -> str:
    """A configuration's name, without reading anything else of it (see `configuration`)."""
    return str(raw.get("name") if isinstance(raw, Mapping) else raw.name)


def configuration(raw: Any) -> Configuration:
    """One configuration as the SDK answered it.

    azure-mgmt-postgresqlflexibleservers' models (its `_utils/model_base`) are mappings over the
    answer's JSON that deserialize a field each time it is read as an attribute; read by their
    REST names (the API reference's `properties.defaultValue`, …) they cost a dictionary lookup,
    which matters for a fleet: a server lists hundreds of parameters. azure-mgmt-
    mysqlflexibleservers' (msrest) models are flat objects, deserialized when they were made.
    """
    if isinstance(raw, Mapping):
        properties = raw.get("properties") or {}
        return Configuration(
            name=str(raw.get("name")),
            value=properties.get("value"),
            default=properties.get("defaultValue"),
            allowed=properties.get("allowedValues"),
            source=properties.get("source"),
            dynamic=_flag(properties.get("isDynamicConfig"), default=True),
            read_only=_flag(properties.get("isReadOnly"), default=False),
            pending_restart=_flag(properties.get("isConfigPendingRestart"), default=False),
            unit=properties.get("unit"),
        )
    properties = getattr(raw, "properties", None) or raw  # PostgreSQL nests, MySQL is flat
    return Configuration(
        name=str(raw.name),
        value=properties.value,
        default=properties.default_value,
        allowed=properties.allowed_values,
        source=properties.source,
        dynamic=_flag(properties.is_dynamic_config, default=True),
        read_only=_flag(properties.is_read_only, default=False),
        pending_restart=_flag(properties.is_config_pending_restart, default=False),
        unit=getattr(properties, "unit", None),
    )


def _flag(value: object, default: bool) -> bool:
    """PostgreSQL answers JSON booleans, MySQL the strings "True"/"False"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def parameter_state(name: str, config: Configuration) -> ParameterState:
    return ParameterState(
        name=name,
        value=config.value,
        default=config.default,
        allowed=allowed_range(config.allowed),
        apply_type=ApplyType.DYNAMIC if config.dynamic else ApplyType.STATIC,
        modifiable=not config.read_only,
        pending_restart=config.pending_restart,
        value_is_default=config.source == "system-default",
        unit=config.unit,
    )


def source(change: Change) -> str:
    """Configurations - Update: `system-default` with the default value resets a parameter."""
    return "system-default" if change.reset else "user-override"
