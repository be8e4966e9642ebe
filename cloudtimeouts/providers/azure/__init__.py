"""Azure Database for PostgreSQL / MySQL flexible servers: the package's face.

`cloud` and `target` (what the core knows of Azure) import no SDK, so this face imports none
either. What talks to Azure (`adapter` and the modules it uses) is reached through the names
below, on first use, and the SDK is imported first then: a missing SDK fails there, even when an
adapter module is still loaded from an earlier import (`load_adapter` turns that failure into
"pip install ...").
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# name -> the module that defines it
_LAZY = {"AzureAdapter": "adapter", "ENDPOINT_VARIABLE": "errors", "server_logs": "logs"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import azure.core  # the SDK first (see the docstring)
    import azure.identity  # noqa: F401

    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
